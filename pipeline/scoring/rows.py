"""Results-store rows for scored prediction files: one per (task, language, registry metric).

The run id hashes the scored prediction files (names and bytes), so re-scoring an unchanged folder adds
nothing, and a changed file makes a new run. What a folder cannot tell (model, intermediate task, split,
setting, seed, perturbation of the inputs) comes from the caller as an ``Attribution``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.scoring.folder import LanguageScore
from pipeline.scoring.layout import PairedFile
from pipeline.tasks import BASELINE

SOURCE_ID = "scored"


@dataclass(frozen=True)
class Attribution:
    """Who produced the numbers and under which protocol: the columns the files themselves cannot give."""

    model: str
    intermediate_task: str = BASELINE
    split: str = "test"
    setting: str = "zero-shot"
    seed: int | None = None
    test_artifact: bool = False
    perturbation: str = "none"


def predictions_run_id(pairs: Sequence[PairedFile]) -> str:
    """``score:<hash>`` of the prediction files' names and contents."""
    digest = hashlib.sha256()
    for pair in sorted(pairs, key=lambda p: p.name):
        digest.update(pair.name.encode("utf-8") + b"\0" + pair.prediction.read_bytes() + b"\0")
    return f"score:{digest.hexdigest()[:16]}"


def folder_rows(scores: Sequence[LanguageScore], attribution: Attribution) -> list[dict]:
    """Store rows of ``scores``; provenance names the predictions file and the labels file."""
    run_id = predictions_run_id([s.files for s in scores])
    rows = []
    for score in scores:
        files = score.files
        provenance = f"{files.prediction.resolve()} scored against {files.label.resolve()}"
        notes = "; ".join(["XTREME-format predictions scored by `python -m pipeline score`",
                           f"n={score.n_examples}", *score.warnings])
        for metric, value in score.metrics.items():
            rows.append({
                "run_id": run_id, "source": "run", "source_id": SOURCE_ID, "provenance": provenance,
                "model": attribution.model, "intermediate_task": attribution.intermediate_task,
                "target_task": score.task_id, "language": score.language, "metric": metric, "value": value,
                "split": attribution.split, "setting": attribution.setting, "seed": attribution.seed,
                "perturbation": attribution.perturbation,
                "test_artifact": attribution.test_artifact, "notes": notes,
            })
    return rows
