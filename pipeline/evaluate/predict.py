"""Batched inference: rows sorted by length and padded per batch, outputs returned in the rows' order."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from datasets import Dataset

from pipeline.models.device import DeviceChoice
from pipeline.train.batching import pad_batch, row_lengths, sorted_batches

#: Turns a model's output for a batch into one array per row (padding removed).
RowOutputs = Callable[[object, dict[str, torch.Tensor]], list[np.ndarray]]


@torch.no_grad()
def predict(model: torch.nn.Module, rows: Dataset, outputs: RowOutputs, batch_size: int, device: DeviceChoice,
            pad_token_id: int) -> list[np.ndarray]:
    """``outputs`` of ``model`` for every row of ``rows`` (model-input columns only), in row order."""
    model.to(device.device).eval()
    columns = rows.to_dict()  # one read; per-batch (or per-row) access to the Arrow table is slow
    results: list[np.ndarray | None] = [None] * len(rows)
    for idx in sorted_batches(row_lengths(columns["input_ids"]), batch_size):
        picked = {name: [values[i] for i in idx] for name, values in columns.items()}
        batch = {k: v.to(device.device) for k, v in pad_batch(picked, pad_token_id).items()}
        with device.autocast():
            out = model(**batch)
        for i, value in zip(idx, outputs(out, batch)):
            results[i] = value
    return results


def _mask_lengths(batch: dict[str, torch.Tensor]) -> list[int]:
    return batch["attention_mask"].sum(dim=-1).tolist()


def logits_rows(out: object, batch: dict[str, torch.Tensor]) -> list[np.ndarray]:
    """Per-example logits (classification, multiple choice)."""
    return list(out.logits.float().cpu().numpy())


def token_logits_rows(out: object, batch: dict[str, torch.Tensor]) -> list[np.ndarray]:
    """Per-token logits of each row, without padding (tagging)."""
    logits = out.logits.float().cpu().numpy()
    return [logits[i, :n] for i, n in enumerate(_mask_lengths(batch))]


def span_logits_rows(out: object, batch: dict[str, torch.Tensor]) -> list[np.ndarray]:
    """(2, length) start/end logits of each window, without padding (span QA)."""
    starts, ends = out.start_logits.float().cpu().numpy(), out.end_logits.float().cpu().numpy()
    return [np.stack([starts[i, :n], ends[i, :n]]) for i, n in enumerate(_mask_lengths(batch))]


def mean_pooled(layer: int) -> RowOutputs:
    """Mean of hidden layer ``layer`` (0 = embeddings) over each row's non-padding tokens (retrieval)."""
    def rows(out: object, batch: dict[str, torch.Tensor]) -> list[np.ndarray]:
        hidden = out.hidden_states[layer].float()
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        return list(((hidden * mask).sum(dim=1) / mask.sum(dim=1)).cpu().numpy())

    return rows
