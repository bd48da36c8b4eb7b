"""Gains over the matching baseline with confidence intervals: paired t on matched seeds, else bootstrap."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.analysis.stats.checks import check_fraction, check_resampling, require_columns
from pipeline.analysis.stats.grouping import (
    CONDITION_COLUMNS,
    MATCH_COLUMNS,
    Groups,
    block_stats,
    group_rows,
    is_constant,
    row_mean,
)
from pipeline.analysis.stats.notes import FEW_SEEDS, NO_INTERVAL, ZERO_VARIANCE, join_notes
from pipeline.analysis.stats.resampling import difference_weights, replicate_chunks, seeded_rng
from pipeline.tasks import BASELINE

def _baseline_links(frame: pd.DataFrame) -> np.ndarray:
    if "baseline_run_id" not in frame.columns:
        return np.full(len(frame), "", dtype=object)
    links = frame["baseline_run_id"].astype(object).where(frame["baseline_run_id"].notna(), "")
    return links.astype(str).to_numpy(dtype=object)


def _condition_links(treat: pd.DataFrame) -> pd.Series:
    """Per treatment row, every baseline run its condition links to, as one sorted ','-joined key.

    A pipeline run has one run id per seed, each linked to the baseline run of the same seed: the
    condition's baseline is all of them together, so that seeds can be paired.
    """
    linked = treat[treat["_link"] != ""]
    if linked.empty:
        return pd.Series("", index=treat.index, dtype=object)
    keys = linked.groupby(CONDITION_COLUMNS, dropna=False)["_link"].agg(lambda s: ",".join(sorted(set(s))))
    merged = treat[CONDITION_COLUMNS].merge(keys.rename("_key").reset_index(), on=CONDITION_COLUMNS, how="left")
    return pd.Series(merged["_key"].fillna("").to_numpy(dtype=object), index=treat.index)


def _baseline_pool(frame: pd.DataFrame, link_keys: set[str]) -> pd.DataFrame:
    """Baseline rows keyed for lookup: once by (source, cell), and once per link key for linked runs.

    ``_run`` is '' and ``_src`` the source for the default match; ``_run`` the link key and ``_src``
    '' for the runs a condition names in ``baseline_run_id``.
    """
    base = frame[frame["intermediate_task"] == BASELINE]
    default = base.assign(_run="", _src=base["source_id"].astype(str))
    members = pd.DataFrame(
        [(key, run) for key in link_keys - {""} for run in key.split(",")], columns=["_run", "run_id"]
    )
    explicit = base.merge(members, on="run_id").assign(_src="")
    return pd.concat([default, explicit], ignore_index=True)


@dataclass
class _Comparison:
    """Per-cell results of comparing treatment samples with baseline samples."""

    gain: np.ndarray
    low: np.ndarray
    high: np.ndarray
    paired: np.ndarray
    bootstrap: np.ndarray
    zero_width: np.ndarray

    @classmethod
    def empty(cls, size: int) -> _Comparison:
        nan = np.full(size, np.nan)
        false = np.zeros(size, dtype=bool)
        return cls(nan, nan.copy(), nan.copy(), false, false.copy(), false.copy())


def _are_paired(seeds_t: np.ndarray, seeds_b: np.ndarray) -> np.ndarray:
    """Rows whose treatment and baseline carry the same distinct seeds (NaN never matches)."""
    if seeds_t.shape != seeds_b.shape or seeds_t.shape[1] < 2:
        return np.zeros(len(seeds_t), dtype=bool)
    return (seeds_t == seeds_b).all(axis=1) & (np.diff(seeds_t, axis=1) > 0).all(axis=1)


def _compare_class(
    x: np.ndarray, y: np.ndarray, paired: np.ndarray, confidence: float, n_boot: int, rng_seed: int
) -> _Comparison:
    """Gains and intervals for cells with n_t = x.shape[1] and n_b = y.shape[1] samples."""
    (rows, n_t), n_b = x.shape, y.shape[1]
    result = _Comparison.empty(rows)
    result.paired = paired
    result.gain = row_mean(x) - row_mean(y)
    if paired.any():
        from scipy import stats as sps  # here: importing scipy.stats costs ~1 s of every page's first run

        diffs = x[paired] - y[paired]
        mean, constant = row_mean(diffs), is_constant(diffs)
        sd = np.where(constant, 0.0, diffs.std(axis=1, ddof=1))
        half = sps.t.ppf(0.5 + confidence / 2, n_t - 1) * sd / np.sqrt(n_t)
        result.gain[paired], result.low[paired], result.high[paired] = mean, mean - half, mean + half
        result.zero_width[paired] = constant
    if min(n_t, n_b) < 2:
        return result
    boot = ~paired
    result.bootstrap = boot
    if boot.any():
        rng = seeded_rng(rng_seed, n_t, n_b)
        where = np.flatnonzero(boot)
        tails = [0.5 - confidence / 2, 0.5 + confidence / 2]
        for part, reps in replicate_chunks(np.hstack([x[where], y[where]]), difference_weights(n_t, n_b, n_boot, rng)):
            result.low[where[part]], result.high[where[part]] = np.quantile(reps, tails, axis=1)
        constant = boot & is_constant(x) & is_constant(y)
        result.low[constant] = result.high[constant] = result.gain[constant]
        result.zero_width |= constant
    return result


def gains_with_ci(
    results: pd.DataFrame, confidence: float = 0.95, n_boot: int = 2000, rng_seed: int = 0
) -> pd.DataFrame:
    """One row per non-baseline condition: its gain over the baseline with a confidence interval.

    The baseline is the rows with ``intermediate_task == 'none'`` and the same model, target task,
    language, metric, split, setting, perturbation and source; a row with ``baseline_run_id`` uses
    that run's baseline rows of the same cell instead. When treatment and baseline have the same
    distinct seeds, the interval is a t-interval on the per-seed differences (``ci_method``
    'paired-t'); otherwise a percentile bootstrap of the difference of means resampling each side
    (``'bootstrap'``). n=1 on either side gives NaN bounds; a missing baseline gives a NaN gain; both
    say so in ``ci_note``. ``seeds``/``values`` and ``baseline_seeds``/``baseline_values`` hold the
    samples (sorted by seed) for ``significance``.
    """
    require_columns(results, [*CONDITION_COLUMNS, "run_id", "value", "seed"], "gains_with_ci")
    check_fraction("confidence", confidence)
    check_resampling(n_boot, rng_seed)
    frame = results.reset_index(drop=True)
    links = _baseline_links(frame)
    is_base = (frame["intermediate_task"] == BASELINE).to_numpy()
    treat = frame[~is_base].assign(_link=links[~is_base])
    treat["_run"] = _condition_links(treat)
    treat["_src"] = np.where(treat["_run"] == "", treat["source_id"].astype(str), "")
    lookup = ["_run", *MATCH_COLUMNS, "_src"]
    tg = group_rows(treat.drop(columns="_link"), [*CONDITION_COLUMNS, "_run", "_src"])
    pool = _baseline_pool(frame, set(treat["_run"]))
    bg = group_rows(pool, lookup)
    matched = tg.keys.merge(bg.keys.assign(_pool=np.arange(len(bg.keys))), on=lookup, how="left")["_pool"]
    pool_of = matched.fillna(-1).to_numpy(dtype=np.intp)

    has_base = pool_of >= 0
    n_t = tg.sizes
    n_b = np.where(has_base, bg.sizes[pool_of] if len(bg.sizes) else 0, 0)
    comparison = _Comparison.empty(len(n_t))
    for size_t, size_b in set(zip(n_t[has_base].tolist(), n_b[has_base].tolist())):
        cells = np.flatnonzero(has_base & (n_t == size_t) & (n_b == size_b))
        x, seeds_x = tg.block(cells, size_t, tg.values), tg.block(cells, size_t, tg.seeds)
        y, seeds_y = bg.block(pool_of[cells], size_b, bg.values), bg.block(pool_of[cells], size_b, bg.seeds)
        part = _compare_class(x, y, _are_paired(seeds_x, seeds_y), confidence, n_boot, rng_seed)
        for field in ("gain", "low", "high", "paired", "bootstrap", "zero_width"):
            getattr(comparison, field)[cells] = getattr(part, field)

    base_mean, _ = block_stats(bg)
    base_values, base_seeds, empty = bg.split(bg.values), bg.split(bg.seeds), np.zeros(0)
    explicit = tg.keys["_run"].to_numpy(dtype=object) != ""
    out = tg.keys[CONDITION_COLUMNS].assign(
        baseline_run_id=np.where(explicit, tg.keys["_run"].to_numpy(dtype=object), None),
        n=n_t,
        n_baseline=n_b,
        mean=block_stats(tg)[0],
        baseline_mean=np.where(has_base, base_mean[pool_of] if len(base_mean) else np.nan, np.nan),
        gain=comparison.gain,
        ci_low=comparison.low,
        ci_high=comparison.high,
        ci_method=np.where(comparison.paired, "paired-t", np.where(comparison.bootstrap, "bootstrap", "none")),
        ci_note=_gain_notes(tg, bg, pool_of, comparison),
        confidence=confidence,
        paired=comparison.paired,
    )
    out["seeds"] = tg.split(tg.seeds)
    out["values"] = tg.split(tg.values)
    out["baseline_seeds"] = [base_seeds[p] if p >= 0 else empty for p in pool_of]
    out["baseline_values"] = [base_values[p] if p >= 0 else empty for p in pool_of]
    return out


def _gain_notes(tg: Groups, bg: Groups, pool_of: np.ndarray, comparison: _Comparison) -> np.ndarray:
    """What a reader of each gain must know: no baseline, no interval, unpaired, pooled runs."""
    has_base = pool_of >= 0
    n_t = tg.sizes
    n_b = np.where(has_base, bg.sizes[pool_of] if len(bg.sizes) else 0, 0)
    linked = tg.keys["_run"].astype(str).to_numpy(dtype=object)
    missing = np.where(
        linked != "",
        "no baseline: run " + linked + " has no baseline row for this cell",
        "no baseline: no intermediate_task='none' row with the same model, cell and source",
    )
    repeated_base = has_base & (bg.repeated_seeds()[pool_of] if len(bg.sizes) else False)
    boot = comparison.bootstrap
    return join_notes(
        (~has_base, missing),
        (has_base & ((n_t == 1) | (n_b == 1)), NO_INTERVAL),
        (boot, "seeds differ or are missing: unpaired"),
        (boot & (np.minimum(n_t, n_b) < FEW_SEEDS) & ~comparison.zero_width,
         "few seeds: bootstrap interval tends to be too narrow"),
        (comparison.zero_width, ZERO_VARIANCE),
        (tg.repeated_seeds(), "repeated seeds: runs pooled"),
        (repeated_base, "repeated baseline seeds: runs pooled"),
    )
