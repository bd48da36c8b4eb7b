"""Seed statistics: aggregates, gains with confidence intervals, significance, XTREME averages.

Zero-shot cross-lingual scores move by points between fine-tuning seeds (Keung et al. 2020), so a
gain is only worth showing with its uncertainty and a test. Every function here is pure (DataFrame
in, DataFrame out) and vectorised over the whole grid: rows are grouped once and sorted by seed,
so each group's samples are one contiguous block; groups with the same sample sizes are stacked
into matrices, and bootstrap or permutation replicates are matrix products with resampling
matrices drawn once per sample size. Those draws depend only on ``rng_seed`` and the sizes, so a
cell's interval does not change when other cells are added to the frame.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations, product
from math import comb

import numpy as np
import pandas as pd
from scipy import stats as sps

from pipeline.tasks import BASELINE, BENCHMARK_AVERAGE, target_tasks

#: What one experimental condition is: everything but the seed (and the run id that hashes it).
CONDITION_COLUMNS: list[str] = [
    "model", "intermediate_task", "intermediate_languages", "mlm_cotraining", "target_task", "language",
    "metric", "split", "setting", "perturbation", "source_id",
]
#: What a baseline row must share with the row it is the baseline of (DESIGN.md).
MATCH_COLUMNS: list[str] = ["model", "target_task", "language", "metric", "split", "setting", "perturbation"]
#: One evaluated model: a condition without the target task, language and metric.
RUN_CONDITION_COLUMNS: list[str] = [
    c for c in CONDITION_COLUMNS if c not in ("target_task", "language", "metric")
]
METHODS = ("paired_bootstrap", "permutation")
CORRECTIONS = ("holm", "bh")

_FLAGS = ("uncertain", "test_artifact")
_QA_GROUP = "question_answering"
#: Replicate-matrix cells computed at once (bounds memory at ~32 MB per chunk).
_CHUNK_CELLS = 4_000_000
#: Two statistics closer than this (on the 0–100 scale) count as tied.
_TIE = 1e-9
_NO_INTERVAL = "n=1: no interval"
_ZERO_VARIANCE = "zero variance: interval of width 0"
#: Below this many seeds a percentile bootstrap is known to be too optimistic (intervals, p-values).
_FEW_SEEDS = 5


# --------------------------------------------------------------------------- grouping helpers


@dataclass(frozen=True)
class _Groups:
    """Rows grouped by key columns and sorted by (group, seed): group g owns ``[starts[g], starts[g]+sizes[g])``."""

    keys: pd.DataFrame
    order: np.ndarray  # row positions in group-then-seed order
    starts: np.ndarray
    sizes: np.ndarray
    values: np.ndarray  # sorted
    seeds: np.ndarray  # sorted, float, NaN = unseeded

    def block(self, groups: np.ndarray, width: int, of: np.ndarray) -> np.ndarray:
        """``of`` for ``groups`` (all of size ``width``) as a (len(groups), width) matrix."""
        return of[self.starts[groups][:, None] + np.arange(width)]

    def split(self, of: np.ndarray) -> list[np.ndarray]:
        """``of`` cut into one array per group."""
        return [of[start:end] for start, end in zip(self.starts.tolist(), (self.starts + self.sizes).tolist())]

    def repeated_seeds(self) -> np.ndarray:
        """Per group: does a seed occur twice (several runs of one condition pooled)?"""
        same = np.zeros(len(self.seeds), dtype=np.int8)
        unseeded = np.isnan(self.seeds)
        same[1:] = (self.seeds[1:] == self.seeds[:-1]) | (unseeded[1:] & unseeded[:-1])
        same[self.starts] = 0
        return _reduce(np.maximum, same, self.starts).astype(bool)


def _seeds(frame: pd.DataFrame) -> np.ndarray:
    return pd.to_numeric(frame["seed"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _group(frame: pd.DataFrame, by: Sequence[str]) -> _Groups:
    by = list(by)
    codes = frame.groupby(by, sort=False, dropna=False, observed=True).ngroup().to_numpy()
    seeds = _seeds(frame)
    order = np.lexsort((frame["value"].to_numpy(dtype=float), seeds, codes))
    sizes = np.bincount(codes, minlength=0) if len(codes) else np.zeros(0, dtype=np.intp)
    starts = np.cumsum(sizes) - sizes
    keys = frame.iloc[order[starts]][by].reset_index(drop=True)
    return _Groups(keys, order, starts, sizes, frame["value"].to_numpy(dtype=float)[order], seeds[order])


def _reduce(ufunc: np.ufunc, values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    return ufunc.reduceat(values, starts) if len(starts) else np.zeros(0, dtype=values.dtype)


def _block_stats(groups: _Groups) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sample std (ddof=1) per group; exact for constant groups, NaN std for n=1."""
    v, starts, n = groups.values, groups.starts, groups.sizes
    mean = _reduce(np.add, v, starts) / np.maximum(n, 1)
    low, high = _reduce(np.minimum, v, starts), _reduce(np.maximum, v, starts)
    constant = low == high
    mean[constant] = low[constant]
    squares = _reduce(np.add, (v - np.repeat(mean, n)) ** 2, starts)
    std = np.full(len(n), np.nan)
    many = n > 1
    std[many] = np.sqrt(squares[many] / (n[many] - 1))
    std[many & constant] = 0.0
    return mean, std


def _row_mean(m: np.ndarray) -> np.ndarray:
    """Row means, exactly the common value for constant rows (so zero-variance checks stay exact)."""
    mean = m.mean(axis=1)
    constant = _constant(m)
    mean[constant] = m[constant, 0]
    return mean


def _constant(m: np.ndarray) -> np.ndarray:
    return m.min(axis=1) == m.max(axis=1)


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Refuse frames without the columns or with missing values, rather than dropping rows quietly."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} needs the column(s) {', '.join(missing)}")
    if "value" in columns and frame["value"].isna().any():
        raise ValueError(f"{what}: {int(frame['value'].isna().sum())} row(s) have no value")


def _check_fraction(name: str, value: float) -> None:
    if not 0 < value < 1:
        raise ValueError(f"{name} must be between 0 and 1, not {value}")


def _check_resampling(n_boot: int, rng_seed: int) -> None:
    if int(n_boot) != n_boot or n_boot < 100:
        raise ValueError(f"n_boot must be a whole number of at least 100, not {n_boot}")
    if int(rng_seed) != rng_seed or rng_seed < 0:
        raise ValueError(f"rng_seed must be a non-negative whole number, not {rng_seed}")


def _join_notes(*parts: tuple[np.ndarray, str | np.ndarray]) -> np.ndarray:
    """Per row, the texts whose mask is set, joined by '; '."""
    size = len(parts[0][0])
    notes = np.full(size, "", dtype=object)
    for mask, text in parts:
        texts = np.broadcast_to(np.asarray(text, dtype=object), (size,))
        add = mask & (notes != "")
        notes[add] = notes[add] + "; "
        notes[mask] = notes[mask] + texts[mask]
    return notes


# --------------------------------------------------------------------------- resampling


def _bootstrap_counts(n: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """(n_boot, n) resampling counts: replicate means are ``samples @ counts.T / n``."""
    return rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(float)


def _chunks(rows: int, width: int) -> Iterator[slice]:
    step = max(1, _CHUNK_CELLS // max(width, 1))
    for start in range(0, rows, step):
        yield slice(start, min(rows, start + step))


def _replicates(samples: np.ndarray, weights: np.ndarray) -> Iterator[tuple[slice, np.ndarray]]:
    """Chunks of ``samples @ weights.T``: one replicate statistic per column, one cell per row."""
    for part in _chunks(len(samples), len(weights)):
        yield part, samples[part] @ weights.T


def _difference_weights(n_t: int, n_b: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """(n_boot, n_t+n_b) weights whose product with [x, y] is a bootstrap replicate of mean(x) − mean(y)."""
    return np.hstack([_bootstrap_counts(n_t, n_boot, rng) / n_t, -_bootstrap_counts(n_b, n_boot, rng) / n_b])


def _rng(rng_seed: int, *sizes: int) -> np.random.Generator:
    return np.random.default_rng([rng_seed, *sizes])


# --------------------------------------------------------------------------- aggregate_seeds


def aggregate_seeds(results: pd.DataFrame) -> pd.DataFrame:
    """Mean, sample std and n over seeds for every condition (``CONDITION_COLUMNS``).

    ``std`` is NaN for n=1 (published numbers) and exactly 0 when all values are equal. Flags
    (``uncertain``, ``test_artifact``) are carried over as "any row of the condition has it".
    """
    _require(results, [*CONDITION_COLUMNS, "value", "seed"], "aggregate_seeds")
    groups = _group(results, CONDITION_COLUMNS)
    mean, std = _block_stats(groups)
    out = groups.keys.assign(mean=mean, std=std, n=groups.sizes)
    for flag in (f for f in _FLAGS if f in results.columns):
        flags = results[flag].eq(True).to_numpy()[groups.order].astype(np.int8)
        out[flag] = _reduce(np.maximum, flags, groups.starts).astype(bool)
    return out


# --------------------------------------------------------------------------- gains_with_ci


def _baseline_links(frame: pd.DataFrame) -> np.ndarray:
    if "baseline_run_id" not in frame.columns:
        return np.full(len(frame), "", dtype=object)
    links = frame["baseline_run_id"].astype(object).where(frame["baseline_run_id"].notna(), "")
    return links.astype(str).to_numpy(dtype=object)


def _baseline_pool(frame: pd.DataFrame, links: np.ndarray) -> pd.DataFrame:
    """Baseline rows keyed for lookup: once by (source, cell) and once by (run, cell) for linked runs.

    ``_run`` is '' and ``_src`` the source for the default match; ``_run`` the run id and ``_src``
    '' for a row's explicit ``baseline_run_id``.
    """
    base = frame[frame["intermediate_task"] == BASELINE]
    default = base.assign(_run="", _src=base["source_id"].astype(str))
    linked = base[base["run_id"].isin(set(links) - {""})]
    explicit = linked.assign(_run=linked["run_id"].astype(str), _src="")
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
    result.gain = _row_mean(x) - _row_mean(y)
    if paired.any():
        diffs = x[paired] - y[paired]
        mean, constant = _row_mean(diffs), _constant(diffs)
        sd = np.where(constant, 0.0, diffs.std(axis=1, ddof=1))
        half = sps.t.ppf(0.5 + confidence / 2, n_t - 1) * sd / np.sqrt(n_t)
        result.gain[paired], result.low[paired], result.high[paired] = mean, mean - half, mean + half
        result.zero_width[paired] = constant
    if min(n_t, n_b) < 2:
        return result
    boot = ~paired
    result.bootstrap = boot
    if boot.any():
        rng = _rng(rng_seed, n_t, n_b)
        where = np.flatnonzero(boot)
        tails = [0.5 - confidence / 2, 0.5 + confidence / 2]
        for part, reps in _replicates(np.hstack([x[where], y[where]]), _difference_weights(n_t, n_b, n_boot, rng)):
            result.low[where[part]], result.high[where[part]] = np.quantile(reps, tails, axis=1)
        constant = boot & _constant(x) & _constant(y)
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
    _require(results, [*CONDITION_COLUMNS, "run_id", "value", "seed"], "gains_with_ci")
    _check_fraction("confidence", confidence)
    _check_resampling(n_boot, rng_seed)
    frame = results.reset_index(drop=True)
    links = _baseline_links(frame)
    is_base = (frame["intermediate_task"] == BASELINE).to_numpy()
    treat = frame[~is_base].assign(_run=links[~is_base])
    treat["_src"] = np.where(treat["_run"] == "", treat["source_id"].astype(str), "")
    lookup = ["_run", *MATCH_COLUMNS, "_src"]
    tg = _group(treat, [*CONDITION_COLUMNS, "_run", "_src"])
    pool = _baseline_pool(frame, links)
    bg = _group(pool, lookup)
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

    base_mean, _ = _block_stats(bg)
    base_values, base_seeds, empty = bg.split(bg.values), bg.split(bg.seeds), np.zeros(0)
    explicit = tg.keys["_run"].to_numpy(dtype=object) != ""
    out = tg.keys[CONDITION_COLUMNS].assign(
        baseline_run_id=np.where(explicit, tg.keys["_run"].to_numpy(dtype=object), None),
        n=n_t,
        n_baseline=n_b,
        mean=_block_stats(tg)[0],
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


def _gain_notes(tg: _Groups, bg: _Groups, pool_of: np.ndarray, comparison: _Comparison) -> np.ndarray:
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
    return _join_notes(
        (~has_base, missing),
        (has_base & ((n_t == 1) | (n_b == 1)), _NO_INTERVAL),
        (boot, "seeds differ or are missing: unpaired"),
        (boot & (np.minimum(n_t, n_b) < _FEW_SEEDS) & ~comparison.zero_width,
         "few seeds: bootstrap interval tends to be too narrow"),
        (comparison.zero_width, _ZERO_VARIANCE),
        (tg.repeated_seeds(), "repeated seeds: runs pooled"),
        (repeated_base, "repeated baseline seeds: runs pooled"),
    )


# --------------------------------------------------------------------------- significance


def adjust_pvalues(p_values: np.ndarray | Sequence[float], correction: str) -> np.ndarray:
    """Holm (family-wise error) or Benjamini–Hochberg (false discovery rate) adjusted p-values.

    NaN p-values are not tests: they stay NaN and do not count towards the family size.
    """
    if correction not in CORRECTIONS:
        raise ValueError(f"correction must be one of {', '.join(CORRECTIONS)}, not {correction!r}")
    p = np.asarray(p_values, dtype=float)
    tested = ~np.isnan(p)
    if ((p[tested] < 0) | (p[tested] > 1)).any():
        raise ValueError("p-values must lie between 0 and 1")
    adjusted = np.full(p.shape, np.nan)
    values = p[tested]
    m = values.size
    if m == 0:
        return adjusted
    order = np.argsort(values, kind="stable")
    ranked = values[order]
    if correction == "holm":
        scaled = np.maximum.accumulate((m - np.arange(m)) * ranked)
    else:
        scaled = np.minimum.accumulate((ranked * m / np.arange(1, m + 1))[::-1])[::-1]
    result = np.empty(m)
    result[order] = np.minimum(scaled, 1.0)
    adjusted[tested] = result
    return adjusted


def _sign_flips(n: int, n_boot: int, rng_seed: int) -> tuple[np.ndarray, bool]:
    """(K, n) matrix of ±1: every assignment when 2^n <= n_boot (exact test), else n_boot random ones."""
    if 2**n <= n_boot:
        return np.array(list(product((1.0, -1.0), repeat=n))), True
    return _rng(rng_seed, n, 0, 1).choice((1.0, -1.0), size=(n_boot, n)), False


def _label_swaps(n_t: int, n_b: int, n_boot: int, rng_seed: int) -> tuple[np.ndarray, bool]:
    """(K, n_t+n_b) weights giving mean(first group) − mean(second) for every split (exact) or n_boot random ones."""
    total = n_t + n_b
    if comb(total, n_t) <= n_boot:
        first = np.zeros((comb(total, n_t), total), dtype=bool)
        for row, chosen in enumerate(combinations(range(total), n_t)):
            first[row, list(chosen)] = True
    else:
        ranks = _rng(rng_seed, n_t, n_b, 2).permuted(np.tile(np.arange(total), (n_boot, 1)), axis=1)
        first = ranks < n_t
    return np.where(first, 1.0 / n_t, -1.0 / n_b), comb(total, n_t) <= n_boot


def _count_extreme(
    samples: np.ndarray, weights: np.ndarray, observed: np.ndarray, centre: np.ndarray,
    multiplicity: np.ndarray | None = None,
) -> np.ndarray:
    """Per row, how many replicates lie at least as far from ``centre`` as ``observed`` lies from 0.

    Ties count as extreme. ``multiplicity`` says how often each weight row was drawn.
    """
    counts = np.zeros(len(observed))
    threshold = np.abs(observed) - _TIE
    for part, reps in _replicates(samples, weights):
        reps -= centre[part, None]
        extreme = np.abs(reps, out=reps) >= threshold[part, None]
        counts[part] = extreme.sum(axis=1) if multiplicity is None else extreme @ multiplicity
    return counts


def _test_class(
    x: np.ndarray, y: np.ndarray, paired: bool, method: str, n_boot: int, rng_seed: int
) -> tuple[np.ndarray, str, float]:
    """p-values of one stack of cells, the test's name and the smallest p it can produce."""
    (rows, n_t), n_b = x.shape, y.shape[1]
    if paired:
        samples = x - y
        observed = _row_mean(samples)
    else:
        samples = np.hstack([x, y])
        observed = _row_mean(x) - _row_mean(y)
    if method == "paired_bootstrap":
        rng = _rng(rng_seed, n_t, n_b, 3)
        if paired:
            # Few seeds give few distinct resamples: count each once, weighted by how often it was drawn.
            draws, multiplicity = np.unique(_bootstrap_counts(n_t, n_boot, rng), axis=0, return_counts=True)
            extreme = _count_extreme(samples, draws / n_t, observed, observed, multiplicity.astype(float))
            name = "paired bootstrap"
        else:
            extreme = _count_extreme(samples, _difference_weights(n_t, n_b, n_boot, rng), observed, observed)
            name = "two-sample bootstrap"
        return (extreme + 1) / (n_boot + 1), name, 1 / (n_boot + 1)
    if paired:
        flips, exact = _sign_flips(n_t, n_boot, rng_seed)
        weights, name = flips / n_t, "sign-flip permutation"
    else:
        weights, exact = _label_swaps(n_t, n_b, n_boot, rng_seed)
        name = "two-sample permutation"
    extreme = _count_extreme(samples, weights, observed, np.zeros(rows))
    if exact:
        # Flipping every sign (or swapping equal-sized groups) mirrors the observed statistic.
        floor = (2 if paired or n_t == n_b else 1) / len(weights)
        return extreme / len(weights), name + " (exact)", floor
    return (extreme + 1) / (n_boot + 1), name + " (Monte Carlo)", 1 / (n_boot + 1)


def _adjust_within(
    frame: pd.DataFrame, p_values: np.ndarray, correction: str, family: Sequence[str] | None
) -> tuple[np.ndarray, np.ndarray]:
    """Adjusted p-values and the number of tests, per family of rows (one family if ``family`` is None)."""
    adjusted = np.full(len(frame), np.nan)
    size = np.zeros(len(frame), dtype=np.int64)
    families = frame.groupby(list(family), dropna=False, sort=False).indices.values() if family else [
        np.arange(len(frame))
    ]
    for rows in families:
        adjusted[rows] = adjust_pvalues(p_values[rows], correction)
        size[rows] = np.count_nonzero(~np.isnan(p_values[rows]))
    return adjusted, size


def significance(
    gains: pd.DataFrame,
    method: str = "paired_bootstrap",
    correction: str = "holm",
    alpha: float = 0.05,
    n_boot: int = 9999,
    rng_seed: int = 0,
    family: Sequence[str] | None = None,
) -> pd.DataFrame:
    """``gains`` (from ``gains_with_ci``) plus a two-sided p-value per cell, corrected across the grid.

    ``method='paired_bootstrap'`` resamples the per-seed differences (or, when the seeds do not
    match, each side) and asks how often a replicate lies as far from the observed gain as the
    gain lies from 0; ``'permutation'`` flips the signs of the per-seed differences (or permutes
    the treatment/baseline labels), exactly when there are at most ``n_boot`` arrangements.
    Adjusted p-values (Holm or BH) are computed within each ``family`` (column names; default: the
    whole frame); cells without a test (n=1, no baseline) are left out of the family. ``p_note``
    says when a test cannot reach ``alpha`` at all (e.g. an exact sign-flip test with 4 seeds: p >= 1/8).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    if correction not in CORRECTIONS:
        raise ValueError(f"correction must be one of {', '.join(CORRECTIONS)}, not {correction!r}")
    _check_fraction("alpha", alpha)
    _check_resampling(n_boot, rng_seed)
    _require(gains, ["gain", "n", "n_baseline", "paired", "values", "baseline_values", *(family or [])],
             "significance")
    out = gains.reset_index(drop=True).copy()
    n_t, n_b = out["n"].to_numpy(), out["n_baseline"].to_numpy()
    paired = out["paired"].to_numpy(dtype=bool)
    testable = out["gain"].notna().to_numpy() & (n_t >= 2) & (n_b >= 2)
    p_values = np.full(len(out), np.nan)
    tests = np.full(len(out), "none", dtype=object)
    floors = np.full(len(out), np.nan)
    classes = pd.DataFrame({"paired": paired, "n_t": n_t, "n_b": n_b})[testable]
    for (is_paired, size_t, size_b), cells in classes.groupby(["paired", "n_t", "n_b"]).groups.items():
        cells = cells.to_numpy()
        x = np.stack(out["values"].to_numpy()[cells]).reshape(len(cells), size_t)
        y = np.stack(out["baseline_values"].to_numpy()[cells]).reshape(len(cells), size_b)
        p_values[cells], tests[cells], floors[cells] = _test_class(x, y, bool(is_paired), method, n_boot, rng_seed)

    adjusted, family_size = _adjust_within(out, p_values, correction, family)
    unreachable = testable & (floors > alpha)
    floor_text = np.full(len(out), "", dtype=object)
    floor_text[unreachable] = [f"cannot reach p <= {alpha:g} with these seeds (smallest p = {f:.3g})"
                               for f in floors[unreachable]]
    out["p_value"] = p_values
    out["p_adjusted"] = adjusted
    out["significant"] = testable & (adjusted <= alpha)
    out["test"] = tests
    out["p_note"] = _join_notes(
        (~out["gain"].notna().to_numpy(), "no baseline: no test"),
        (out["gain"].notna().to_numpy() & ~testable, "n=1: no test"),
        (unreachable, floor_text),
        (testable & (method == "paired_bootstrap") & (np.minimum(n_t, n_b) < _FEW_SEEDS),
         "few seeds: bootstrap p-values tend to be too small"),
    )
    out["correction"] = correction
    out["alpha"] = alpha
    out["n_tests"] = family_size
    return out


# --------------------------------------------------------------------------- xtreme_average

#: Stands in for a missing seed where pandas would otherwise drop or mis-sort the group.
_UNSEEDED = -np.inf


def _task_metrics(task_id: str) -> tuple[str, ...]:
    """The metrics whose language averages make a task's score: F1 and EM for QA, else the primary one."""
    task = target_tasks()[task_id]
    return ("f1", "em") if task.group == _QA_GROUP else (task.primary,)


def _benchmark_cells(benchmark: str) -> pd.DataFrame:
    """Every (target_task, language, metric) the benchmark's scorer averages."""
    tasks = [t for t in target_tasks().values() if benchmark in t.languages_by_benchmark]
    if not tasks:
        known = sorted({b for t in target_tasks().values() for b in t.languages_by_benchmark})
        raise ValueError(f"unknown benchmark {benchmark!r}; known: {', '.join(known)}")
    records = [
        (task.id, language, metric)
        for task in tasks
        for language in task.languages_by_benchmark[benchmark]
        for metric in _task_metrics(task.id)
    ]
    return pd.DataFrame.from_records(records, columns=["target_task", "language", "metric"])


def _mean_intervals(
    groups: _Groups, confidence: float, n_boot: int, rng_seed: int,
    sink: Callable[[np.ndarray, np.ndarray], None] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mean over seeds per group with a percentile-bootstrap interval (and whether it has width 0).

    ``sink(group_indices, replicates)`` receives every chunk of replicate means.
    """
    mean, _ = _block_stats(groups)
    low, high = np.full(len(mean), np.nan), np.full(len(mean), np.nan)
    zero = np.zeros(len(mean), dtype=bool)
    tails = [0.5 - confidence / 2, 0.5 + confidence / 2]
    for size in sorted(set(groups.sizes[groups.sizes >= 2].tolist())):
        which = np.flatnonzero(groups.sizes == size)
        samples = groups.block(which, size, groups.values)
        weights = _bootstrap_counts(size, n_boot, _rng(rng_seed, size)) / size
        for part, reps in _replicates(samples, weights):
            low[which[part]], high[which[part]] = np.quantile(reps, tails, axis=1)
            if sink is not None:
                sink(which[part], reps)
        constant = which[_constant(samples)]
        low[constant] = high[constant] = mean[constant]
        zero[constant] = True
    return mean, low, high, zero


def _per_seed(rows: pd.DataFrame, benchmark: str) -> pd.DataFrame:
    """Per (run condition, task, seed): the language average of each metric and the task score.

    ``complete`` is True for a seed that has every language of every metric the score needs.
    """
    keys = [*RUN_CONDITION_COLUMNS, "target_task", "_seed"]
    per_language = rows.groupby([*keys, "metric", "language"], observed=True, sort=False)["value"].mean()
    per_metric = per_language.groupby(level=[*keys, "metric"], observed=True, sort=False).agg(["mean", "size"])
    per_metric = per_metric.reset_index().rename(columns={"mean": "value"})
    needed = per_metric["target_task"].map(lambda t: len(target_tasks()[t].languages_by_benchmark[benchmark]))
    per_metric["complete"] = per_metric["size"] == needed
    score = per_metric.groupby(keys, observed=True, sort=False).agg(
        value=("value", "mean"), complete=("complete", "all"), n_metrics=("metric", "size")
    ).reset_index()
    score["complete"] &= score["n_metrics"] == score["target_task"].map(lambda t: len(_task_metrics(t)))
    score["metric"] = "score"
    per_metric = per_metric.drop(columns="complete").merge(score[[*keys, "complete"]], on=keys)
    columns = [*keys, "metric", "value", "complete"]
    return pd.concat([per_metric[columns], score[columns]], ignore_index=True)


def _missing_languages(rows: pd.DataFrame, benchmark: str) -> str:
    """'k of N languages: missing …' for one task's rows (a language counts if every metric has it)."""
    task = rows["target_task"].iloc[0]
    expected = target_tasks()[task].languages_by_benchmark[benchmark]
    by_metric = rows.groupby("metric")["language"].agg(set)
    lacking = [lang for lang in expected if any(lang not in by_metric.get(m, set()) for m in _task_metrics(task))]
    shown = ", ".join(lacking[:8]) + (", …" if len(lacking) > 8 else "")
    return f"{len(expected) - len(lacking)} of {len(expected)} languages: missing {shown}"


def xtreme_average(
    results: pd.DataFrame, benchmark: str = "xtreme", confidence: float = 0.95, n_boot: int = 2000,
    rng_seed: int = 0,
) -> pd.DataFrame:
    """Language-averaged task scores and the overall score as XTREME's scorer computes them, with CIs.

    A task's score is the mean over its languages (the registry's ``languages_by_benchmark``),
    per seed; for QA tasks the F1 and EM averages are given and the task score (``metric='score'``)
    is their mean. A seed lacking a language is left out (the note says which); a task without a
    complete seed gets NaN and the missing languages. The overall score (``target_task`` =
    ``BENCHMARK_AVERAGE``) is the mean of the task scores, given only when every task of the
    benchmark has one. Intervals are percentile bootstraps over seeds: a task's seeds are resampled
    jointly across its languages and metrics, and the task replicates are averaged into the overall
    one (tasks with the same seeds share draws, which keeps any correlation from a shared
    intermediate checkpoint). Published means over languages (``language='avg'``) are not re-averaged.
    """
    _require(results, [*CONDITION_COLUMNS, "value", "seed"], "xtreme_average")
    _check_fraction("confidence", confidence)
    _check_resampling(n_boot, rng_seed)
    cells = _benchmark_cells(benchmark)
    bench_tasks = list(dict.fromkeys(cells["target_task"]))
    rows = results.merge(cells, on=["target_task", "language", "metric"], how="inner")
    rows["_seed"] = np.nan_to_num(_seeds(rows), nan=_UNSEEDED)
    per_seed = _per_seed(rows, benchmark)
    task_keys = [*RUN_CONDITION_COLUMNS, "target_task"]
    usable = per_seed[per_seed["complete"]].rename(columns={"_seed": "seed"})
    groups = _group(usable, [*task_keys, "metric"])

    # Overall replicates only for runs whose every task has a score from two or more seeds.
    scores = groups.keys.assign(n=groups.sizes)[groups.keys["metric"] == "score"]
    eligible = scores[scores["n"] >= 2].groupby(RUN_CONDITION_COLUMNS, observed=True, sort=False).size()
    eligible = eligible[eligible == len(bench_tasks)].reset_index()[RUN_CONDITION_COLUMNS]
    slot = groups.keys.merge(eligible.assign(_slot=np.arange(len(eligible))), on=RUN_CONDITION_COLUMNS, how="left")
    slot = np.where(groups.keys["metric"] == "score", slot["_slot"].fillna(-1), -1).astype(np.intp)
    overall_reps = np.zeros((len(eligible), n_boot))

    def accumulate(which: np.ndarray, reps: np.ndarray) -> None:
        into = slot[which] >= 0
        np.add.at(overall_reps, slot[which][into], reps[into] / len(bench_tasks))

    mean, low, high, zero = _mean_intervals(groups, confidence, n_boot, rng_seed, accumulate)
    stats = groups.keys.assign(value=mean, ci_low=low, ci_high=high, n=groups.sizes, _zero=zero)
    tasks = per_seed[[*task_keys, "metric"]].drop_duplicates().merge(stats, on=[*task_keys, "metric"], how="left")
    tasks["n"] = tasks["n"].fillna(0).astype(int)
    tasks["_zero"] = tasks["_zero"].eq(True)
    tasks["n_languages"] = tasks["target_task"].map(
        lambda t: len(target_tasks()[t].languages_by_benchmark[benchmark])
    )
    tasks["note"] = _task_notes(tasks, rows, per_seed, benchmark)
    overall = _overall(tasks, eligible, overall_reps, bench_tasks, confidence)
    out = pd.concat([tasks, overall], ignore_index=True)
    task_rank = {t: i for i, t in enumerate([*bench_tasks, BENCHMARK_AVERAGE])}
    metric_rank = {m: i for i, m in enumerate([*dict.fromkeys(cells["metric"]), "score"])}
    out = out.assign(
        _run=out.groupby(RUN_CONDITION_COLUMNS, observed=True, sort=False).ngroup(),
        _task=out["target_task"].map(task_rank),
        _metric=out["metric"].map(metric_rank),
    ).sort_values(["_run", "_task", "_metric"], ignore_index=True)
    out.insert(0, "benchmark", benchmark)
    out["confidence"] = confidence
    out["n_languages"] = out["n_languages"].astype("Int64")
    return out[["benchmark", *task_keys, "metric", "value", "ci_low", "ci_high", "n", "n_languages", "note",
                "confidence"]]


def _task_notes(tasks: pd.DataFrame, rows: pd.DataFrame, per_seed: pd.DataFrame, benchmark: str) -> np.ndarray:
    """Why a task's number is missing, rests on fewer seeds, or has no interval."""
    task_keys = [*RUN_CONDITION_COLUMNS, "target_task"]
    empty = (tasks["n"] == 0).to_numpy()
    missing = np.full(len(tasks), "", dtype=object)
    if empty.any():
        by_task = {key: _missing_languages(group, benchmark) for key, group in rows.groupby(task_keys, sort=False)}
        missing[empty] = [by_task[tuple(k)] for k in tasks.loc[empty, task_keys].itertuples(index=False)]
    dropped = np.full(len(tasks), "", dtype=object)
    lacking = per_seed[(per_seed["metric"] == "score") & ~per_seed["complete"]]
    if len(lacking):
        seeds = lacking.groupby(task_keys, observed=True, sort=False)["_seed"].agg(
            lambda s: ", ".join("unseeded" if v == _UNSEEDED else str(int(v)) for v in sorted(s))
        )
        seeds = tasks[task_keys].merge(seeds.rename("_seeds").reset_index(), on=task_keys, how="left")["_seeds"]
        has = seeds.notna().to_numpy() & ~empty
        dropped[has] = "seeds lacking languages left out: " + seeds[has].astype(object)
    return _join_notes(
        (empty, missing),
        (dropped != "", dropped),
        ((tasks["n"] == 1).to_numpy(), _NO_INTERVAL),
        (tasks["_zero"].to_numpy(dtype=bool), _ZERO_VARIANCE),
    )


def _overall(
    tasks: pd.DataFrame, eligible: pd.DataFrame, reps: np.ndarray, bench_tasks: list[str], confidence: float
) -> pd.DataFrame:
    """One overall row per run condition: the mean task score when every task has one, else NaN and why."""
    scores = tasks[tasks["metric"] == "score"]
    overall = scores.groupby(RUN_CONDITION_COLUMNS, observed=True, sort=False).agg(
        value=("value", "mean"), n=("n", "min"), _scored=("value", "count"), _zero=("_zero", "all"),
        _present=("target_task", list),
    ).reset_index()
    unscored = scores[scores["value"].isna()].groupby(RUN_CONDITION_COLUMNS, observed=True, sort=False)
    unscored = unscored["target_task"].agg(", ".join).rename("_unscored").reset_index()
    overall = overall.merge(unscored, on=RUN_CONDITION_COLUMNS, how="left")
    absent = overall["_present"].map(lambda present: ", ".join(t for t in bench_tasks if t not in present))
    complete = (overall["_scored"] == len(bench_tasks)).to_numpy()
    overall["value"] = overall["value"].where(complete)
    overall["ci_low"], overall["ci_high"] = np.nan, np.nan
    slot = overall[RUN_CONDITION_COLUMNS].merge(
        eligible.assign(_slot=np.arange(len(eligible))), on=RUN_CONDITION_COLUMNS, how="left"
    )["_slot"]
    has = slot.notna().to_numpy()
    if has.any():
        bounds = np.quantile(reps, [0.5 - confidence / 2, 0.5 + confidence / 2], axis=1)
        overall.loc[has, "ci_low"] = bounds[0][slot[has].astype(int)]
        overall.loc[has, "ci_high"] = bounds[1][slot[has].astype(int)]
    constant = complete & overall["_zero"].to_numpy(dtype=bool)
    overall.loc[constant, "ci_low"] = overall.loc[constant, "value"]
    overall.loc[constant, "ci_high"] = overall.loc[constant, "value"]
    overall["note"] = _join_notes(
        ((absent != "").to_numpy(), ("missing tasks: " + absent).to_numpy(dtype=object)),
        (overall["_unscored"].notna().to_numpy(),
         ("no task score for: " + overall["_unscored"].fillna("")).to_numpy(dtype=object)),
        (complete & overall["ci_low"].isna().to_numpy(), "a task has n=1: no interval"),
        (constant, _ZERO_VARIANCE),
    )
    overall["target_task"] = BENCHMARK_AVERAGE
    overall["metric"] = "score"
    overall["n_languages"] = pd.NA
    return overall.drop(columns=["_scored", "_zero", "_present", "_unscored"])
