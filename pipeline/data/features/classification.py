"""Sentence(-pair) classification inputs: ``text_a`` [+ ``text_b``] -> ids, ``label`` -> ``labels``."""

from __future__ import annotations

from collections.abc import Sequence

from datasets import Dataset
from transformers import PreTrainedTokenizerBase

from pipeline.data.features.labels import label_id


def encode(ds: Dataset, tokenizer: PreTrainedTokenizerBase, max_length: int, label_names: Sequence[str] | None,
           num_labels: int) -> Dataset:
    """Tokenised pairs with integer labels; examples without a valid label are dropped."""
    def fn(batch: dict) -> dict:
        enc = tokenizer(batch["text_a"], batch.get("text_b"), truncation=True, max_length=max_length)
        enc["labels"] = [label_id(v, label_names) for v in batch["label"]]
        return dict(enc)

    out = ds.map(fn, batched=True, remove_columns=ds.column_names)
    return out.filter(lambda b: [0 <= y < num_labels for y in b["labels"]], batched=True)
