"""An experiment composed on the Runs page, as a run config: a saved config's settings (hyperparameters,
limits, data, outputs) with the grid replaced by the chosen model, intermediate tasks, targets and seeds."""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from typing import Any

import yaml

from pipeline.tasks import BASELINE, get_target_task


def parse_seeds(text: str) -> list[int]:
    """'1, 2 3' -> [1, 2, 3] (ValueError on anything else)."""
    parts = [p for p in re.split(r"[\s,]+", text.strip()) if p]
    if not parts or not all(re.fullmatch(r"-?\d+", p) for p in parts):
        raise ValueError(f"seeds must be whole numbers separated by commas, not {text!r}")
    return [int(p) for p in parts]


def compose(base: dict[str, Any], name: str, model: str, intermediate_tasks: Sequence[str], mixture: bool,
            intermediate_languages: Sequence[str], mlm: bool, baseline: bool, targets: Sequence[str],
            languages: Sequence[str], seeds: Sequence[int]) -> dict[str, Any]:
    """The config (a mapping for YAML) of the chosen grid on top of ``base``.

    Each intermediate task is its own condition, or all of them one mixture (``mixture``); target
    languages are the chosen ones each task has (empty: each task's default list).
    """
    raw = copy.deepcopy(base)
    conditions: list[Any] = [BASELINE] if baseline else []
    spec = {"languages": list(intermediate_languages or ["en"]), "mlm": mlm}
    if intermediate_tasks:
        groups = [list(intermediate_tasks)] if mixture else [[task] for task in intermediate_tasks]
        conditions += [{"tasks": group, **spec} for group in groups]
    if not conditions:
        raise ValueError("choose an intermediate task or include the baseline")
    if not targets:
        raise ValueError("choose at least one target task")
    base_targets = raw.get("targets") if isinstance(raw.get("targets"), dict) else {}
    chosen_targets: dict[str, Any] = {}
    for task_id in targets:
        entry = dict(base_targets.get(task_id) or {})
        entry.pop("languages", None)
        if languages:
            available = [lang for lang in languages if lang in get_target_task(task_id).languages]
            if not available:
                raise ValueError(f"{task_id} has none of the chosen languages {list(languages)}")
            entry["languages"] = available
        chosen_targets[task_id] = entry
    if model not in (raw.get("models") or []):
        raw["build_test_assets"] = False  # a tiny test model is built only where the base config names one
    raw.update(name=name, models=[model], intermediate=conditions, targets=chosen_targets, seeds=list(seeds))
    return raw


def to_yaml(raw: dict[str, Any]) -> str:
    return yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)
