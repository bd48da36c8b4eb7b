"""Two-sided p-values for gains: paired/two-sample bootstrap or exact/Monte Carlo permutation tests."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations, product
from math import comb

import numpy as np
import pandas as pd

from pipeline.analysis.stats.checks import check_fraction, check_resampling, require_columns
from pipeline.analysis.stats.grouping import row_mean
from pipeline.analysis.stats.multiple_testing import CORRECTIONS, adjust_within
from pipeline.analysis.stats.notes import FEW_SEEDS, join_notes
from pipeline.analysis.stats.resampling import bootstrap_counts, difference_weights, replicate_chunks, seeded_rng

METHODS = ("paired_bootstrap", "permutation")
#: Two statistics closer than this (on the 0–100 scale) count as tied.
_TIE = 1e-9


def _sign_flips(n: int, n_boot: int, rng_seed: int) -> tuple[np.ndarray, bool]:
    """(K, n) matrix of ±1: every assignment when 2^n <= n_boot (exact test), else n_boot random ones."""
    if 2**n <= n_boot:
        return np.array(list(product((1.0, -1.0), repeat=n))), True
    return seeded_rng(rng_seed, n, 0, 1).choice((1.0, -1.0), size=(n_boot, n)), False


def _label_swaps(n_t: int, n_b: int, n_boot: int, rng_seed: int) -> tuple[np.ndarray, bool]:
    """(K, n_t+n_b) weights giving mean(first group) − mean(second) for every split (exact) or n_boot random ones."""
    total = n_t + n_b
    if comb(total, n_t) <= n_boot:
        first = np.zeros((comb(total, n_t), total), dtype=bool)
        for row, chosen in enumerate(combinations(range(total), n_t)):
            first[row, list(chosen)] = True
    else:
        ranks = seeded_rng(rng_seed, n_t, n_b, 2).permuted(np.tile(np.arange(total), (n_boot, 1)), axis=1)
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
    for part, reps in replicate_chunks(samples, weights):
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
        observed = row_mean(samples)
    else:
        samples = np.hstack([x, y])
        observed = row_mean(x) - row_mean(y)
    if method == "paired_bootstrap":
        rng = seeded_rng(rng_seed, n_t, n_b, 3)
        if paired:
            # Few seeds give few distinct resamples: count each once, weighted by how often it was drawn.
            draws, multiplicity = np.unique(bootstrap_counts(n_t, n_boot, rng), axis=0, return_counts=True)
            extreme = _count_extreme(samples, draws / n_t, observed, observed, multiplicity.astype(float))
            name = "paired bootstrap"
        else:
            extreme = _count_extreme(samples, difference_weights(n_t, n_b, n_boot, rng), observed, observed)
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
    check_fraction("alpha", alpha)
    check_resampling(n_boot, rng_seed)
    require_columns(gains, ["gain", "n", "n_baseline", "paired", "values", "baseline_values", *(family or [])],
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

    adjusted, family_size = adjust_within(out, p_values, correction, family)
    unreachable = testable & (floors > alpha)
    floor_text = np.full(len(out), "", dtype=object)
    floor_text[unreachable] = [f"cannot reach p <= {alpha:g} with these seeds (smallest p = {f:.3g})"
                               for f in floors[unreachable]]
    out["p_value"] = p_values
    out["p_adjusted"] = adjusted
    out["significant"] = testable & (adjusted <= alpha)
    out["test"] = tests
    out["p_note"] = join_notes(
        (~out["gain"].notna().to_numpy(), "no baseline: no test"),
        (out["gain"].notna().to_numpy() & ~testable, "n=1: no test"),
        (unreachable, floor_text),
        (testable & (method == "paired_bootstrap") & (np.minimum(n_t, n_b) < FEW_SEEDS),
         "few seeds: bootstrap p-values tend to be too small"),
    )
    out["correction"] = correction
    out["alpha"] = alpha
    out["n_tests"] = family_size
    return out
