"""Training rows of a head from a canonical dataset: model inputs and the head's labels, nothing else."""

from __future__ import annotations

from collections.abc import Sequence

from datasets import Dataset
from transformers import PreTrainedTokenizerBase

from pipeline.data.features import classification, multiple_choice, qa, tagging

#: Columns each head's model takes in training.
TRAIN_COLUMNS = {
    "sentence_pair_classification": ["input_ids", "attention_mask", "labels"],
    "multiple_choice": ["input_ids", "attention_mask", "labels"],
    "token_tagging": ["input_ids", "attention_mask", "labels"],
    "span_qa": ["input_ids", "attention_mask", "start_positions", "end_positions"],
}


def training_rows(head: str, examples: Dataset, tokenizer: PreTrainedTokenizerBase, max_length: int,
                  label_names: Sequence[str] | None, num_labels: int | None) -> Dataset:
    """Model-ready rows of ``examples`` for ``head`` (unpadded)."""
    if head == "sentence_pair_classification":
        rows = classification.encode(examples, tokenizer, max_length, label_names, num_labels)
    elif head == "multiple_choice":
        rows = multiple_choice.encode(examples, tokenizer, max_length, label_names, num_labels)
    elif head == "token_tagging":
        rows = tagging.encode(examples, tokenizer, max_length, label_names)
    elif head == "span_qa":
        rows = qa.encode_train(examples, tokenizer, max_length)
    else:
        raise ValueError(f"no training rows for head {head!r}")
    return rows.select_columns(TRAIN_COLUMNS[head])
