"""One row per evaluated example: what the model predicted, the gold answer, whether it was right, and the
attributes to bucket by (``features``), built from the same predictions and references the task is scored on.

Right or wrong is the task's own notion, per example: the label or retrieved sentence (classification,
multiple choice, Tatoeba), an exact match (QA; ``score`` keeps the question's token F1), every tag of the
sentence (tagging; ``tp``/``fp``/``fn`` keep the sentence's entity counts, so F1 over any set of sentences is
the task's micro F1 restricted to them). Summed over a language, the rows give back the stored scores.
BUCC (pairs mined from a whole corpus) and ranking tasks have no per-example unit here: they return None.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from pipeline.data.features.labels import label_id
from pipeline.data.spec import target_data
from pipeline.examples import features
from pipeline.metrics import score_task, scorer_name
from pipeline.metrics.tagging import chunks
from pipeline.tasks import get_target_task

if TYPE_CHECKING:  # importing them costs seconds; a CLI that only reads examples never needs them
    from datasets import Dataset
    from transformers import PreTrainedTokenizerBase

#: Columns of a run's predictions file (one row per example and evaluation condition).
PREDICTION_COLUMNS = ("language", "perturbation", "key", "prediction", "correct", "score", "tp", "fp", "fn")
#: Columns of the inputs file the predictions point to (the same for every run on the same data).
INPUT_COLUMNS = ("language", "perturbation", "key", "text", "text_pair", "gold", "label", "script", "words",
                 "tokens", "answer_words", "entity_types", "entity_length", "n_entities")
#: Scorers whose examples are scored one by one (the others return no records).
PER_EXAMPLE_SCORERS = frozenset({"accuracy", "seqeval", "squad", "mlqa"})
#: Separator of a pair's two texts or of choices when they are shown as one.
CHOICE_SEPARATOR = " | "


def has_examples(task_id: str) -> bool:
    """Whether ``task_id``'s predictions can be kept per example (not BUCC, not ranking tasks)."""
    task = get_target_task(task_id)
    return scorer_name(task) in PER_EXAMPLE_SCORERS and not (task.head == "retrieval" and task.primary != "accuracy")


def _names(values: Sequence[Any], label_names: Sequence[str] | None) -> list[str]:
    return [label_names[v] if label_names is not None and isinstance(v, int) else str(v) for v in values]


def _token_counts(tokenizer: PreTrainedTokenizerBase | None, texts: Sequence[str],
                  pairs: Sequence[str] | None = None) -> list[int | None]:
    """Sub-word tokens of each input (both texts of a pair), or None without a tokenizer."""
    if tokenizer is None or not texts:
        return [None] * len(texts)
    ids = tokenizer(list(texts), list(pairs) if pairs is not None else None, add_special_tokens=False,
                    truncation=False, verbose=False)["input_ids"]
    return [len(row) for row in ids]


def _classification(task_id: str, examples: Dataset, predictions: Sequence[int], references: Sequence[int],
                    lang: str) -> dict[str, Any]:
    data = target_data(get_target_task(task_id))
    names, n = data.label_names, data.num_labels
    if data.head == "multiple_choice":
        kept = [i for i, (choices, y) in enumerate(zip(examples["choices"], examples["label"]))
                if len(choices) == n and 0 <= label_id(y, names) < n]
        text = [examples["context"][i] for i in kept]
        pair = [CHOICE_SEPARATOR.join(examples["choices"][i]) for i in kept]
    else:
        kept = [i for i, y in enumerate(examples["label"]) if 0 <= label_id(y, names) < n]
        text = [examples["text_a"][i] for i in kept]
        pair = [examples["text_b"][i] for i in kept] if "text_b" in examples.column_names else None
    gold = _names(list(references), names)
    return {"key": [str(i) for i in kept], "text": text, "text_pair": pair, "gold": gold, "label": gold,
            "prediction": _names(list(predictions), names),
            "correct": [p == r for p, r in zip(predictions, references)]}


def _tagging(task_id: str, examples: Dataset, predictions: Sequence[Sequence[str]],
             references: Sequence[Sequence[str]], lang: str) -> dict[str, Any]:
    tp, fp, fn, attributes = [], [], [], []
    for pred, gold in zip(predictions, references):
        # The task scorer's chunks (metrics.tagging: XTREME's seqeval rules; UD-POS tags are runs of equal tags).
        predicted, true = chunks([pred]), chunks([gold])
        hits = len(predicted & true)
        tp.append(hits)
        fp.append(len(predicted) - hits)
        fn.append(len(true) - hits)
        attributes.append(features.entity_attributes(sorted(true, key=lambda e: e[1])))
    is_entity_task = any(tag.startswith(("B-", "I-")) for tag in target_data(get_target_task(task_id)).label_names)
    out = {"key": [str(i) for i in range(len(references))], "text": [" ".join(t) for t in examples["tokens"]],
           "gold": [" ".join(g) for g in references], "prediction": [" ".join(p) for p in predictions],
           "correct": [list(p) == list(g) for p, g in zip(predictions, references)], "tp": tp, "fp": fp, "fn": fn}
    if is_entity_task:
        out.update(entity_types=[a[0] for a in attributes], entity_length=[a[1] for a in attributes],
                   n_entities=[a[2] for a in attributes])
    return out


def _qa(task_id: str, examples: Dataset, predictions: dict[str, str], references: dict[str, Sequence[str]],
        lang: str) -> dict[str, Any]:
    keys = list(examples["id"])
    scores = [score_task(task_id, {k: predictions.get(k, "")}, {k: references[k]}, lang) for k in keys]
    golds = [list(references[k]) for k in keys]
    first = [g[0] if g else "" for g in golds]
    answer_scripts = features.scripts(first)
    return {"key": keys, "text": list(examples["question"]), "text_pair": list(examples["context"]),
            "gold": [CHOICE_SEPARATOR.join(g) for g in golds], "prediction": [predictions.get(k, "") for k in keys],
            "correct": [s["em"] == 100.0 for s in scores], "score": [s["f1"] / 100.0 for s in scores],
            "answer_words": features.word_counts(first, answer_scripts)}


def _retrieval(task_id: str, examples: Dataset, predictions: Sequence[int], references: Sequence[int],
               lang: str) -> dict[str, Any]:
    """Tatoeba: each English sentence (``target``) retrieves a foreign one (``source``)."""
    foreign, english = list(examples["source"]), list(examples["target"])
    predicted, gold = [int(p) for p in predictions], [int(r) for r in references]  # read from files: strings
    return {"key": [str(i) for i in gold], "text": [english[i] for i in gold], "gold": [foreign[i] for i in gold],
            "prediction": [foreign[p] for p in predicted], "correct": [p == r for p, r in zip(predicted, gold)]}


_BUILDERS = {"sentence_pair_classification": _classification, "multiple_choice": _classification,
             "token_tagging": _tagging, "span_qa": _qa, "retrieval": _retrieval}


def example_records(task_id: str, language: str, perturbation: str, examples: Dataset, predictions: Any,
                    references: Any, tokenizer: PreTrainedTokenizerBase | None = None) -> pd.DataFrame | None:
    """The rows (``PREDICTION_COLUMNS`` + ``INPUT_COLUMNS``) of one language under one evaluation condition, or
    None for a task without per-example predictions.

    ``examples`` are the canonical examples the predictions were made on (after the condition was applied).
    """
    if not has_examples(task_id):
        return None
    columns = _BUILDERS[get_target_task(task_id).head](task_id, examples, predictions, references, language)
    n = len(columns["key"])
    text = columns["text"]
    frame = pd.DataFrame({c: [None] * n for c in (*PREDICTION_COLUMNS, *INPUT_COLUMNS)})
    for column, values in columns.items():
        frame[column] = values
    frame["language"], frame["perturbation"] = language, perturbation
    frame["correct"] = frame["correct"].astype(bool)
    if columns.get("score") is None:
        frame["score"] = frame["correct"].astype(float)
    frame["script"] = features.scripts(text)
    frame["words"] = features.word_counts(text, frame["script"].tolist())
    # A pair's length counts both texts; a question is counted without its context (``text_pair`` there).
    is_pair = get_target_task(task_id).head in ("sentence_pair_classification", "multiple_choice")
    frame["tokens"] = _token_counts(tokenizer, text, columns.get("text_pair") if is_pair else None)
    return typed(frame)


#: Column types of a records frame (nullable where a task family has no such attribute).
DTYPES = {"language": "string", "perturbation": "string", "key": "string", "prediction": "string",
          "correct": "bool", "score": "float64", "tp": "Int32", "fp": "Int32", "fn": "Int32", "text": "string",
          "text_pair": "string", "gold": "string", "label": "string", "script": "string", "words": "Int32",
          "tokens": "Int32", "answer_words": "Int32", "entity_types": "string", "entity_length": "Int32",
          "n_entities": "Int32"}


def typed(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the records' column types (empty columns included)."""
    return frame.astype({c: t for c, t in DTYPES.items() if c in frame.columns})


def empty_records() -> pd.DataFrame:
    """A records frame with no rows (a condition that left no example to score)."""
    return typed(pd.DataFrame({c: pd.Series([], dtype=object) for c in DTYPES}))
