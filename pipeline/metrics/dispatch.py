"""Score a target task by what the registry says about it, so no caller picks a metric by hand.

A task's scorer is its registry entry's ``scorer`` key when present, otherwise ``METRICS_BY_HEAD`` looked up
by (head, primary-metric family): XQuAD/TyDiQA (span_qa + f1) get SQuAD scoring, BUCC (retrieval + f1) pair
F1, Tatoeba (retrieval + accuracy) accuracy over retrieved indices, Mewsli-X (retrieval + map@k) mAP@k.
MLQA shares XQuAD's head and metrics, so its entry must say ``scorer: mlqa``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pipeline.metrics.bucc import bucc_f1
from pipeline.metrics.classification import accuracy
from pipeline.metrics.qa import mlqa_f1_em, squad_f1_em
from pipeline.metrics.ranking import map_at_k
from pipeline.metrics.tagging import seqeval_f1
from pipeline.tasks import TargetTask, get_target_task

#: A scorer takes (predictions, references, answer language, the task's metric names) -> {metric: 0–100}.
Scorer = Callable[[Any, Any, str | None, tuple[str, ...]], dict[str, float]]

_MAP_AT = re.compile(r"map@(\d+)")


def _score_accuracy(predictions: Any, references: Any, lang: str | None, metrics: tuple[str, ...]) -> dict[str, float]:
    return {"accuracy": accuracy(predictions, references)}


def _score_seqeval(predictions: Any, references: Any, lang: str | None, metrics: tuple[str, ...]) -> dict[str, float]:
    return seqeval_f1(predictions, references)


def _score_squad(predictions: Any, references: Any, lang: str | None, metrics: tuple[str, ...]) -> dict[str, float]:
    return squad_f1_em(predictions, references)


def _score_mlqa(predictions: Any, references: Any, lang: str | None, metrics: tuple[str, ...]) -> dict[str, float]:
    return mlqa_f1_em(predictions, references, lang)


def _score_bucc(predictions: Any, references: Any, lang: str | None, metrics: tuple[str, ...]) -> dict[str, float]:
    return bucc_f1(set(predictions), set(references))


def _score_map(predictions: Any, references: Any, lang: str | None, metrics: tuple[str, ...]) -> dict[str, float]:
    return {m: map_at_k(predictions, references, k=int(match.group(1))) for m in metrics if (match := _MAP_AT.fullmatch(m))}


#: Scorers by name; a registry entry may name one with ``scorer:``.
SCORERS: dict[str, Scorer] = {
    "accuracy": _score_accuracy,
    "seqeval": _score_seqeval,
    "squad": _score_squad,
    "mlqa": _score_mlqa,
    "bucc": _score_bucc,
    "map": _score_map,
}

#: Default scorer name by (registry head, primary metric without its ``@k``).
METRICS_BY_HEAD: dict[tuple[str, str], str] = {
    ("sentence_pair_classification", "accuracy"): "accuracy",
    ("multiple_choice", "accuracy"): "accuracy",
    ("token_tagging", "f1"): "seqeval",
    ("span_qa", "f1"): "squad",
    ("retrieval", "f1"): "bucc",
    ("retrieval", "accuracy"): "accuracy",
    ("retrieval", "map"): "map",
}


def scorer_name(task: TargetTask) -> str:
    """Name of the scorer for ``task`` (its registry ``scorer`` key, else the head/metric default)."""
    name = task.extra.get("scorer") or METRICS_BY_HEAD.get((task.head, task.primary.split("@")[0]))
    if name not in SCORERS:
        raise ValueError(
            f"no scorer for task {task.id!r} (head {task.head!r}, primary metric {task.primary!r}, "
            f"scorer {task.extra.get('scorer')!r}); known scorers: {', '.join(SCORERS)}"
        )
    return name


def score_task(
    task_id: str, predictions: Any, references: Any, lang: str | None = None, extras: bool = False
) -> dict[str, float]:
    """The stored metrics of ``task_id`` (``{metric: 0–100}``, registry order) for one language's outputs.

    Those are the registry's ``metrics`` and then its ``detail_metrics`` (precision and recall for the tagging
    tasks and BUCC, as the XTREME scorer reports them). With ``extras=True`` any other number the scorer
    produces follows; those are not store metrics.

    Inputs per scorer: accuracy — label lists (Tatoeba: retrieved and gold indices); seqeval — per-sentence tag
    lists; squad/mlqa — ``{qid: answer}`` and ``{qid: [gold answers]}``; bucc — predicted and gold
    ``(src_id, tgt_id)`` pairs; map — ranked id lists and gold id sets. ``lang`` is required for MLQA and, when
    given, must be one of the task's languages.
    """
    task = get_target_task(task_id)
    if lang is not None and lang not in task.languages:
        raise ValueError(f"language {lang!r} is not a language of {task_id!r}: {', '.join(task.languages)}")
    name = scorer_name(task)
    scores = SCORERS[name](predictions, references, lang, task.metrics)
    missing = [m for m in task.stored_metrics if m not in scores]
    if missing:
        raise ValueError(f"scorer {name!r} of task {task_id!r} does not produce the registry metrics {missing}")
    ordered = {metric: scores[metric] for metric in task.stored_metrics}
    if extras:
        ordered.update((name, value) for name, value in scores.items() if name not in ordered)
    return ordered
