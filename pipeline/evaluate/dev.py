"""Dev scores that steer checkpoint selection (higher is better).

Target tasks are scored by their own registry metric (``pipeline.metrics.score_task``, English);
intermediate tasks, which the target-task scorers do not know, by their head's usual metric.
"""

from __future__ import annotations

from typing import Any

from pipeline.metrics import accuracy, score_task, squad_f1_em
from pipeline.tasks import get_target_task


def target_dev_score(task_id: str, predictions: Any, references: Any) -> float:
    """The task's primary metric on its English dev set (scored as English when English is one of the
    task's languages; XCOPA's English dev data comes from COPA, outside the task's language list)."""
    task = get_target_task(task_id)
    lang = "en" if "en" in task.languages else None
    return score_task(task_id, predictions, references, lang)[task.primary]


def intermediate_dev_score(head: str, predictions: Any, references: Any) -> float:
    """Accuracy (classification, multiple choice, per-token for tagging) or SQuAD F1 (span QA)."""
    if head == "span_qa":
        return squad_f1_em(predictions, references)["f1"]
    if head == "token_tagging":
        return accuracy([t for s in predictions for t in s], [t for s in references for t in s])
    return accuracy(predictions, references)
