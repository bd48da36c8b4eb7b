"""Turn the shipped transcription of published numbers into store rows.

``data/published/published_results.csv`` keeps every number as it was printed, with the printed
labels ("XLM-R Large", "PAWS-X", "ALL (mean over target languages)", deltas for Phang et al.'s
Table 2). This module maps those labels to canonical ids (models via ``models.csv``; tasks via the
registry's aliases), turns printed deltas into absolute values (keeping the delta), and links each
intermediate-task row to the baseline run it was compared with in its own source.
"""

from __future__ import annotations

import csv
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from pipeline.tasks import (
    BASELINE,
    BENCHMARK_AVERAGE,
    BEST_PER_TARGET,
    LANGUAGE_MEAN,
    multi_task_id,
    resolve_intermediate_label,
    resolve_target_label,
)

PUBLISHED_DIR = Path(__file__).resolve().parents[2] / "data" / "published"
RESULTS_CSV = PUBLISHED_DIR / "published_results.csv"
MODELS_CSV = PUBLISHED_DIR / "models.csv"
#: Phang et al.'s Table 1: each intermediate task's published training and dev sizes.
TASK_STATS_CSV = PUBLISHED_DIR / "intermediate_task_stats.csv"

_METRICS = {"acc": "accuracy", "F1": "f1", "EM": "em", "avg_of_task_scores": "score"}
#: Phang et al.'s multi-task mixture: "all available intermediate tasks but SQuAD" (Section 3).
_MULTI_ALL_BUT_SQUAD = multi_task_id(["anli_plus", "qqp", "hellaswag", "ccg", "cosmosqa", "commonsenseqa"])
_DELTA_KIND = "delta_vs_XLM-R_baseline_row"


class PublishedDataError(ValueError):
    """The shipped transcription contains a label this importer cannot map."""


def _slug(text: str) -> str:
    """URL-safe run label; '*' is kept as 'star' because ERNIE-M marks a different run with it."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower().replace("*", " star")).strip("-")


def _models() -> dict[str, dict[str, Any]]:
    with open(MODELS_CSV, encoding="utf-8") as fh:
        return {
            r["label"]: {"model": r["model"], "model_params": int(r["model_params"]) if r["model_params"] else None}
            for r in csv.DictReader(fh)
        }


def _intermediate(label: str) -> str:
    if label.startswith("none"):
        return BASELINE
    if label.startswith("best"):
        return BEST_PER_TARGET
    if label.startswith("Multi-task (all but SQuAD)"):
        return _MULTI_ALL_BUT_SQUAD
    task = resolve_intermediate_label(label)
    if task is None:
        raise PublishedDataError(f"unknown intermediate task label {label!r}")
    return task


def _target(label: str) -> str:
    if label == "Avg":
        return BENCHMARK_AVERAGE
    task = resolve_target_label(label)
    if task is None:
        raise PublishedDataError(f"unknown target task label {label!r}")
    return task


def _row(raw: dict[str, str], models: dict[str, dict[str, Any]]) -> dict[str, Any]:
    if raw["model"] not in models:
        raise PublishedDataError(f"model label {raw['model']!r} is missing from {MODELS_CSV.name}")
    model = models[raw["model"]]
    notes = (
        f"{raw['notes']} [printed as: {raw['target_task']} / {raw['language']} / {raw['metric']}; "
        f"aggregation: {raw['aggregation']}; n_languages: {raw['n_languages'] or 'n/a'}; "
        f"evidence: {raw['evidence']}; split as printed: {raw['split']}; transcription: {raw['file']}]"
    )
    return {
        "run_id": f"published:{raw['source_id']}/{_slug(raw['model'])}",
        "source": "published",
        "source_id": raw["source_id"],
        "provenance": f"{raw['source']} — {raw['provenance']}",
        "model": model["model"],
        "model_label": raw["model"],
        "model_params": model["model_params"],
        "intermediate_task": _intermediate(raw["intermediate_task"]),
        "intermediate_languages": "en",
        "mlm_cotraining": raw["mlm_cotraining"].startswith("yes"),
        "target_task": _target(raw["target_task"]),
        "language": LANGUAGE_MEAN if raw["language"].startswith("ALL") else raw["language"],
        "metric": _METRICS.get(raw["metric"], raw["metric"]),
        "split": "dev" if raw["split"] == "dev" else "test",
        "setting": raw["setting"],
        "seed": None,
        "perturbation": "none",
        "uncertain": raw["uncertain"] == "yes",
        "test_artifact": False,
        "notes": notes,
        # Kept as text until deltas are resolved against their baseline (exact decimal arithmetic).
        "_printed": raw["value"],
        "_is_delta": raw["value_kind"] == _DELTA_KIND,
        "_primary": raw["evidence"].startswith("primary"),
    }


def _comparison_key(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["source_id"], row["model"], row["target_task"], row["language"], row["metric"], row["split"],
            row["setting"])


def _link_baselines(rows: list[dict[str, Any]]) -> None:
    """Give every intermediate-task row the baseline run of its own source; resolve printed deltas.

    Where a source has several baseline runs of the same model (Phang et al. print both their own
    reimplementation and the XTREME paper's numbers), the authors' own (primary) row is the one their
    comparison was made against.
    """
    baselines: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in sorted((r for r in rows if r["intermediate_task"] == BASELINE), key=lambda r: not r["_primary"]):
        baselines.setdefault(_comparison_key(row), row)
    for row in rows:
        if row["intermediate_task"] == BASELINE:
            row["value"] = float(row["_printed"])
            continue
        base = baselines.get(_comparison_key(row))
        row["baseline_run_id"] = base["run_id"] if base else None
        if row["_is_delta"]:
            if base is None:
                raise PublishedDataError(f"printed delta without a baseline row: {_comparison_key(row)}")
            row["printed_delta"] = float(row["_printed"])
            row["value"] = float(Decimal(base["_printed"]) + Decimal(row["_printed"]))
        else:
            row["value"] = float(row["_printed"])


def published_rows(path: Path = RESULTS_CSV) -> list[dict[str, Any]]:
    """Every published number as a store row (absolute values, printed deltas kept, provenance per row)."""
    models = _models()
    with open(path, encoding="utf-8") as fh:
        rows = [_row(raw, models) for raw in csv.DictReader(fh)]
    _link_baselines(rows)
    return [{k: v for k, v in row.items() if not k.startswith("_")} for row in rows]
