"""Rows grouped into per-condition sample blocks, sorted by seed, so statistics are array operations.

Every statistic here works on groups: rows are grouped once and sorted by (group, seed), so each
group's samples are one contiguous block, and groups with the same sample size can be stacked into
a matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

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


@dataclass(frozen=True)
class Groups:
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
        return reduce_at(np.maximum, same, self.starts).astype(bool)


def seed_array(frame: pd.DataFrame) -> np.ndarray:
    return pd.to_numeric(frame["seed"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def group_rows(frame: pd.DataFrame, by: Sequence[str]) -> Groups:
    by = list(by)
    codes = frame.groupby(by, sort=False, dropna=False, observed=True).ngroup().to_numpy()
    seeds = seed_array(frame)
    order = np.lexsort((frame["value"].to_numpy(dtype=float), seeds, codes))
    sizes = np.bincount(codes, minlength=0) if len(codes) else np.zeros(0, dtype=np.intp)
    starts = np.cumsum(sizes) - sizes
    keys = frame.iloc[order[starts]][by].reset_index(drop=True)
    return Groups(keys, order, starts, sizes, frame["value"].to_numpy(dtype=float)[order], seeds[order])


def reduce_at(ufunc: np.ufunc, values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    return ufunc.reduceat(values, starts) if len(starts) else np.zeros(0, dtype=values.dtype)


def block_stats(groups: Groups) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sample std (ddof=1) per group; exact for constant groups, NaN std for n=1."""
    v, starts, n = groups.values, groups.starts, groups.sizes
    mean = reduce_at(np.add, v, starts) / np.maximum(n, 1)
    low, high = reduce_at(np.minimum, v, starts), reduce_at(np.maximum, v, starts)
    constant = low == high
    mean[constant] = low[constant]
    squares = reduce_at(np.add, (v - np.repeat(mean, n)) ** 2, starts)
    std = np.full(len(n), np.nan)
    many = n > 1
    std[many] = np.sqrt(squares[many] / (n[many] - 1))
    std[many & constant] = 0.0
    return mean, std


def row_mean(m: np.ndarray) -> np.ndarray:
    """Row means, exactly the common value for constant rows (so zero-variance checks stay exact)."""
    mean = m.mean(axis=1)
    constant = is_constant(m)
    mean[constant] = m[constant, 0]
    return mean


def is_constant(m: np.ndarray) -> np.ndarray:
    return m.min(axis=1) == m.max(axis=1)
