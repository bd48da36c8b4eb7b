"""Where do returns from more intermediate-training languages diminish? Saturating fits of score vs k.

Two saturating forms with the same three parameters (asymptote a, scale b, rate c > 0) are fitted
by least squares (``scipy.optimize.curve_fit``, started from the best rate on a grid, where a and b
are a linear fit):

- ``exponential``: a − b·exp(−c·k), whose marginal gain shrinks by a constant factor per language;
- ``power``: a − b·k^(−c), whose marginal gain shrinks polynomially (a heavier tail).

b may be negative (a curve that falls and levels off: the "curse of multilinguality"). Fits are
compared by R², AIC, AICc (the small-sample correction, which matters at 5–10 points) and BIC, all
from the residual sum of squares under Gaussian errors with the error variance counted as a
parameter.

Uncertainty is a seeded bootstrap: when every k has two or more observations (seeds), observations
are resampled within each k; otherwise residuals are resampled (rescaled by sqrt(n / (n − p)) so
they are not too small) and added to the fitted curve. The fit's replicates give intervals for the
parameters, a band for the curve and, for any ε, the *threshold*: the smallest k at which one more
language adds less than ε points, f(k + 1) − f(k) < ε. Fewer distinct k than parameters: no fit,
and the reason is returned.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import OptimizeWarning, curve_fit

from pipeline.analysis.query import EVERYTHING, ResultsQuery, Slice
from pipeline.tasks import LANGUAGE_MEAN

N_PARAMS = 3
RATE_BOUNDS = (1e-3, 20.0)
_RATE_GRID = np.geomspace(*RATE_BOUNDS, 48)
K_LIMIT = 1000


def _exponential_basis(k: np.ndarray, c: np.ndarray | float) -> np.ndarray:
    return np.exp(-np.multiply.outer(np.atleast_1d(c), k))


def _power_basis(k: np.ndarray, c: np.ndarray | float) -> np.ndarray:
    return np.power.outer(k, -np.atleast_1d(c)).T


#: form -> g(k, c) such that the curve is a − b·g(k, c).
FORMS: dict[str, Callable[[np.ndarray, np.ndarray | float], np.ndarray]] = {
    "exponential": _exponential_basis,
    "power": _power_basis,
}
FORMULAS = {"exponential": "a − b·exp(−c·k)", "power": "a − b·k^(−c)"}


def curve(form: str, k: np.ndarray | Sequence[float], params: np.ndarray) -> np.ndarray:
    """f(k) for parameter rows ``params`` (shape (3,) or (B, 3)); (B, len(k)) for several rows."""
    params = np.atleast_2d(params)
    basis = FORMS[form](np.asarray(k, dtype=float), params[:, 2])
    values = params[:, [0]] - params[:, [1]] * basis
    return values[0] if values.shape[0] == 1 else values


def _grid_start(form: str, k: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(a, b, c) with the rate from a grid and a, b from the linear least squares at that rate."""
    g = FORMS[form](k, _RATE_GRID)  # (grid, n)
    g_mean, y_mean = g.mean(axis=1, keepdims=True), y.mean()
    gc = g - g_mean
    sgg = (gc**2).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(sgg > 0, (gc * (y - y_mean)).sum(axis=1) / sgg, 0.0)  # y ≈ α + slope·g, b = −slope
    alpha = y_mean - slope * g_mean[:, 0]
    rss = ((y - (alpha[:, None] + slope[:, None] * g)) ** 2).sum(axis=1)
    best = int(np.argmin(rss))
    return np.array([alpha[best], -slope[best], _RATE_GRID[best]])


def _fit_form(form: str, k: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least-squares (a, b, c); the grid start if ``curve_fit`` does not converge."""
    start = _grid_start(form, k, y)
    bounds = ([-np.inf, -np.inf, RATE_BOUNDS[0]], [np.inf, np.inf, RATE_BOUNDS[1]])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            params, _ = curve_fit(lambda x, a, b, c: a - b * FORMS[form](x, c)[0], k, y, p0=start, bounds=bounds,
                                  maxfev=2000)
    except (RuntimeError, ValueError):
        return start
    rss = lambda p: float(((y - curve(form, k, p)) ** 2).sum())  # noqa: E731
    return params if rss(params) <= rss(start) else start


@dataclass(frozen=True)
class Threshold:
    """The smallest k with f(k + 1) − f(k) < epsilon, its bootstrap interval, and how many replicates never got there."""

    epsilon: float
    k: float
    low: float
    high: float
    n_beyond_limit: int


def _threshold_k(form: str, params: np.ndarray, epsilon: float, k_limit: int) -> np.ndarray:
    """Per parameter row: the first k in 1…k_limit whose next language adds < epsilon; inf if none."""
    k = np.arange(1, k_limit + 2, dtype=float)
    values = np.atleast_2d(curve(form, k, params))
    below = np.diff(values, axis=1) < epsilon
    return np.where(below.any(axis=1), below.argmax(axis=1) + 1.0, np.inf)


@dataclass(frozen=True)
class SaturationFit:
    """One form's least-squares fit with its bootstrap replicates, or ``refused`` and why."""

    form: str
    n_points: int
    n_k: int
    refused: str | None = None
    params: np.ndarray = field(default_factory=lambda: np.full(N_PARAMS, np.nan))
    replicates: np.ndarray = field(default_factory=lambda: np.empty((0, N_PARAMS)))
    n_failed: int = 0
    resampling: str = ""
    rss: float = np.nan
    r2: float = np.nan
    aic: float = np.nan
    aicc: float = np.nan
    bic: float = np.nan
    confidence: float = 0.95
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.refused is None

    def _tails(self) -> list[float]:
        return [0.5 - self.confidence / 2, 0.5 + self.confidence / 2]

    def predict(self, k: Sequence[float] | np.ndarray) -> np.ndarray:
        return curve(self.form, k, self.params)

    def parameter_table(self) -> pd.DataFrame:
        """``parameter, estimate, low, high`` (NaN bounds without replicates)."""
        bounds = np.quantile(self.replicates, self._tails(), axis=0) if len(self.replicates) else np.full((2, 3), np.nan)
        return pd.DataFrame({"parameter": ["a", "b", "c"], "estimate": self.params, "low": bounds[0],
                             "high": bounds[1]})

    def band(self, k: Sequence[float] | np.ndarray) -> pd.DataFrame:
        """``k, fit, low, high``: the fitted curve and its percentile bootstrap band."""
        k = np.asarray(k, dtype=float)
        fit = self.predict(k)
        if len(self.replicates):
            low, high = np.quantile(np.atleast_2d(curve(self.form, k, self.replicates)), self._tails(), axis=0)
        else:
            low = high = np.full(len(k), np.nan)
        return pd.DataFrame({"k": k, "fit": fit, "low": low, "high": high})

    def threshold(self, epsilon: float, k_limit: int = K_LIMIT) -> Threshold:
        """Where one more language adds less than ``epsilon`` points (inf: not within ``k_limit`` languages)."""
        if not self.ok:
            raise ValueError(f"no fit: {self.refused}")
        point = float(_threshold_k(self.form, self.params, epsilon, k_limit)[0])
        if not len(self.replicates):
            return Threshold(epsilon, point, np.nan, np.nan, 0)
        reps = _threshold_k(self.form, self.replicates, epsilon, k_limit)
        low, high = np.quantile(reps, self._tails(), method="inverted_cdf")
        return Threshold(epsilon, point, float(low), float(high), int(np.isinf(reps).sum()))


def _quality(y: np.ndarray, fitted: np.ndarray) -> dict[str, float]:
    """RSS, R², and AIC/AICc/BIC under Gaussian errors (N_PARAMS + 1 parameters with the variance)."""
    n, p = len(y), N_PARAMS + 1
    rss = float(((y - fitted) ** 2).sum())
    tss = float(((y - y.mean()) ** 2).sum())
    if rss <= 0:
        return {"rss": rss, "r2": 1.0 if tss > 0 else np.nan, "aic": np.nan, "aicc": np.nan, "bic": np.nan}
    log_lik_term = n * np.log(rss / n)
    aic = log_lik_term + 2 * p
    return {"rss": rss, "r2": 1 - rss / tss if tss > 0 else np.nan, "aic": aic,
            "aicc": aic + 2 * p * (p + 1) / (n - p - 1) if n - p - 1 > 0 else np.nan,
            "bic": log_lik_term + p * np.log(n)}


def _resample(
    k: np.ndarray, y: np.ndarray, fitted: np.ndarray, n_boot: int, rng: np.random.Generator
) -> tuple[str, np.ndarray]:
    """(scheme, (n_boot, n) resampled y): within each k when all k have replicates, else rescaled residuals."""
    levels, counts = np.unique(k, return_counts=True)
    if counts.min() >= 2:
        samples = np.empty((n_boot, len(y)))
        for level in levels:
            where = np.flatnonzero(k == level)
            samples[:, where] = y[where][rng.integers(0, len(where), size=(n_boot, len(where)))]
        return "within-k (seeds resampled at each k)", samples
    residuals = (y - fitted) * np.sqrt(len(y) / (len(y) - N_PARAMS))
    residuals -= residuals.mean()
    return "residual", fitted + residuals[rng.integers(0, len(y), size=(n_boot, len(y)))]


def fit_saturation(
    k: Sequence[float] | np.ndarray,
    values: Sequence[float] | np.ndarray,
    form: str = "exponential",
    confidence: float = 0.95,
    n_boot: int = 1000,
    rng_seed: int = 0,
) -> SaturationFit:
    """Fit ``form`` to (k, value) observations (several per k allowed, e.g. seeds) with bootstrap replicates."""
    if form not in FORMS:
        raise ValueError(f"form must be one of {', '.join(FORMS)}, not {form!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence}")
    if int(n_boot) != n_boot or n_boot < 0:
        raise ValueError(f"n_boot must be a non-negative whole number, not {n_boot}")
    k, y = np.asarray(k, dtype=float), np.asarray(values, dtype=float)
    keep = np.isfinite(k) & np.isfinite(y)
    k, y = k[keep], y[keep]
    if (k < 1).any():
        raise ValueError("k counts intermediate-training languages and must be at least 1")
    n_k = len(np.unique(k))
    if n_k < N_PARAMS:
        return SaturationFit(form, len(y), n_k, refused=(
            f"only {n_k} distinct number{'s' if n_k != 1 else ''} of languages; {FORMULAS[form]} has {N_PARAMS} "
            f"parameters, so it needs at least {N_PARAMS} (and more to say anything about the fit)"))
    params = _fit_form(form, k, y)
    fitted = curve(form, k, params)
    quality = _quality(y, fitted)
    exact = quality["rss"] <= 1e-12 * max(1.0, float((y**2).sum()))
    note = ""
    scheme, replicates, failed = "", np.empty((0, N_PARAMS)), 0
    if exact and np.unique(k, return_counts=True)[1].min() < 2:
        note = "the curve passes through every point (as many points as parameters): no interval, no fit quality"
    elif n_boot:
        scheme, samples = _resample(k, y, fitted, n_boot, np.random.default_rng([rng_seed, len(y)]))
        fits = [_fit_form(form, k, sample) for sample in samples]
        replicates = np.array([f for f in fits if np.isfinite(f).all()]).reshape(-1, N_PARAMS)
        failed = n_boot - len(replicates)
    return SaturationFit(form, len(y), n_k, params=params, replicates=replicates, n_failed=failed,
                         resampling=scheme, confidence=confidence, note=note, **quality)


def compare_fits(fits: Sequence[SaturationFit], epsilon: float | None = None) -> pd.DataFrame:
    """One row per fitted form: parameters, R², AIC/AICc/BIC with differences to the best and Akaike weights,
    and (given ``epsilon``) the threshold with its interval. Refused forms keep their reason."""
    rows = []
    for fit in fits:
        row: dict[str, object] = {"form": fit.form, "formula": FORMULAS[fit.form], "n_points": fit.n_points,
                                  "n_k": fit.n_k, "refused": fit.refused, "note": fit.note}
        if fit.ok:
            row.update(dict(zip("abc", fit.params)), r2=fit.r2, aic=fit.aic, aicc=fit.aicc, bic=fit.bic,
                       resampling=fit.resampling, n_boot_failed=fit.n_failed)
            if epsilon is not None:
                t = fit.threshold(epsilon)
                row.update(epsilon=epsilon, threshold=t.k, threshold_low=t.low, threshold_high=t.high)
        rows.append(row)
    table = pd.DataFrame(rows)
    for criterion in ("aic", "bic"):
        if criterion in table.columns:
            table[f"delta_{criterion}"] = table[criterion] - table[criterion].min()
    if "delta_aic" in table.columns:
        weights = np.exp(-table["delta_aic"] / 2)
        table["akaike_weight"] = weights / weights.sum()
    return table


def saturation_points(results: pd.DataFrame, average_languages: bool = True) -> pd.DataFrame:
    """(k, value) points from runs whose intermediate training used k languages (``intermediate_languages``).

    One row per run, seed and target language, or (``average_languages``) per run and seed with the
    mean over the target languages the run has (``language = 'avg'``, ``n_languages``). ``k`` is the
    number of comma-separated codes; ``n_sets_at_k`` warns when different language sets of the same
    size are pooled (e.g. two sweep orders).
    """
    keys = ["model", "intermediate_task", "intermediate_languages", "mlm_cotraining", "target_task", "metric",
            "split", "setting", "perturbation", "k"]
    # Averaged points keep only these columns, so the rows are filtered without the others.
    used = results[[*keys[:-1], "run_id", "seed", "language", "value"]] if average_languages else results
    rows = used[used["language"] != LANGUAGE_MEAN].copy()
    rows["k"] = rows["intermediate_languages"].astype(str).str.count(",") + 1
    seed = rows["seed"].astype("Int64").astype("string").fillna("-")
    if average_languages:
        rows = rows.assign(_seed=seed).groupby([*keys, "run_id", "_seed"], dropna=False, sort=True).agg(
            value=("value", "mean"), n_languages=("language", "nunique")).reset_index().drop(columns="_seed")
        rows["language"] = LANGUAGE_MEAN
    curve_keys = [c for c in keys if c not in ("intermediate_languages", "k")] + ["language"]
    rows["n_sets_at_k"] = rows.groupby([*curve_keys, "k"], dropna=False)["intermediate_languages"].transform("nunique")
    return rows.reset_index(drop=True)


#: What identifies one saturation curve (its points differ in the intermediate language set).
CURVE_KEYS = ["model", "intermediate_task", "mlm_cotraining", "target_task", "metric", "split", "setting", "perturbation"]


def curves_with_several_k(points: pd.DataFrame) -> pd.DataFrame:
    """The points of the curves that have at least two sizes of language set: one k fits no curve."""
    n_k = points.groupby(CURVE_KEYS, dropna=False)["k"].transform("nunique")
    return points[n_k >= 2]


def swept_slice(query: ResultsQuery, where: Slice = EVERYTHING) -> Slice:
    """The part of ``where`` that can hold a saturation curve: the models, intermediate and target tasks
    of the curves whose runs use at least two sizes of language set (counted where the rows live).
    ``saturation_points`` of it gives the curves ``saturation_points`` of all of ``where`` has with
    two or more k. A slice that keeps nothing when there is none."""
    k = "length(intermediate_languages) - length(replace(intermediate_languages, ',', ''))"
    curves = query.aggregate(CURVE_KEYS, {"n_k": f"count(DISTINCT {k})"}, where)
    curves = curves[curves["n_k"] >= 2]
    if curves.empty:
        return where.keeping(model=["\0"])  # no model has that name: an empty slice
    return where.keeping(**{c: curves[c].unique() for c in ("model", "intermediate_task", "target_task")})
