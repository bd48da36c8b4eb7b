"""Masked-language-modelling inputs: one line of text per row (masking happens when batches are made)."""

from __future__ import annotations

from collections.abc import Sequence

from datasets import Dataset
from transformers import PreTrainedTokenizerBase


def encode(texts: Sequence[str], tokenizer: PreTrainedTokenizerBase, max_length: int) -> Dataset:
    """Non-empty lines of ``texts`` (Wikipedia articles hold one paragraph per line), truncated."""
    lines = [line.strip() for text in texts for line in text.split("\n") if line.strip()]
    enc = tokenizer(lines, truncation=True, max_length=max_length, return_special_tokens_mask=True)
    return Dataset.from_dict(dict(enc))
