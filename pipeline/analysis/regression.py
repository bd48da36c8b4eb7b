"""Several language features at once: ordinary least squares over languages, with the uncertainty a reviewer asks for.

One row per language, y = its gap, score or gain, X = chosen distances and log pretraining size.
Everything is standardised (z-scores, sample SD) before the fit, so a coefficient reads "SDs of y
per SD of the feature, the others held fixed" and coefficients are comparable across features:

- coefficient CIs: b ± t(n−p−1)·SE, SE = sqrt(s²·diag((XᵀX)⁻¹)), p-values from the same t;
- R² and adjusted R² = 1 − (1 − R²)(n − 1)/(n − p − 1);
- leave-one-language-out R² = 1 − PRESS/SST with PRESS = Σ(eᵢ/(1 − hᵢᵢ))², exactly the error of
  refitting without each language (hᵢᵢ: leverage), so an in-sample R² that does not generalise shows;
- variance inflation factors VIFⱼ = 1/(1 − R²ⱼ) (the diagonal of the inverse correlation matrix);
  above ``VIF_WARNING`` the features are too collinear for their coefficients to be told apart.

Below ``MIN_LANGUAGES`` languages, or with fewer than ``MIN_RESIDUAL_DF`` degrees of freedom left
for the error, with a constant or perfectly collinear feature, the fit is refused with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as sps

MIN_LANGUAGES = 8
MIN_RESIDUAL_DF = 5
VIF_WARNING = 5.0
COEFFICIENT_COLUMNS: tuple[str, ...] = (
    "feature", "coefficient", "ci_low", "ci_high", "std_error", "p_value", "raw_coefficient", "vif",
)


@dataclass(frozen=True)
class RegressionResult:
    """Standardised coefficients (``coefficients``) and fit statistics, or the reason there are none."""

    n: int
    target: str
    features: tuple[str, ...]
    refused: str | None = None
    coefficients: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(COEFFICIENT_COLUMNS)))
    r2: float = float("nan")
    adj_r2: float = float("nan")
    loo_r2: float = float("nan")
    languages: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.refused is None

    def summary(self) -> pd.DataFrame:
        """``statistic, value``: n, R², adjusted R², leave-one-language-out R²."""
        return pd.DataFrame({"statistic": ["languages", "R²", "adjusted R²", "leave-one-language-out R²"],
                             "value": [self.n, self.r2, self.adj_r2, self.loo_r2]})


def _zscore(values: np.ndarray) -> np.ndarray:
    return (values - values.mean(axis=0)) / values.std(axis=0, ddof=1)


def variance_inflation(x: np.ndarray) -> np.ndarray:
    """VIF of each column of ``x`` (n, p): the diagonal of the inverse of their correlation matrix."""
    if x.shape[1] == 1:
        return np.ones(1)
    return np.diag(np.linalg.inv(np.corrcoef(x, rowvar=False)))


def loo_predictions(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """OLS (with intercept) prediction of each yᵢ from a fit without row i, via leverages: yᵢ − eᵢ/(1 − hᵢᵢ)."""
    design = np.column_stack([np.ones(len(x)), x])
    hat = design @ np.linalg.pinv(design)
    residuals = y - hat @ y
    return y - residuals / (1 - np.diag(hat))


def _refusal(frame: pd.DataFrame, target: str, features: Sequence[str]) -> str | None:
    n, p = len(frame), len(features)
    if not features:
        return "choose at least one feature"
    needed = max(MIN_LANGUAGES, p + 1 + MIN_RESIDUAL_DF)
    if n < needed:
        return (f"only {n} language(s) have the {target} and every chosen feature; {p} feature(s) need at least "
                f"{needed} ({MIN_LANGUAGES} at least, and {MIN_RESIDUAL_DF} more than the coefficients)")
    for column in (target, *features):
        if np.ptp(frame[column].to_numpy(dtype=float)) == 0:
            return f"{column} is the same for all {n} languages; it cannot enter a regression"
    if np.linalg.matrix_rank(_zscore(frame[list(features)].to_numpy(dtype=float))) < p:
        return f"the features {', '.join(features)} are perfectly collinear on these {n} languages"
    return None


def fit_ols(
    frame: pd.DataFrame, target: str, features: Sequence[str], *, confidence: float = 0.95
) -> RegressionResult:
    """Standardised OLS of ``target`` on ``features`` over the rows of ``frame`` that have all of them.

    ``frame`` has one row per language (a ``language`` column and numeric columns); rows with a
    missing value are left out, never filled in.
    """
    features = tuple(dict.fromkeys(features))
    unknown = [c for c in (target, *features) if c not in frame.columns]
    if unknown:
        raise ValueError(f"no column(s) {', '.join(unknown)}; known: {', '.join(map(str, frame.columns))}")
    data = frame.dropna(subset=[target, *features])
    base = {"n": len(data), "target": target, "features": features, "languages": tuple(data["language"])}
    reason = _refusal(data, target, features)
    if reason:
        return RegressionResult(**base, refused=reason)
    raw_x, raw_y = data[list(features)].to_numpy(dtype=float), data[target].to_numpy(dtype=float)
    x, y = _zscore(raw_x), _zscore(raw_y)
    n, p = x.shape
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)  # z-scores are centred: the intercept is 0
    residuals = y - x @ coef
    df = n - p - 1
    s2 = float(residuals @ residuals) / df
    se = np.sqrt(s2 * np.diag(np.linalg.inv(x.T @ x)))
    half = sps.t.ppf(0.5 + confidence / 2, df) * se
    sst = float(y @ y)
    r2 = 1 - float(residuals @ residuals) / sst
    loo = y - loo_predictions(x, y)
    vif = variance_inflation(raw_x)
    table = pd.DataFrame({
        "feature": features, "coefficient": coef, "ci_low": coef - half, "ci_high": coef + half, "std_error": se,
        "p_value": 2 * sps.t.sf(np.abs(coef / se), df),
        "raw_coefficient": coef * raw_y.std(ddof=1) / raw_x.std(axis=0, ddof=1), "vif": vif,
    })
    collinear = [f"{f} (VIF {v:.1f})" for f, v in zip(features, vif) if v > VIF_WARNING]
    warnings = (f"collinear features: {', '.join(collinear)}; their coefficients cannot be told apart "
                f"(VIF > {VIF_WARNING:g}); drop one or read them together",) if collinear else ()
    return RegressionResult(
        **base, coefficients=table, r2=r2, adj_r2=1 - (1 - r2) * (n - 1) / df, loo_r2=1 - float(loo @ loo) / sst,
        warnings=warnings,
    )
