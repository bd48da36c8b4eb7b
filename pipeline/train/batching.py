"""Dynamic padding and length-grouped batches.

Padding each batch only to its longest row, and putting rows of similar length together, is what makes
training and evaluation on variable-length data fast; the grouping is seeded so runs are reproducible.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from pipeline.data.features.labels import IGNORE

#: Value a padded position gets, per input field (``input_ids`` use the tokenizer's pad id).
_PAD_VALUES = {"attention_mask": 0, "token_type_ids": 0, "special_tokens_mask": 1, "labels": IGNORE}
#: Rows per sorting window, in batches: larger groups by length better, smaller keeps more randomness.
_MEGABATCH = 50


def _depth(value: object) -> int:
    depth = 0
    while isinstance(value, list):
        depth += 1
        value = value[0] if value else None
    return depth


def _pad(values: list, pad: int) -> torch.Tensor:
    """Stack nested lists, padding the innermost (sequence) dimension to the longest."""
    if _depth(values[0]) == 0:
        return torch.tensor(values)
    if _depth(values[0]) == 1:
        width = max(len(v) for v in values)
        return torch.tensor([list(v) + [pad] * (width - len(v)) for v in values])
    width = max(len(s) for v in values for s in v)  # multiple choice: (choices, length) per row
    return torch.tensor([[list(s) + [pad] * (width - len(s)) for s in v] for v in values])


def pad_batch(batch: dict[str, list], pad_token_id: int) -> dict[str, torch.Tensor]:
    """Tensors of a batch of rows (column -> per-row lists/ints), each padded to the batch's longest row."""
    return {key: _pad(values, pad_token_id if key == "input_ids" else _PAD_VALUES.get(key, 0))
            for key, values in batch.items()}


def row_lengths(input_ids: Sequence[list]) -> np.ndarray:
    """Length of each row (the longest choice for multiple choice)."""
    return np.array([max(map(len, ids)) if ids and isinstance(ids[0], list) else len(ids) for ids in input_ids])


def length_grouped_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """One epoch of batches: shuffled, then sorted by length inside windows of ``_MEGABATCH`` batches,
    then the batches shuffled again (so long and short batches alternate at random)."""
    order = rng.permutation(len(lengths))
    window = batch_size * _MEGABATCH
    batches = []
    for start in range(0, len(order), window):
        chunk = order[start : start + window]
        chunk = chunk[np.argsort(-lengths[chunk], kind="stable")]
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def sorted_batches(lengths: np.ndarray, batch_size: int) -> list[np.ndarray]:
    """Evaluation batches: rows sorted by length (longest first), so padding is minimal."""
    order = np.argsort(-lengths, kind="stable")
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
