"""The summary ``score`` prints and writes as JSON: per-language scores and the benchmark's averages.

Averages are the official scorer's, computed once in ``pipeline.analysis`` (``stats.xtreme_average`` for
task scores and the overall score, ``benchmark_summary.group_averages`` for groups): a task's average needs
all of its benchmark languages, a group all of its tasks, the overall score every task. Precision and
recall (tagging, BUCC) are averaged over the task's languages as the official scorer prints them, never
into the task score. A benchmark whose official task list holds a task no prediction file can score
(XTREME-R's LAReQA, ``pipeline/tasks/benchmarks.yaml``) gets no overall score — evaluate.py never prints
one — and the mean of the scored tasks is labelled "partial, not comparable to the leaderboard".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from pipeline.analysis.benchmark_summary import SCORE, group_averages
from pipeline.analysis.stats import xtreme_average
from pipeline.scoring.folder import LanguageScore
from pipeline.tasks import BENCHMARK_AVERAGE, get_target_task, target_tasks, unscorable_tasks

#: Benchmarks whose averages ``score`` reports.
BENCHMARKS = ("xtreme", "xtreme-r")
PARTIAL = "partial, not comparable to the leaderboard"


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _detail_averages(task_id: str, scores: list[LanguageScore], benchmark: str) -> dict[str, float]:
    """Mean precision and recall over the task's benchmark languages, when every one of them was scored."""
    task = get_target_task(task_id)
    languages = task.languages_by_benchmark.get(benchmark, ())
    by_language = {s.language: s.metrics for s in scores}
    if not languages or any(lang not in by_language for lang in languages):
        return {}
    return {m: sum(by_language[lang][m] for lang in languages) / len(languages) for m in task.detail_metrics}


def _task_summary(task_id: str, scores: list[LanguageScore], averages: pd.DataFrame, benchmark: str) -> dict:
    task = get_target_task(task_id)
    summary: dict[str, Any] = {
        "task": task_id, "name": task.name, "group": task.group,
        "in_benchmark": benchmark in task.languages_by_benchmark,
        "n_languages": len(task.languages_by_benchmark.get(benchmark, ())) or None,
        "languages": {s.language: {"metrics": s.metrics, "extras": s.extras, "n": s.n_examples,
                                   "warnings": list(s.warnings), "predictions": s.files.name} for s in scores},
        "averages": {}, "score": None, "note": f"not part of {benchmark}: not averaged",
    }
    rows = averages[averages["target_task"] == task_id]
    if len(rows):
        summary["averages"] = {r.metric: _number(r.value) for r in rows.itertuples() if r.metric != SCORE}
        summary["averages"].update(_detail_averages(task_id, scores, benchmark))
        score = rows[rows["metric"] == SCORE].iloc[0]
        summary["score"] = _number(score["value"])
        summary["note"] = score["note"] if summary["score"] is None else ""
    return summary


def summarise(scores: Sequence[LanguageScore], rows: Sequence[dict], benchmark: str) -> dict:
    """The JSON-able summary of one scored folder; ``rows`` are its validated store rows."""
    averages = xtreme_average(pd.DataFrame(list(rows)), benchmark)
    groups = group_averages(averages)
    overall = averages[averages["target_task"] == BENCHMARK_AVERAGE]
    present = {s.task_id for s in scores}
    task_scores = averages[(averages["metric"] == SCORE) & (averages["target_task"] != BENCHMARK_AVERAGE)]
    official = _overall(overall, benchmark)
    return {
        "benchmark": benchmark,
        "tasks": [_task_summary(t, [s for s in scores if s.task_id == t], averages, benchmark)
                  for t in target_tasks() if t in present],
        "groups": {g.group: {"value": _number(g.value), "note": g.note} for g in groups.itertuples()},
        "overall": official,
        "partial": None if official["value"] is not None else _partial(task_scores["value"].dropna().tolist(),
                                                                         benchmark),
    }


def _overall(overall: pd.DataFrame, benchmark: str) -> dict:
    if overall.empty:
        return {"value": None, "note": f"no {benchmark} task among the scored files"}
    value = _number(overall["value"].iloc[0])
    notes = [] if value is not None else [overall["note"].iloc[0]]
    notes += [f"needs {why}" for why in unscorable_tasks(benchmark).values()]
    return {"value": None if len(notes) else value, "note": "; ".join(n for n in notes if n)}


def _partial(task_scores: list[float], benchmark: str) -> dict | None:
    """The mean of the scored tasks where no official overall score exists, labelled as not comparable."""
    if not task_scores:
        return None
    n_official = sum(benchmark in t.languages_by_benchmark for t in target_tasks().values())
    n_official += len(unscorable_tasks(benchmark))
    return {"value": sum(task_scores) / len(task_scores), "n_tasks": len(task_scores), "of": n_official,
            "note": PARTIAL}


def _cell(value: float | None, width: int = 8) -> str:
    return f"{'—' if value is None or math.isnan(value) else f'{value:.2f}':>{width}}"


def _with_note(text: str, note: str) -> str:
    return f"{text}  ({note})" if note else text


def _task_lines(task: dict) -> list[str]:
    first = next(iter(task["languages"].values()))
    columns = [*first["metrics"], *first["extras"]]
    lines = [f"{task['name']} · {task['group']}", "  " + f"{'lang':<8}" + "".join(f"{c:>10}" for c in columns)
             + f"{'n':>8}"]
    for lang, entry in task["languages"].items():
        values = {**entry["metrics"], **entry["extras"]}
        lines.append("  " + f"{lang:<8}" + "".join(_cell(values[c], 10) for c in columns) + f"{entry['n']:>8}")
        lines.extend(f"    ! {lang}: {warning}" for warning in entry["warnings"])
    if not task["in_benchmark"]:
        lines.append(f"  ({task['note']})")
        return lines
    if len(task["averages"]) > 1:
        lines.append("  " + f"{'average':<8}" + "".join(_cell(task["averages"].get(c), 10) for c in first["metrics"]))
    label = "task score (F1+EM)/2" if "em" in task["averages"] else "task score"
    lines.append(_with_note(f"  {label}: {_cell(task['score'], 0)}", task["note"]))
    return lines


def render(summary: dict) -> str:
    """The summary as the text ``score`` prints: a block per task, then groups and the overall score."""
    lines: list[str] = []
    for task in summary["tasks"]:
        lines.extend([*_task_lines(task), ""])
    benchmark = summary["benchmark"]
    for group, entry in summary["groups"].items():
        lines.append(_with_note(f"{benchmark} {group}: {_cell(entry['value'], 0)}", entry["note"]))
    lines.append(_with_note(f"{benchmark} overall: {_cell(summary['overall']['value'], 0)}",
                            summary["overall"]["note"]))
    partial = summary["partial"]
    if partial is not None:
        lines.append(f"{benchmark} mean of the {partial['n_tasks']} scored of {partial['of']} tasks: "
                     f"{_cell(partial['value'], 0)}  ({partial['note']})")
    return "\n".join(lines)
