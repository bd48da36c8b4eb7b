"""Predictions and references of one head on one canonical dataset, in the forms ``pipeline.metrics`` scores:
label ids (classification, multiple choice), per-sentence tag names (tagging), ``{id: answer}`` and
``{id: [gold answers]}`` (span QA)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from datasets import Dataset
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from pipeline.data.features import classification, multiple_choice, qa, tagging
from pipeline.data.features.labels import IGNORE, label_id
from pipeline.evaluate.predict import logits_rows, predict, span_logits_rows, token_logits_rows
from pipeline.models.device import DeviceChoice

INPUTS = ["input_ids", "attention_mask"]


def _tag_names(tags: Sequence[Any], names: Sequence[str]) -> list[str]:
    return [t if isinstance(t, str) else names[label_id(t, names)] for t in tags]


def predictions_and_references(head: str, model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase,
                               examples: Dataset, max_length: int, label_names: Sequence[str] | None,
                               num_labels: int | None, batch_size: int, device: DeviceChoice) -> tuple[Any, Any]:
    """(predictions, references) of ``model`` on ``examples`` (canonical columns of ``head``)."""
    run = dict(batch_size=batch_size, device=device, pad_token_id=tokenizer.pad_token_id)
    if head in ("sentence_pair_classification", "multiple_choice"):
        encoder = classification if head == "sentence_pair_classification" else multiple_choice
        rows = encoder.encode(examples, tokenizer, max_length, label_names, num_labels)
        logits = predict(model, rows.select_columns(INPUTS), logits_rows, **run)
        return [int(row.argmax()) for row in logits], list(rows["labels"])
    if head == "token_tagging":
        rows = tagging.encode(examples, tokenizer, max_length, label_names)
        logits = predict(model, rows.select_columns(INPUTS), token_logits_rows, **run)
        predictions = []
        for row, labels, words, n_words in zip(logits, rows["labels"], rows["word_index"], rows["n_words"]):
            tags = [label_names[0]] * n_words  # words lost to truncation
            positions = [i for i, y in enumerate(labels) if y != IGNORE]
            for position, word in zip(positions, words):
                tags[word] = label_names[int(row[position].argmax())]
            predictions.append(tags)
        return predictions, [_tag_names(tags, label_names) for tags in examples["tags"]]
    if head == "span_qa":
        features = qa.encode_eval(examples, tokenizer, max_length)
        logits = predict(model, features.select_columns(INPUTS), span_logits_rows, **run)
        answers = qa.best_answers(examples, features, [x[0] for x in logits], [x[1] for x in logits])
        return answers, {i: list(texts) for i, texts in zip(examples["id"], examples["answer_text"])}
    raise ValueError(f"no evaluation for head {head!r}")
