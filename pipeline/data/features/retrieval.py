"""Retrieval inputs: each sentence tokenised on its own (its embedding is pooled from the encoder)."""

from __future__ import annotations

from collections.abc import Sequence

from datasets import Dataset
from transformers import PreTrainedTokenizerBase


def encode(sentences: Sequence[str], tokenizer: PreTrainedTokenizerBase, max_length: int) -> Dataset:
    """One row of ``input_ids``/``attention_mask`` per sentence, in order."""
    enc = tokenizer(list(sentences), truncation=True, max_length=max_length)
    return Dataset.from_dict(dict(enc))
