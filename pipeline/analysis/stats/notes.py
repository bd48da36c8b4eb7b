"""The notes a reader of a number must see (no interval, zero variance, few seeds), joined per row."""

from __future__ import annotations

import numpy as np

NO_INTERVAL = "n=1: no interval"
ZERO_VARIANCE = "zero variance: interval of width 0"
#: Below this many seeds a percentile bootstrap is known to be too optimistic (intervals, p-values).
FEW_SEEDS = 5


def join_notes(*parts: tuple[np.ndarray, str | np.ndarray]) -> np.ndarray:
    """Per row, the texts whose mask is set, joined by '; '."""
    size = len(parts[0][0])
    notes = np.full(size, "", dtype=object)
    for mask, text in parts:
        texts = np.broadcast_to(np.asarray(text, dtype=object), (size,))
        add = mask & (notes != "")
        notes[add] = notes[add] + "; "
        notes[mask] = notes[mask] + texts[mask]
    return notes
