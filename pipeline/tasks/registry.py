"""The task registry: the one place that knows a task.

Tasks are declared in YAML beside this module (``target_tasks.yaml``, ``intermediate_tasks.yaml``),
in the spirit of lm-evaluation-harness task configs. Everything else asks the registry for a task's
languages, metrics, head and datasets instead of hard-coding them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

_HERE = Path(__file__).parent

#: Intermediate-task values that are not a single registry task.
BASELINE = "none"
MULTI_PREFIX = "multi:"
#: Published rows that report the best intermediate task per target task (Phang et al.'s X-STILTs).
BEST_PER_TARGET = "best_per_target"

#: Pseudo target task for a published benchmark average over task scores (the "Avg" column).
BENCHMARK_AVERAGE = "xtreme_avg"
#: The language code of a published mean over a task's languages.
LANGUAGE_MEAN = "avg"


@dataclass(frozen=True)
class TargetTask:
    """An XTREME / XTREME-R target task."""

    id: str
    name: str
    group: str
    head: str
    metrics: tuple[str, ...]
    primary: str
    max_seq_length: int
    languages_by_benchmark: dict[str, tuple[str, ...]]
    dataset: str | None = None
    config: str | None = None
    train_dataset: str | None = None
    train_config: str | None = None
    num_labels: int | None = None
    runnable: bool = True
    aliases: tuple[str, ...] = ()
    detail_metrics: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def stored_metrics(self) -> tuple[str, ...]:
        """The task's metrics, then its detail metrics (stored, never averaged into the task score)."""
        return (*self.metrics, *self.detail_metrics)

    @property
    def languages(self) -> tuple[str, ...]:
        """Union of the task's languages over benchmarks, in first-seen order."""
        seen: dict[str, None] = {}
        for langs in self.languages_by_benchmark.values():
            seen.update(dict.fromkeys(langs))
        return tuple(seen)


@dataclass(frozen=True)
class IntermediateTask:
    """An English intermediate task (STILTs phase 1)."""

    id: str
    name: str
    head: str
    metrics: tuple[str, ...]
    max_seq_length: int
    components: tuple[dict[str, Any], ...]
    batch_size: int
    epochs: int
    num_labels: int | None = None
    num_choices: int | None = None
    aliases: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


#: libyaml's safe loader where PyYAML was built with it (about ten times faster: every page and command reads
#: the registry once per process).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read(name: str) -> dict[str, dict[str, Any]]:
    with open(_HERE / name, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=SAFE_LOADER)  # noqa: S506 - a safe loader


def _split_known(cls: type, entry: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    known = set(cls.__dataclass_fields__)
    return ({k: v for k, v in entry.items() if k in known}, {k: v for k, v in entry.items() if k not in known})


@cache
def target_tasks() -> dict[str, TargetTask]:
    """All target tasks by id."""
    tasks = {}
    for task_id, entry in _read("target_tasks.yaml").items():
        entry = dict(entry)
        langs = {b: tuple(ls) for b, ls in entry.pop("languages").items()}
        entry["metrics"] = tuple(entry["metrics"])
        entry["aliases"] = tuple(entry.get("aliases", ()))
        entry["detail_metrics"] = tuple(entry.get("detail_metrics", ()))
        known, extra = _split_known(TargetTask, entry)
        tasks[task_id] = TargetTask(id=task_id, languages_by_benchmark=langs, extra=extra, **known)
    return tasks


@cache
def unscorable_tasks(benchmark: str) -> dict[str, str]:
    """Tasks of ``benchmark``'s official list that no prediction file can score (id -> why); see benchmarks.yaml."""
    return dict(_read("benchmarks.yaml").get(benchmark, {}).get("unscorable_tasks", {}))


@cache
def extra_groups(benchmark: str) -> dict[str, tuple[str, ...]]:
    """Groups the benchmark's scorer reports beyond the tasks' own (XTREME-R's multi_choice); benchmarks.yaml."""
    groups = _read("benchmarks.yaml").get(benchmark, {}).get("extra_groups", {})
    return {name: tuple(tasks) for name, tasks in groups.items()}


@cache
def intermediate_tasks() -> dict[str, IntermediateTask]:
    """All intermediate tasks by id."""
    tasks = {}
    for task_id, entry in _read("intermediate_tasks.yaml").items():
        entry = dict(entry)
        entry["metrics"] = tuple(entry["metrics"])
        entry["components"] = tuple(entry["components"])
        entry["aliases"] = tuple(entry.get("aliases", ()))
        known, extra = _split_known(IntermediateTask, entry)
        tasks[task_id] = IntermediateTask(id=task_id, extra=extra, **known)
    return tasks


def get_target_task(task_id: str) -> TargetTask:
    """The target task ``task_id``; a ValueError names the known ids otherwise."""
    try:
        return target_tasks()[task_id]
    except KeyError:
        raise ValueError(f"unknown target task {task_id!r}; known: {', '.join(sorted(target_tasks()))}") from None


def get_intermediate_task(task_id: str) -> IntermediateTask:
    """The intermediate task ``task_id``; a ValueError names the known ids otherwise."""
    try:
        return intermediate_tasks()[task_id]
    except KeyError:
        known = ", ".join(sorted(intermediate_tasks()))
        raise ValueError(f"unknown intermediate task {task_id!r}; known: {known}") from None


def _resolve(label: str, tasks: dict[str, TargetTask] | dict[str, IntermediateTask]) -> str | None:
    wanted = label.strip().casefold()
    for task in tasks.values():
        if wanted == task.id or wanted in (a.casefold() for a in task.aliases):
            return task.id
    return None


def resolve_target_label(label: str) -> str | None:
    """Registry id of a target task written as its id or one of its aliases (case-insensitive)."""
    return _resolve(label, target_tasks())


def resolve_intermediate_label(label: str) -> str | None:
    """Registry id of an intermediate task written as its id or one of its aliases (case-insensitive)."""
    return _resolve(label, intermediate_tasks())


def multi_task_id(task_ids: list[str]) -> str:
    """Canonical id of a multi-task mixture: ``multi:`` + sorted component ids."""
    for t in task_ids:
        get_intermediate_task(t)
    return MULTI_PREFIX + ",".join(sorted(set(task_ids)))


def validate_intermediate(value: str) -> None:
    """Raise ValueError unless ``value`` is ``none``, a registry id, ``multi:<ids>`` or the published best-per-task."""
    if value in (BASELINE, BEST_PER_TARGET):
        return
    if value.startswith(MULTI_PREFIX):
        parts = [p for p in value[len(MULTI_PREFIX):].split(",") if p]
        if not parts:
            raise ValueError(f"multi-task intermediate {value!r} names no task")
        for p in parts:
            get_intermediate_task(p)
        return
    get_intermediate_task(value)


@cache
def valid_languages(target_task: str) -> frozenset[str]:
    """Languages a result row may carry for ``target_task`` (its languages plus the published mean)."""
    if target_task == BENCHMARK_AVERAGE:
        return frozenset({LANGUAGE_MEAN})
    return frozenset(get_target_task(target_task).languages) | {LANGUAGE_MEAN}


@cache
def valid_metrics(target_task: str) -> frozenset[str]:
    """Metrics a result row may carry for ``target_task``."""
    if target_task == BENCHMARK_AVERAGE:
        return frozenset({"score"})
    return frozenset(get_target_task(target_task).stored_metrics)


@cache
def all_target_ids() -> tuple[str, ...]:
    """Target task ids in registry order, then the benchmark average."""
    return (*target_tasks(), BENCHMARK_AVERAGE)


def display_name(task_id: str) -> str:
    """Human name of a target or intermediate task id (falls back to the id)."""
    if task_id in target_tasks():
        return target_tasks()[task_id].name
    if task_id == BENCHMARK_AVERAGE:
        return "Avg"
    if task_id in intermediate_tasks():
        return intermediate_tasks()[task_id].name
    if task_id == BASELINE:
        return "Baseline (no intermediate task)"
    if task_id == BEST_PER_TARGET:
        return "Best per target task"
    if task_id.startswith(MULTI_PREFIX):
        parts = task_id[len(MULTI_PREFIX):].split(",")
        short = [intermediate_tasks()[p].aliases[0] if p in intermediate_tasks() else p for p in parts]
        return "Multi-task (" + ", ".join(short) + ")"
    return task_id
