"""Examples of prediction folders scored by ``python -m pipeline score``: when the folder comes with its inputs.

An inputs folder has the XTREME layout of the predictions, ``<inputs>/<task>/<split>-<lang>.jsonl``, one JSON
object per example in the order of the predictions file, with the fields the task's head reads (see
``pipeline.data.spec.DEFAULT_COLUMNS``): ``text_a``/``text_b`` (classification), ``context``/``choices``
(multiple choice), ``tokens`` (tagging), ``id``/``question``/``context`` (QA), ``source``/``target`` (Tatoeba).
Gold answers come from the labels folder. A pipeline run with ``export_predictions`` writes such a folder
beside its predictions and labels, so a re-scored export keeps its examples too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from pipeline.examples.records import example_records, has_examples
from pipeline.examples.store import ExamplesError
from pipeline.scoring.folder import read_outputs
from pipeline.scoring.layout import PairedFile, folder_name
from pipeline.tasks import get_target_task

if TYPE_CHECKING:
    from datasets import Dataset

INPUTS_FOLDER = "inputs"


def inputs_path(root: str | Path, task_id: str, split: str, language: str) -> Path:
    """The inputs file of one language of ``task_id`` under ``root``."""
    return Path(root) / folder_name(task_id) / f"{split}-{language}.jsonl"


def write_inputs(root: str | Path, task_id: str, language: str, examples: Dataset, split: str) -> Path | None:
    """Write the canonical examples a language was evaluated on (None for a task without per-example rows)."""
    if not has_examples(task_id):
        return None
    path = inputs_path(root, task_id, split, language)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for row in examples:
            out.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    return path


def _read_inputs(path: Path, task_id: str, references: object) -> Dataset:
    from datasets import Dataset  # imported here: seconds that `score` without --inputs need not pay

    try:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExamplesError(f"{path}: not a JSON-lines inputs file ({exc})") from None
    if not all(isinstance(row, dict) for row in rows):
        raise ExamplesError(f"{path}: every line must be a JSON object")
    head = get_target_task(task_id).head
    frame = pd.DataFrame(rows)
    if head in ("sentence_pair_classification", "multiple_choice") and "label" not in frame.columns:
        frame["label"] = list(references)  # gold from the labels file
    return Dataset.from_pandas(frame, preserve_index=False)


def scored_records(inputs: str | Path, pair: PairedFile, split: str, perturbation: str) -> pd.DataFrame | None:
    """The example rows of one scored file pair with its inputs (None: the task keeps no per-example rows).

    ExamplesError when the inputs are missing, unreadable or do not line up with the predictions.
    """
    if not has_examples(pair.task_id):
        return None
    path = inputs_path(inputs, pair.task_id, split, pair.language)
    if not path.is_file():
        raise ExamplesError(f"--inputs: no inputs file {path} for the predictions {pair.prediction}")
    predictions, references, n_examples, _ = read_outputs(pair)
    examples = _read_inputs(path, pair.task_id, references)
    if len(examples) != n_examples:
        raise ExamplesError(f"{path}: {len(examples)} examples, but {pair.name} has {n_examples}")
    try:
        return example_records(pair.task_id, pair.language, perturbation, examples, predictions, references)
    except (KeyError, IndexError, ValueError, TypeError) as exc:
        raise ExamplesError(f"{path}: the inputs do not fit {pair.task_id}'s predictions ({exc!r})") from None
