"""What a check measures: one row per *unit* (a condition, a curve, a language set) with its number,
its interval where seeds or resampling give one, and the provenance of the rows behind it.

Every producer returns ``Units``: a frame with ``UNIT_COLUMNS`` plus whatever condition columns
the unit carries (so ``rows`` filters and ``per`` groupings apply to it), and the reasons units
could not be computed (a refused fit, too few languages), which name the rows a check still needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from pipeline.analysis.claims.benchmark_rows import run_benchmark_averages
from pipeline.analysis.claims.spec import intermediate_kind
from pipeline.analysis.complexity import complexity_correlations, published_profiles, task_effects
from pipeline.analysis.correlation import correlate_languages, distances_to_source
from pipeline.analysis.gains import with_gains, with_transfer_gap
from pipeline.analysis.robustness import compare_training_languages, robustness_drops
from pipeline.analysis.saturation import fit_saturation, saturation_points
from pipeline.analysis.scaling import fit_scaling, scaling_points
from pipeline.analysis.stats import CONDITION_COLUMNS, MATCH_COLUMNS, gains_with_ci
from pipeline.analysis.tables import language_means, task_metric
from pipeline.tasks import BASELINE, LANGUAGE_MEAN, display_name
from pipeline.typology.cache import read_cache

UNIT_COLUMNS = ["unit", "value", "low", "high", "n", "provenance"]
#: Columns a baseline shares with its treatment: filtering rows on them never loses a baseline.
_SAFE_COLUMNS = (*MATCH_COLUMNS, "source_id")


@dataclass(frozen=True)
class Units:
    """Measured units and why others could not be measured."""

    frame: pd.DataFrame
    refusals: list[str] = field(default_factory=list)


def _allowed(series: pd.Series, wanted: Any) -> pd.Series:
    if isinstance(wanted, Mapping):
        return ~series.isin(wanted["not"] if isinstance(wanted["not"], list) else [wanted["not"]])
    return series.isin(wanted if isinstance(wanted, list) else [wanted])


def apply_rows(frame: pd.DataFrame, rows: Mapping[str, Any] | None, columns: tuple[str, ...] | None = None) -> pd.DataFrame:
    """``frame`` restricted to ``rows`` (only the filters on ``columns``, and on columns it has)."""
    mask = pd.Series(True, index=frame.index)
    for column, wanted in (rows or {}).items():
        if column in frame.columns and (columns is None or column in columns):
            mask &= _allowed(frame[column], wanted)
    return frame[mask]


def with_kind(frame: pd.DataFrame) -> pd.DataFrame:
    kinds = {t: intermediate_kind(t) for t in frame["intermediate_task"].unique()}
    return frame.assign(intermediate_kind=frame["intermediate_task"].map(kinds))


class ResultsView:
    """One result set with its task-level rows and gains computed once, however many checks read them."""

    def __init__(self, results: pd.DataFrame) -> None:
        self.results = results

    @cached_property
    def task_level(self) -> pd.DataFrame:
        """One number per run, seed, task and metric: the printed mean over languages, else the mean of
        the languages present (``language_means``); plus each pipeline run's derived XTREME average."""
        if self.results.empty:
            return with_kind(self.results)
        means = language_means(self.results)
        derived = run_benchmark_averages(self.results)
        return with_kind(pd.concat([means, derived], ignore_index=True) if not derived.empty else means)

    @cached_property
    def gains(self) -> pd.DataFrame:
        """Every condition's gain in the task mean with its seed interval (``gains_with_ci``) and provenance."""
        frame = self.task_level
        if frame.empty or not frame["intermediate_task"].eq(BASELINE).any():
            return pd.DataFrame(columns=[*CONDITION_COLUMNS, "intermediate_kind", *UNIT_COLUMNS])
        gains = with_kind(gains_with_ci(frame))
        own = _provenance(frame, CONDITION_COLUMNS).rename(columns={"provenance": "_own"}).merge(
            frame.groupby(CONDITION_COLUMNS, dropna=False)["uncertain"].any().reset_index(), on=CONDITION_COLUMNS)
        base = _provenance(frame[frame["intermediate_task"] == BASELINE], [*MATCH_COLUMNS, "source_id"])
        gains = gains.merge(own, on=CONDITION_COLUMNS, how="left").merge(base, on=[*MATCH_COLUMNS, "source_id"],
                                                                         how="left")
        provenance = [sorted(set(a if isinstance(a, list) else []) | set(b if isinstance(b, list) else []))
                      for a, b in zip(gains["_own"], gains["provenance"])]
        return gains.drop(columns=["_own", "provenance"]).assign(
            unit=_label(gains), value=gains["gain"], low=gains["ci_low"], high=gains["ci_high"],
            provenance=provenance)


def _shown_metric(frame: pd.DataFrame, rows: Mapping[str, Any] | None) -> pd.DataFrame:
    """Each task's primary metric (F1 for QA) unless ``rows`` names a metric."""
    if "metric" in (rows or {}) or frame.empty:
        return frame
    metric_of = {t: task_metric(t) for t in frame["target_task"].unique()}
    return frame[frame["metric"] == frame["target_task"].map(metric_of)]


def _provenance(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return rows.groupby(keys, dropna=False)["provenance"].agg(lambda s: sorted(set(s))).reset_index()


def _label(frame: pd.DataFrame) -> pd.Series:
    mlm = frame["mlm_cotraining"].map({True: " + MLM", False: ""}).fillna("")
    return frame["intermediate_task"].map(display_name) + mlm + " → " + frame["target_task"].map(display_name)


def gain_units(view: ResultsView, rows: Mapping[str, Any] | None) -> Units:
    """Per condition: the gain over its baseline in the task mean, with the seed interval (``gains_with_ci``)."""
    gains = _shown_metric(apply_rows(view.gains, rows), rows)
    if view.gains.empty:
        return Units(gains, ["no baseline rows (intermediate_task = none) to gain over"])
    no_baseline = gains[gains["value"].isna()]
    refusals = [f"no baseline for {label}" for label in no_baseline["unit"].head(3)]
    return Units(gains[gains["value"].notna()], refusals)


def value_units(view: ResultsView, rows: Mapping[str, Any] | None) -> Units:
    """Per condition and printed label: the task-mean value averaged over seeds (no interval)."""
    frame = _shown_metric(apply_rows(view.task_level, rows), rows)
    keys = [*CONDITION_COLUMNS, "model_label", "intermediate_kind"]
    table = frame.groupby(keys, dropna=False).agg(
        value=("value", "mean"), n=("value", "size"), uncertain=("uncertain", "any"),
        provenance=("provenance", lambda s: sorted(set(s))),
    ).reset_index()
    label = table["model_label"].astype(str) + " · " + _label(table)
    return Units(table.assign(unit=label, low=np.nan, high=np.nan))


def _pick(table: pd.DataFrame, method: str) -> pd.Series:
    return table[table["method"] == method].iloc[0]


def _distance_units(rows: pd.DataFrame, check: Mapping[str, Any]) -> Units:
    distance_type, measure = check["x"]["distance"], check["y"]
    per_lang = _shown_metric(rows[rows["language"] != LANGUAGE_MEAN], check.get("rows"))
    if per_lang.empty:
        return Units(pd.DataFrame(columns=UNIT_COLUMNS), ["no per-language rows (a mean over languages has no gap)"])
    cache = read_cache()
    table = pd.concat(cache.values(), ignore_index=True) if cache else pd.DataFrame()
    frame = with_transfer_gap(with_gains(per_lang))
    keys = [c for c in CONDITION_COLUMNS if c != "language"]
    values = frame.groupby([*keys, "language"], dropna=False)[measure].mean().dropna().rename("value").reset_index()
    provenance = _provenance(frame, keys)
    distances: dict[str, pd.DataFrame | str] = {}  # per set of training languages: the table, or why none
    records, refusals = [], []
    for key, group in values.groupby(keys, dropna=False, sort=True):
        condition = dict(zip(keys, key))
        name = f"{condition['model']} · {display_name(condition['intermediate_task'])} → " \
               f"{display_name(condition['target_task'])}"
        sources = condition["intermediate_languages"]
        if sources not in distances:
            try:
                distances[sources] = distances_to_source(table, sources.split(","), distance_type,
                                                         check.get("distance_source", "lang2vec"))
            except ValueError as exc:
                distances[sources] = str(exc)
        if isinstance(distances[sources], str):
            refusals.append(f"{name}: {distances[sources]}")
            continue
        result = correlate_languages(group[["language", "value"]], distances[sources], n_boot=1000,
                                     names=(f"{distance_type} distance", measure))
        if not result.ok:
            refusals.append(f"{name}: {result.refused}")
            continue
        row = _pick(result.table, check.get("method", "spearman"))
        records.append({**condition, "unit": name, "value": row["coefficient"], "low": row["ci_low"],
                        "high": row["ci_high"], "n": result.n})
    units = pd.DataFrame(records, columns=[*keys, *UNIT_COLUMNS[:-1]]).merge(provenance, on=keys, how="left")
    return Units(units, refusals)


def _complexity_units(rows: pd.DataFrame, check: Mapping[str, Any]) -> Units:
    measure, outcome = check["x"]["complexity"], check["y"]
    effects = task_effects(rows)
    keys = ["model", "mlm_cotraining", "target_task", "metric", "split", "setting", "perturbation", "source_id"]
    records, refusals = [], []
    for key, group in (effects.groupby(keys, dropna=False) if not effects.empty else []):
        condition = dict(zip(keys, key))
        name = f"{condition['model']} · {display_name(condition['target_task'])}"
        table = complexity_correlations(published_profiles(), group, measures=[measure], outcomes=[outcome])
        tested = table[table["method"] == check.get("method", "spearman")]
        if tested.empty:
            refusals.append(f"{name}: {table['refused'].iloc[0]}")
            continue
        row = tested.iloc[0]
        provenance = sorted(set(rows.loc[rows["target_task"] == condition["target_task"], "provenance"]))
        records.append({**condition, "unit": name, "value": row["coefficient"], "low": row["ci_low"],
                        "high": row["ci_high"], "n": row["n"], "provenance": provenance})
    if effects.empty:
        refusals.append("no intermediate-task rows with a matching baseline")
    return Units(pd.DataFrame(records, columns=[*keys, *UNIT_COLUMNS]), refusals)


def correlation_units(view: ResultsView, check: Mapping[str, Any]) -> Units:
    """Per condition: the correlation of a language distance (or, per intermediate task, a complexity
    measure) with the transfer gap or gain, with its interval (Fisher z or bootstrap)."""
    rows = apply_rows(view.results, check.get("rows"))
    if "complexity" in check["x"]:
        return _complexity_units(rows, check)
    return _distance_units(rows, check)


def _scaling_units(rows: pd.DataFrame, check: Mapping[str, Any]) -> Units:
    points = scaling_points(rows, check.get("quantity", "mean_gap"))
    fits = fit_scaling(points) if not points.empty else pd.DataFrame(columns=["refused"])
    refusals = [f"{r['family']} · {display_name(r['target_task'])} · {r['metric']}: {r['refused']}"
                for r in fits[fits["refused"].notna()].to_dict("records")]
    if points.empty:
        refusals.append("no per-language rows (with English) of one model family")
    fits = fits[fits["refused"].isna()]
    provenance = sorted(set(rows["provenance"]))
    units = fits.assign(unit=fits.get("family", pd.Series(dtype=str)).astype(str) + " · "
                        + fits.get("target_task", pd.Series(dtype=str)).map(display_name) + " · "
                        + fits.get("metric", pd.Series(dtype=str)).astype(str),
                        value=fits.get("slope"), low=fits.get("slope_low"), high=fits.get("slope_high"),
                        n=fits.get("n_sizes"), provenance=[provenance] * len(fits))
    return Units(units, refusals)


def _saturation_units(rows: pd.DataFrame, check: Mapping[str, Any]) -> Units:
    points = saturation_points(rows[rows["intermediate_task"] != BASELINE]) if not rows.empty else pd.DataFrame()
    keys = ["model", "intermediate_task", "mlm_cotraining", "target_task", "metric", "split", "setting",
            "perturbation"]
    records, refusals = [], []
    for key, group in (points.groupby(keys, dropna=False) if not points.empty else []):
        condition = dict(zip(keys, key))
        name = f"{condition['model']} · {display_name(condition['target_task'])}"
        fit = fit_saturation(group["k"], group["value"], form=check.get("form", "exponential"))
        if not fit.ok:
            refusals.append(f"{name}: {fit.refused}")
            continue
        threshold = fit.threshold(float(check["epsilon"]))
        records.append({**condition, "unit": name, "value": threshold.k, "low": threshold.low,
                        "high": threshold.high, "n": fit.n_points,
                        "provenance": sorted(set(rows.loc[rows["target_task"] == condition["target_task"],
                                                          "provenance"]))})
    if points.empty:
        refusals.append("no runs over sets of intermediate-training languages")
    return Units(pd.DataFrame(records, columns=[*keys, *UNIT_COLUMNS]), refusals)


def fit_units(view: ResultsView, check: Mapping[str, Any]) -> Units:
    """Per curve: a fitted parameter with its interval (log-linear slope over model size, or the
    saturation threshold k in the number of intermediate languages)."""
    rows = apply_rows(view.results, check.get("rows"))
    return _scaling_units(rows, check) if check["fit"] == "log_linear" else _saturation_units(rows, check)


def robustness_units(view: ResultsView, check: Mapping[str, Any]) -> Units:
    """Per cell and perturbation: a language set's drop minus the English-trained drop (> 0: more robust)."""
    rows = apply_rows(view.results, check.get("rows"), _SAFE_COLUMNS)
    reference = check.get("reference", "en")
    drops = robustness_drops(rows, reference=reference) if not rows.empty else pd.DataFrame()
    table = compare_training_languages(drops, reference=reference) if not drops.empty else pd.DataFrame()
    if table.empty:
        return Units(pd.DataFrame(columns=UNIT_COLUMNS),
                     ["no perturbed rows of both English-trained and other-language-trained models"])
    table = apply_rows(with_kind(table), check.get("rows"))
    table = table[table["difference"].notna()]
    name = table["intermediate_languages"] + " vs " + reference + " · " + table["perturbation"] + " · " \
        + table["target_task"].map(display_name) + " " + table["language"]
    provenance = sorted(set(rows["provenance"]))
    return Units(table.assign(unit=name, value=table["difference"], low=table["ci_low"], high=table["ci_high"],
                              provenance=[provenance] * len(table)))
