"""Does a larger encoder shrink the English vs non-English gap? Score and gap against parameter count.

One *curve* is one model family (XLM-R, mT5 …) in one setting, target task, language, metric,
split, intermediate task and perturbation; its points are the family's sizes. A curve never mixes
settings (translate-train-all numbers are not zero-shot numbers) or families (mT5 and XLM-R differ
in more than size): ``fit_scaling`` splits by them, and ``fit_log_linear`` is for one curve.

The fit is ordinary least squares of value = a + b·log10(params) on one point per model (the mean
over its seeds and sources), so ``b`` is the change per tenfold increase in parameters. Intervals are
t-based with n − 2 degrees of freedom: the slope's is b ± t·s/sqrt(Sxx), the band is the confidence
band of the fitted line, ŷ(x) ± t·s·sqrt(1/n + (x − x̄)²/Sxx) (where the mean lies, not where a new
model would land). With three sizes there is one degree of freedom and t(0.975, 1) = 12.7, so the
intervals are wide; that is the honest answer from three models. Fewer than ``MIN_SIZES`` distinct
sizes: no fit, and the reason is returned, not raised.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from pipeline.analysis.gains import with_transfer_gap
from pipeline.tasks import LANGUAGE_MEAN

MIN_SIZES = 3
QUANTITIES: tuple[str, ...] = ("score", "gap", "mean_gap")
#: What a curve shares; everything but the model and its size.
CURVE_COLUMNS: list[str] = [
    "family", "setting", "target_task", "language", "metric", "split", "intermediate_task",
    "intermediate_languages", "mlm_cotraining", "perturbation",
]
_SIZE_WORDS = frozenset({"tiny", "mini", "small", "base", "medium", "large", "xl", "xxl", "huge", "giant"})
_FIT_COLUMNS = ["n_sizes", "intercept", "slope", "slope_low", "slope_high", "p_value", "r2", "refused"]


def model_family(model: str) -> str:
    """The model id without its size words: ``xlm-roberta-xl`` -> ``xlm-roberta``, ``mt5-small`` -> ``mt5``."""
    name = model.rsplit("/", 1)[-1].lower()
    kept = [part for part in re.split(r"[-_]", name) if part not in _SIZE_WORDS]
    return "-".join(kept) or name


@dataclass(frozen=True)
class LogLinearFit:
    """value = intercept + slope·log10(params), with t-intervals; or ``refused`` and why."""

    n_points: int
    n_sizes: int
    refused: str | None = None
    intercept: float = np.nan
    slope: float = np.nan
    slope_low: float = np.nan
    slope_high: float = np.nan
    p_value: float = np.nan
    r2: float = np.nan
    residual_sd: float = np.nan
    confidence: float = 0.95
    x_mean: float = np.nan
    sxx: float = np.nan

    @property
    def ok(self) -> bool:
        return self.refused is None

    def band(self, params: Sequence[float] | np.ndarray) -> pd.DataFrame:
        """``params, fit, low, high``: the fitted line and its confidence band at ``params``."""
        if not self.ok:
            raise ValueError(f"no fit to draw: {self.refused}")
        x = np.log10(np.asarray(params, dtype=float))
        fit = self.intercept + self.slope * x
        t = sps.t.ppf(0.5 + self.confidence / 2, self.n_points - 2)
        half = t * self.residual_sd * np.sqrt(1 / self.n_points + (x - self.x_mean) ** 2 / self.sxx)
        return pd.DataFrame({"params": np.asarray(params, dtype=float), "fit": fit, "low": fit - half,
                             "high": fit + half})


def fit_log_linear(
    params: Sequence[float] | np.ndarray, values: Sequence[float] | np.ndarray, confidence: float = 0.95
) -> LogLinearFit:
    """OLS of ``values`` on log10(``params``) with a t-interval for the slope, or a refusal saying why."""
    x, y = np.asarray(params, dtype=float), np.asarray(values, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"params and values must have the same length, not {len(x)} and {len(y)}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence}")
    keep = np.isfinite(x) & np.isfinite(y) & (x > 0)
    x, y = np.log10(x[keep]), y[keep]
    n, sizes = len(x), len(np.unique(x))
    if sizes < MIN_SIZES:
        known = f"{sizes} model size{'s' if sizes != 1 else ''}"
        return LogLinearFit(n, sizes, refused=f"only {known} with a known parameter count and a value; "
                                              f"a log-linear fit needs at least {MIN_SIZES}")
    x_mean = x.mean()
    sxx = float(((x - x_mean) ** 2).sum())
    slope = float(((x - x_mean) * (y - y.mean())).sum() / sxx)
    intercept = float(y.mean() - slope * x_mean)
    residuals = y - (intercept + slope * x)
    dof = n - 2
    sd = float(np.sqrt((residuals**2).sum() / dof))
    se = sd / np.sqrt(sxx)
    t = sps.t.ppf(0.5 + confidence / 2, dof)
    tss = float(((y - y.mean()) ** 2).sum())
    p = float(2 * sps.t.sf(abs(slope) / se, dof)) if se > 0 else (0.0 if slope != 0 else 1.0)
    return LogLinearFit(
        n_points=n, n_sizes=sizes, intercept=intercept, slope=slope, slope_low=slope - t * se,
        slope_high=slope + t * se, p_value=p, r2=1 - float((residuals**2).sum()) / tss if tss > 0 else np.nan,
        residual_sd=sd, confidence=confidence, x_mean=float(x_mean), sxx=sxx,
    )


def _joined(sources: pd.Series) -> str:
    """Distinct source ids of a group (each item may itself be a ', '-joined list)."""
    return ", ".join(sorted({part for item in sources for part in str(item).split(", ")}))


def _per_model(rows: pd.DataFrame, column: str, keys: list[str]) -> pd.DataFrame:
    """One point per (curve, model): the mean of ``column`` over seeds and sources, with what went into it."""
    rows = rows[rows[column].notna()]
    flags = rows["uncertain"].eq(True) if "uncertain" in rows.columns else pd.Series(False, index=rows.index)
    grouped = rows.assign(_uncertain=flags).groupby([*keys, "model", "model_params"], dropna=False, sort=True)
    points = grouped.agg(value=(column, "mean"), n=(column, "size"), uncertain=("_uncertain", "any")).reset_index()
    # Joined per distinct source, not per point: most points have one source, shared by thousands of points.
    distinct = pd.DataFrame({"point": grouped.ngroup().to_numpy(), "source_id": rows["source_id"].to_numpy()})
    distinct = distinct.drop_duplicates()
    several = distinct["point"].duplicated(keep=False)
    alone = distinct[~several].set_index("point")["source_id"]
    sources = pd.concat([alone.map({source: _joined([source]) for source in alone.unique()}),
                         distinct[several].groupby("point")["source_id"].agg(_joined)]).sort_index()
    points.insert(points.columns.get_loc("uncertain"), "sources", sources.to_numpy())
    return points


def scaling_points(results: pd.DataFrame, quantity: str = "score", source_language: str = "en") -> pd.DataFrame:
    """The points of every scaling curve: ``CURVE_COLUMNS``, model, model_params, value, n, sources, uncertain.

    ``score``: the value itself. ``gap``: source-language value − the language's value, per language
    (the source language left out). ``mean_gap``: the gap averaged over the non-source languages that
    *every* model of the curve has (``language`` = ``avg``, ``n_languages`` says how many), so sizes
    are compared on the same languages. Published means over languages have no gap.
    """
    if quantity not in QUANTITIES:
        raise ValueError(f"quantity must be one of {', '.join(QUANTITIES)}, not {quantity!r}")
    # Only the columns a point is made of: every filter and merge below copies each column it carries.
    used = [c for c in [*CURVE_COLUMNS, "model", "model_params", "value", "source_id", "uncertain", "run_id", "seed"]
            if c in results.columns]
    families = {model: model_family(model) for model in results["model"].unique()}
    frame = results[used].assign(family=results["model"].map(families))
    if quantity == "score":
        return _per_model(frame, "value", CURVE_COLUMNS)
    gaps = with_transfer_gap(frame, source_language)
    gaps = gaps[(gaps["language"] != source_language) & (gaps["language"] != LANGUAGE_MEAN)]
    points = _per_model(gaps, "transfer_gap", CURVE_COLUMNS)
    if quantity == "gap":
        return points
    curve = [c for c in CURVE_COLUMNS if c != "language"]
    n_models = points.groupby(curve, dropna=False)["model"].transform("nunique")
    per_language = points.groupby([*curve, "language"], dropna=False)["model"].transform("nunique")
    shared = points[per_language == n_models]
    out = shared.groupby([*curve, "model", "model_params"], dropna=False, sort=True).agg(
        value=("value", "mean"), n=("n", "sum"), n_languages=("language", "nunique"),
        sources=("sources", _joined), uncertain=("uncertain", "any"),
    ).reset_index()
    return out.assign(language=LANGUAGE_MEAN)


def fit_scaling(points: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """One log-linear fit per curve of ``points`` (from ``scaling_points``): ``CURVE_COLUMNS`` + the fit.

    Columns ``n_sizes, intercept, slope, slope_low, slope_high, p_value, r2, refused``; a refused
    curve has NaN numbers and its reason.
    """
    curve = [c for c in CURVE_COLUMNS if c in points.columns]
    rows = []
    for keys, group in points.groupby(curve, dropna=False, sort=True):
        fit = fit_log_linear(group["model_params"].to_numpy(dtype=float), group["value"].to_numpy(), confidence)
        rows.append({**dict(zip(curve, keys)), **{c: getattr(fit, c) for c in _FIT_COLUMNS}})
    return pd.DataFrame(rows, columns=[*curve, *_FIT_COLUMNS])
