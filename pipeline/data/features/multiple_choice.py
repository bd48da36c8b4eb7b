"""Multiple-choice inputs: (context, choice) pairs for every choice of an example, one label per example."""

from __future__ import annotations

from collections.abc import Sequence

from datasets import Dataset
from transformers import PreTrainedTokenizerBase

from pipeline.data.features.labels import label_id


def encode(ds: Dataset, tokenizer: PreTrainedTokenizerBase, max_length: int, label_names: Sequence[str] | None,
           num_choices: int) -> Dataset:
    """Per example: ``input_ids``/``attention_mask`` of shape (choices, length) and the gold choice."""
    def fn(batch: dict) -> dict:
        out: dict[str, list] = {"input_ids": [], "attention_mask": [], "labels": []}
        for context, choices, label in zip(batch["context"], batch["choices"], batch["label"]):
            enc = tokenizer([context] * len(choices), list(choices), truncation=True, max_length=max_length)
            out["input_ids"].append(enc["input_ids"])
            out["attention_mask"].append(enc["attention_mask"])
            out["labels"].append(label_id(label, label_names))
        return out

    out = ds.filter(lambda b: [len(c) == num_choices for c in b["choices"]], batched=True)
    out = out.map(fn, batched=True, remove_columns=out.column_names)
    return out.filter(lambda b: [0 <= y < num_choices for y in b["labels"]], batched=True)
