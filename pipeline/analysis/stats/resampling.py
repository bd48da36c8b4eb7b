"""Bootstrap and permutation replicates as matrix products, drawn once per sample size.

A replicate statistic of every cell is ``samples @ weights.T``; the weight matrices (resampling
counts) depend only on ``rng_seed`` and the sample sizes, so a cell's interval does not change when
other cells are added to the frame. Products are computed in chunks to bound memory.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

#: Replicate-matrix cells computed at once (bounds memory at ~32 MB per chunk).
_CHUNK_CELLS = 4_000_000


def bootstrap_counts(n: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """(n_boot, n) resampling counts: replicate means are ``samples @ counts.T / n``."""
    return rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(float)


def _chunks(rows: int, width: int) -> Iterator[slice]:
    step = max(1, _CHUNK_CELLS // max(width, 1))
    for start in range(0, rows, step):
        yield slice(start, min(rows, start + step))


def replicate_chunks(samples: np.ndarray, weights: np.ndarray) -> Iterator[tuple[slice, np.ndarray]]:
    """Chunks of ``samples @ weights.T``: one replicate statistic per column, one cell per row."""
    for part in _chunks(len(samples), len(weights)):
        yield part, samples[part] @ weights.T


def difference_weights(n_t: int, n_b: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """(n_boot, n_t+n_b) weights whose product with [x, y] is a bootstrap replicate of mean(x) − mean(y)."""
    return np.hstack([bootstrap_counts(n_t, n_boot, rng) / n_t, -bootstrap_counts(n_b, n_boot, rng) / n_b])


def seeded_rng(rng_seed: int, *sizes: int) -> np.random.Generator:
    return np.random.default_rng([rng_seed, *sizes])
