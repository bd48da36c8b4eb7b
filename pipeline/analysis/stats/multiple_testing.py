"""Multiple-comparison corrections: Holm (family-wise error) and Benjamini–Hochberg (false discovery rate)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

CORRECTIONS = ("holm", "bh")


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


def adjust_within(
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
