"""The benchmark scorer's group averages, on top of ``stats.xtreme_average``'s task scores.

XTREME's ``evaluate.py`` reports a group's average (classification, structured prediction, QA, retrieval)
only when every task of the group has a score; the task scores and the overall average are
``xtreme_average``'s (task = mean over its languages, QA = mean of the F1 and EM averages, overall only
with every task). Groups are the registry's ``group`` of each task the benchmark lists, so XTREME-R, which
drops PAWS-X and BUCC, averages its own members, and reports XCOPA alone as ``multi_choice`` as its scorer
does (``pipeline/tasks/benchmarks.yaml``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.analysis.stats import RUN_CONDITION_COLUMNS
from pipeline.tasks import BENCHMARK_AVERAGE, extra_groups, target_tasks

SCORE = "score"


def benchmark_groups(benchmark: str) -> dict[str, list[str]]:
    """Group name -> the benchmark's tasks in it, in registry order, then the scorer's extra groups."""
    groups: dict[str, list[str]] = {}
    for task in target_tasks().values():
        if benchmark in task.languages_by_benchmark:
            groups.setdefault(task.group, []).append(task.id)
    if not groups:
        raise ValueError(f"unknown benchmark {benchmark!r}")
    return groups | {name: list(tasks) for name, tasks in extra_groups(benchmark).items()}


def group_averages(task_scores: pd.DataFrame) -> pd.DataFrame:
    """Per benchmark, run condition and group: the mean task score when every task of the group has one.

    ``task_scores`` is ``xtreme_average``'s output (its ``metric == 'score'`` rows are used). Columns:
    ``benchmark``, the run-condition columns, ``group``, ``value`` (NaN when a task is missing or has no
    score), ``n_tasks`` and ``note`` naming what is missing.
    """
    keys = ["benchmark", *RUN_CONDITION_COLUMNS]
    scores = task_scores[(task_scores["metric"] == SCORE) & (task_scores["target_task"] != BENCHMARK_AVERAGE)]
    records = []
    for key, rows in scores.groupby(keys, sort=False, dropna=False):
        by_task = dict(zip(rows["target_task"], rows["value"]))
        for group, tasks in benchmark_groups(key[0]).items():
            values = [by_task.get(t, np.nan) for t in tasks]
            absent = [t for t in tasks if t not in by_task]
            unscored = [t for t in tasks if t in by_task and pd.isna(by_task[t])]
            note = "; ".join(part for part in (
                f"missing tasks: {', '.join(absent)}" if absent else "",
                f"no task score for: {', '.join(unscored)}" if unscored else "") if part)
            value = float(np.mean(values)) if not note else np.nan
            records.append((*key, group, value, len(tasks), note))
    return pd.DataFrame.from_records(records, columns=[*keys, "group", "value", "n_tasks", "note"])
