"""Does transfer get worse with typological distance? Correlations over languages, with honest uncertainty.

Following Lauscher et al. 2020 (arXiv 2005.00633) and LangRank (Lin et al. 2019): one point per
target language, x = its URIEL distance to the source language(s), y = its transfer gap (source −
language) or its gain from intermediate training; the source language itself is left out (its
distance and gap are 0 by definition and would manufacture a correlation). With 7–50 languages,
every coefficient comes with a 95% interval and a p-value, and below ``MIN_LANGUAGES`` or with a
constant variable we refuse, saying why, rather than print a number.

- Pearson r: Fisher-z interval (r ± z·1/sqrt(n−3) on atanh scale), t-test p-value (scipy).
- Spearman rho and Kendall tau-b: percentile bootstrap over languages (pairs resampled together,
  seeded, so the same inputs give the same interval), p-values from scipy's tests.
- Partial correlation controlling for one covariate: correlation of the residuals of x and y after
  a linear fit on the covariate (on ranks for Spearman), p-value with n−3 degrees of freedom,
  Fisher-z interval with 1/sqrt(n−4).
- A grid of tests (tasks × distance types) is corrected for multiple comparisons with Holm or
  Benjamini–Hochberg (``pipeline.analysis.stats.adjust_pvalues``).
- The scatter's fit line is ordinary least squares with the t-based confidence band of the mean,
  ŷ(x) ± t(n−2)·s·sqrt(1/n + (x − x̄)²/Sxx): where the line lies, not where a new language would land.

Pure functions: DataFrames/arrays in, DataFrames/values out; nothing here reads the store or a file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as sps

from pipeline.analysis.stats import adjust_pvalues
from pipeline.tasks import LANGUAGE_MEAN
from pipeline.typology import get_language

MIN_LANGUAGES = 4
METHODS: tuple[str, ...] = ("pearson", "spearman", "kendall")
AGGREGATIONS: tuple[str, ...] = ("mean", "min")
#: What is related to distance: columns added by ``pipeline.analysis.gains``.
MEASURES: tuple[str, ...] = ("transfer_gap", "gain")
PARTIAL_METHODS: tuple[str, ...] = ("pearson", "spearman")
RESULT_COLUMNS: tuple[str, ...] = ("method", "coefficient", "ci_low", "ci_high", "p_value", "ci_method", "n")
#: What must be the same across rows that ``per_language`` reduces to one value per language.
CONDITION_COLUMNS: tuple[str, ...] = (
    "model", "intermediate_task", "intermediate_languages", "mlm_cotraining", "target_task", "metric", "split",
    "setting", "perturbation",
)


@dataclass(frozen=True)
class CorrelationResult:
    """Coefficients with intervals (``table``, one row per method), or the reason there are none."""

    n: int
    refused: str | None = None
    table: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(RESULT_COLUMNS)))

    @property
    def ok(self) -> bool:
        return self.refused is None


# --------------------------------------------------------------------------- inputs


def per_language(results: pd.DataFrame, column: str = "value") -> pd.DataFrame:
    """``language, value``: ``column`` averaged over seeds, for rows of ONE condition (else ValueError).

    ``column`` is ``value``, or ``gain`` / ``transfer_gap`` as added by ``pipeline.analysis.gains``.
    Published means over languages (``avg``) are dropped.
    """
    mixed = [c for c in CONDITION_COLUMNS if c in results.columns and results[c].nunique(dropna=False) > 1]
    if mixed:
        shown = ", ".join(f"{c} ({', '.join(map(str, results[c].unique()[:4]))})" for c in mixed)
        raise ValueError(f"rows mix several conditions; select one value of: {shown}")
    rows = results[(results["language"] != LANGUAGE_MEAN) & results[column].notna()]
    return rows.groupby("language", as_index=False, sort=True)[column].mean().rename(columns={column: "value"})


def transfer_gap(scores: pd.DataFrame, source_language: str = "en") -> pd.DataFrame:
    """``language, value`` = the source language's score − the language's score (source itself left out)."""
    by_language = scores.set_index("language")["value"]
    if source_language not in by_language.index:
        raise ValueError(f"no score for the source language {source_language!r}; the gap needs it")
    gap = by_language[source_language] - by_language.drop(index=source_language)
    return gap.rename("value").reset_index()


def gain(scores: pd.DataFrame, baseline: pd.DataFrame) -> pd.DataFrame:
    """``language, value`` = score − baseline score, for languages both frames have."""
    both = scores.merge(baseline, on="language", suffixes=("", "_baseline"))
    return both.assign(value=both["value"] - both["value_baseline"])[["language", "value"]]


def distances_to_source(
    table: pd.DataFrame,
    source_languages: str | Sequence[str],
    distance_type: str,
    source: str = "lang2vec",
    how: str = "mean",
) -> pd.DataFrame:
    """``language, distance`` of every other language to the source language(s), from a long distance table.

    With several source languages (multilingual intermediate training) a target's distance is their
    ``mean`` (how far the training data is on average) or ``min`` (the closest source language,
    the view of "transfer from the nearest relative"); NaN distances are ignored in either.
    """
    if how not in AGGREGATIONS:
        raise ValueError(f"how must be one of {', '.join(AGGREGATIONS)}, not {how!r}")
    sources = [source_languages] if isinstance(source_languages, str) else list(source_languages)
    rows = table[(table["distance_type"] == distance_type) & (table["source"] == source)]
    missing = sorted(set(sources) - set(rows["lang_a"]))
    if missing:
        raise ValueError(f"the distance table has no {source} {distance_type} distances from {', '.join(missing)}")
    rows = rows[rows["lang_a"].isin(sources) & ~rows["lang_b"].isin(sources)]
    out = rows.groupby("lang_b", sort=True)["value"].agg(how).rename("distance")
    return out.rename_axis("language").reset_index()


# --------------------------------------------------------------------------- coefficients


def _refusal(x: np.ndarray, y: np.ndarray, names: tuple[str, str]) -> str | None:
    n = len(x)
    if n < MIN_LANGUAGES:
        return (f"only {n} language(s) have both a {names[0]} and a {names[1]}; "
                f"a correlation needs at least {MIN_LANGUAGES}")
    for values, name in zip((x, y), names):
        if np.ptp(values) == 0:
            return f"the {name} is the same ({values[0]:g}) for all {n} languages; nothing to correlate"
    return None


def _fisher_interval(r: float, se: float, confidence: float) -> tuple[float, float]:
    z = np.arctanh(np.clip(r, -1 + 1e-12, 1 - 1e-12))
    half = sps.norm.ppf(0.5 + confidence / 2) * se
    return float(np.tanh(z - half)), float(np.tanh(z + half))


def _row_pearson(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson r per row of two (B, n) matrices; NaN for a constant row."""
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (a * b).sum(axis=1) / np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))


def _row_kendall(a: np.ndarray, b: np.ndarray, chunk: int = 256) -> np.ndarray:
    """Kendall tau-b per row: sum of sign products over pairs / sqrt(untied pairs in a × in b)."""
    out = np.empty(len(a))
    for start in range(0, len(a), chunk):  # (chunk, n, n) sign matrices stay a few MB
        ca, cb = a[start:start + chunk], b[start:start + chunk]
        sa = np.sign(ca[:, :, None] - ca[:, None, :])
        sb = np.sign(cb[:, :, None] - cb[:, None, :])
        with np.errstate(divide="ignore", invalid="ignore"):
            out[start:start + chunk] = (sa * sb).sum(axis=(1, 2)) / np.sqrt(
                np.abs(sa).sum(axis=(1, 2)) * np.abs(sb).sum(axis=(1, 2))
            )
    return out


def _bootstrap_interval(
    x: np.ndarray, y: np.ndarray, method: str, confidence: float, n_boot: int, seed: int
) -> tuple[float, float]:
    """Percentile interval of Spearman or Kendall over languages resampled with replacement."""
    idx = np.random.default_rng(seed).integers(0, len(x), size=(n_boot, len(x)))
    xs, ys = x[idx], y[idx]
    if method == "spearman":
        reps = _row_pearson(sps.rankdata(xs, axis=1), sps.rankdata(ys, axis=1))
    else:
        reps = _row_kendall(xs, ys)
    low, high = np.nanquantile(reps, [0.5 - confidence / 2, 0.5 + confidence / 2])  # constant resamples are NaN
    return float(low), float(high)


def correlate(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    *,
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
    names: tuple[str, str] = ("distance", "value"),
) -> CorrelationResult:
    """Pearson, Spearman and Kendall between paired samples (NaN pairs dropped), or a refusal."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same length, not {len(x)} and {len(y)}")
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    n = len(x)
    reason = _refusal(x, y, names)
    if reason:
        return CorrelationResult(n=n, refused=reason)
    pearson = sps.pearsonr(x, y)
    rows = [("pearson", pearson.statistic, *_fisher_interval(pearson.statistic, 1 / np.sqrt(n - 3), confidence),
             pearson.pvalue, "fisher-z")]
    for method, test in (("spearman", sps.spearmanr), ("kendall", sps.kendalltau)):
        res = test(x, y)
        rows.append((method, res.statistic, *_bootstrap_interval(x, y, method, confidence, n_boot, seed),
                     res.pvalue, "bootstrap"))
    table = pd.DataFrame(rows, columns=list(RESULT_COLUMNS[:-1])).assign(n=n)
    return CorrelationResult(n=n, table=table)


def correlate_languages(
    values: pd.DataFrame,
    distances: pd.DataFrame,
    *,
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
    names: tuple[str, str] = ("distance", "value"),
) -> CorrelationResult:
    """``correlate`` on the languages two frames share: ``language, value`` and ``language, distance``."""
    both = values.merge(distances, on="language")
    return correlate(both["distance"], both["value"], confidence=confidence, n_boot=n_boot, seed=seed, names=names)


def _residuals(v: np.ndarray, z: np.ndarray) -> np.ndarray:
    slope, intercept = np.polyfit(z, v, 1)
    return v - (slope * z + intercept)


def partial_correlation(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    covariate: Sequence[float] | np.ndarray,
    *,
    method: str = "pearson",
    confidence: float = 0.95,
    names: tuple[str, str, str] = ("distance", "value", "covariate"),
) -> CorrelationResult:
    """Correlation of x and y with the (linear) effect of ``covariate`` removed from both, or a refusal."""
    if method not in ("pearson", "spearman"):
        raise ValueError(f"partial correlation method must be pearson or spearman, not {method!r}")
    data = np.column_stack([np.asarray(a, dtype=float) for a in (x, y, covariate)])
    data = data[~np.isnan(data).any(axis=1)]
    n = len(data)
    reason = _refusal(data[:, 0], data[:, 1], names[:2]) or _refusal(data[:, 2], data[:, 1], (names[2], names[1]))
    if reason:
        return CorrelationResult(n=n, refused=reason)
    if method == "spearman":
        data = sps.rankdata(data, axis=0)
    rx, ry = _residuals(data[:, 0], data[:, 2]), _residuals(data[:, 1], data[:, 2])
    if min(np.ptp(rx), np.ptp(ry)) < 1e-12:
        return CorrelationResult(n=n, refused=f"the {names[2]} explains the {names[0]} or the {names[1]} entirely")
    r = float(np.clip(np.corrcoef(rx, ry)[0, 1], -1.0, 1.0))
    df = n - 3
    p = float(2 * sps.t.sf(abs(r) * np.sqrt(df / max(1 - r * r, 1e-300)), df))
    low, high = _fisher_interval(r, 1 / np.sqrt(n - 4), confidence) if n > 4 else (np.nan, np.nan)
    table = pd.DataFrame([(f"partial_{method}", r, low, high, p, "fisher-z", n)], columns=list(RESULT_COLUMNS))
    return CorrelationResult(n=n, table=table)


def partial_correlate_languages(
    values: pd.DataFrame,
    distances: pd.DataFrame,
    covariate: pd.DataFrame,
    *,
    confidence: float = 0.95,
    names: tuple[str, str, str] = ("distance", "value", "covariate"),
) -> CorrelationResult:
    """Partial Pearson and Spearman on the languages three frames share (the third: ``language, covariate``)."""
    both = values.merge(distances, on="language").merge(covariate, on="language")
    results = [
        partial_correlation(both["distance"], both["value"], both["covariate"], method=method,
                            confidence=confidence, names=names)
        for method in PARTIAL_METHODS
    ]
    refused = next((r for r in results if not r.ok), None)
    if refused:
        return refused
    return CorrelationResult(n=results[0].n, table=pd.concat([r.table for r in results], ignore_index=True))


def fit_line(
    x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray, confidence: float = 0.95, n_points: int = 50
) -> pd.DataFrame:
    """``x, fit, low, high``: the OLS line of y on x over x's range with its confidence band (NaN pairs dropped)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    n = len(x)
    if n < 3 or np.ptp(x) == 0:
        raise ValueError(f"a fit line with a band needs at least 3 points at 2 or more x values, not {n}")
    line = sps.linregress(x, y)
    sxx = float(((x - x.mean()) ** 2).sum())
    sd = float(np.sqrt(((y - line.intercept - line.slope * x) ** 2).sum() / (n - 2)))
    grid = np.linspace(x.min(), x.max(), n_points)
    fit = line.intercept + line.slope * grid
    half = sps.t.ppf(0.5 + confidence / 2, n - 2) * sd * np.sqrt(1 / n + (grid - x.mean()) ** 2 / sxx)
    return pd.DataFrame({"x": grid, "fit": fit, "low": fit - half, "high": fit + half})


# --------------------------------------------------------------------------- page inputs


def source_distances(
    table: pd.DataFrame, source_languages: str | Sequence[str], source: str = "lang2vec", how: str = "mean"
) -> pd.DataFrame:
    """``distance_type, language, distance`` to the source language(s) for every distance type ``table`` has."""
    kinds = table.loc[table["source"] == source, "distance_type"].unique()
    frames = [distances_to_source(table, source_languages, kind, source, how).assign(distance_type=kind)
              for kind in kinds]
    columns = ["distance_type", "language", "distance"]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


def values_by_task(
    results: pd.DataFrame, column: str, metrics: Mapping[str, str], source_languages: Sequence[str] = ()
) -> pd.DataFrame:
    """``target_task, language, value``: ``per_language(column)`` of each task in ``metrics``, for that task's metric.

    ``results`` hold one condition apart from the target task and metric; tasks without a value and
    the source languages (distance 0 by definition, see the module docstring) are left out.
    """
    frames = [
        per_language(rows, column).assign(target_task=task)
        for task, metric in metrics.items()
        if not (rows := results[(results["target_task"] == task) & (results["metric"] == metric)
                                & ~results["language"].isin(source_languages)]).empty
    ]
    columns = ["target_task", "language", "value"]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


def scatter_points(values: pd.DataFrame, distances: pd.DataFrame) -> pd.DataFrame:
    """``language, name, family, script, distance, value`` for every language with a value.

    ``distance`` is NaN where the distance source has none for the language, so the caller can say
    which languages a correlation leaves out.
    """
    points = values[["language", "value"]].merge(distances[["language", "distance"]], on="language", how="left")
    languages = [get_language(code) for code in points["language"]]
    return points.assign(
        name=[lang.name for lang in languages],
        family=[lang.family for lang in languages],
        script=[lang.script for lang in languages],
    )[["language", "name", "family", "script", "distance", "value"]]


# --------------------------------------------------------------------------- grids


def correlation_grid(
    values: pd.DataFrame,
    distances: pd.DataFrame,
    by: Sequence[str],
    *,
    correction: str = "holm",
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
    value_name: str = "value",
) -> pd.DataFrame:
    """Correlate every group of ``values`` (columns ``by`` + language, value) with every distance type.

    ``distances``: ``distance_type, language, distance``. One row per (group, distance type,
    method) with ``p_adjusted`` corrected over the whole grid per method, or one row with
    ``refused`` set (naming ``value_name``). This is the heatmap's table.
    """
    rows = []
    for keys, group in values.groupby(list(by), sort=False):
        keys = keys if isinstance(keys, tuple) else (keys,)
        for distance_type, dist in distances.groupby("distance_type", sort=False):
            result = correlate_languages(
                group[["language", "value"]], dist[["language", "distance"]],
                confidence=confidence, n_boot=n_boot, seed=seed, names=(f"{distance_type} distance", value_name),
            )
            label = dict(zip(by, keys), distance_type=distance_type)
            if result.ok:
                rows.extend({**label, **rec, "refused": None} for rec in result.table.to_dict("records"))
            else:
                rows.append({**label, "n": result.n, "refused": result.refused})
    grid = pd.DataFrame(rows, columns=[*by, "distance_type", *RESULT_COLUMNS, "refused"])
    grid["p_adjusted"] = np.nan
    for method, part in grid.groupby("method", sort=False):
        grid.loc[part.index, "p_adjusted"] = adjust_pvalues(part["p_value"].to_numpy(dtype=float), correction)
    return grid


def grid_cells(grid: pd.DataFrame, method: str, alpha: float = 0.05) -> pd.DataFrame:
    """One row per cell of a ``correlation_grid`` for one method (refused cells kept), with ``significant``.

    A cell is significant when its *adjusted* p-value is below ``alpha``; refused cells are not.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    cells = grid[(grid["method"] == method) | grid["refused"].notna()].reset_index(drop=True)
    return cells.assign(significant=cells["p_adjusted"].lt(alpha))


def source_agreement(table: pd.DataFrame, sources: Iterable[str] = ("lang2vec", "urielplus")) -> pd.DataFrame:
    """Per distance type: Spearman rank correlation between two sources over language pairs.

    Each unordered pair counts once (``lang_a < lang_b``); pairs either source cannot measure
    (NaN) are left out and counted in ``n_pairs``' complement.
    """
    first, second = sources
    pairs = table[table["lang_a"] < table["lang_b"]]
    wide = pairs.pivot(index=["distance_type", "lang_a", "lang_b"], columns="source", values="value")
    rows = []
    for distance_type, part in wide.groupby(level="distance_type", sort=False):
        both = part[[first, second]].dropna()
        rho = sps.spearmanr(both[first], both[second]) if len(both) >= MIN_LANGUAGES else None
        rows.append({
            "distance_type": distance_type,
            "n_pairs": len(both),
            "n_unmeasured": len(part) - len(both),
            "spearman": rho.statistic if rho else np.nan,
            "p_value": rho.pvalue if rho else np.nan,
        })
    return pd.DataFrame(rows)
