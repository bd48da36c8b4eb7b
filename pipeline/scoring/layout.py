"""The XTREME submission layout: ``<folder>/<task>/<split>-<lang>.<ext>``, a labels folder of the same shape.

XTREME names its files ``test-<lang>.tsv`` (``.json`` for QA); XTREME-R reads Mewsli-X from ``.json`` and
XCOPA from ``.jsonl``. The extension follows the task's scorer unless the registry lists the task's
``submission_extensions`` (Mewsli-X: ``.json`` or the Atlas's ``.jsonl``; XCOPA: ``.jsonl`` or ``.tsv``), as the
registry decides the folder name (the task id, or its ``submission_folder`` such as XTREME's ``bucc2018``).
A predictions file and its labels file share the name, so they share the format. Task folders are recognised
by id or alias.
With ``--split dev`` the files are ``dev-<lang>.<ext>``; files of the other split are left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.metrics import scorer_name
from pipeline.scoring.errors import ScoringError
from pipeline.tasks import get_target_task, resolve_target_label

#: The result splits a folder can hold, as file-name prefixes.
SPLITS = ("test", "dev")

#: Default file extension by scorer (``pipeline.metrics.dispatch`` names): XTREME's tsv/json.
EXTENSIONS = {"accuracy": "tsv", "seqeval": "tsv", "bucc": "tsv", "squad": "json", "mlqa": "json", "map": "json"}

_FILE = re.compile(r"^(?P<split>[^-]+)-(?P<lang>[^.]+)\.(?P<ext>[^.]+)$")


@dataclass(frozen=True)
class PairedFile:
    """One language of one task: its predictions file and the labels file it is scored against."""

    task_id: str
    language: str
    prediction: Path
    label: Path

    @property
    def name(self) -> str:
        """``<task folder>/<file>`` as found in the predictions folder, for messages and provenance."""
        return f"{self.prediction.parent.name}/{self.prediction.name}"

    @property
    def extension(self) -> str:
        """The files' format, by extension (without the dot)."""
        return self.prediction.suffix.lstrip(".")


def folder_name(task_id: str) -> str:
    """The task's folder in the layout."""
    return get_target_task(task_id).extra.get("submission_folder", task_id)


def extensions(task_id: str) -> tuple[str, ...]:
    """The task's file extensions (without the dot), the one exports write first."""
    task = get_target_task(task_id)
    return tuple(task.extra.get("submission_extensions", ())) or (EXTENSIONS[scorer_name(task)],)


def file_name(task_id: str, split: str, language: str) -> str:
    """``<split>-<lang>.<ext>`` of one language of ``task_id``, in the format exports write."""
    return f"{split}-{language}.{extensions(task_id)[0]}"


def _visible(path: Path) -> bool:
    return not path.name.startswith(".")


def _task_folders(root: Path, what: str) -> dict[str, Path]:
    """Registry task id -> its folder under ``root``; refuses unknown and duplicated task folders."""
    if not root.is_dir():
        raise ScoringError(f"the {what} folder {root} does not exist or is not a folder")
    folders: dict[str, Path] = {}
    for entry in sorted(p for p in root.iterdir() if p.is_dir() and _visible(p)):
        task_id = resolve_target_label(entry.name)
        if task_id is None:
            raise ScoringError(f"{entry}: {entry.name!r} is not a known task folder (XTREME names such as xnli, "
                               "pawsx, udpos, panx, xquad, mlqa, tydiqa, bucc2018, tatoeba)")
        if task_id in folders:
            raise ScoringError(f"{root}: both {folders[task_id].name!r} and {entry.name!r} hold task {task_id!r}")
        folders[task_id] = entry
    return folders


def _language(path: Path, task_id: str, split: str) -> str | None:
    """The language of a predictions file of ``split`` (None for a file of the other split)."""
    match = _FILE.match(path.name)
    allowed = extensions(task_id)
    expected = f"{split}-<lang>.{'|'.join(allowed)}"
    if match is None or match["split"] not in SPLITS:
        raise ScoringError(f"{path}: unexpected file name; files of {task_id!r} are named {expected}")
    if match["split"] != split:
        return None
    if match["ext"] not in allowed:
        raise ScoringError(f"{path}: {task_id!r} files are {' or '.join('.' + e for e in allowed)} files ({expected})")
    task = get_target_task(task_id)
    if match["lang"] not in task.languages:
        raise ScoringError(f"{path}: {match['lang']!r} is not a language of {task.name}; "
                           f"its languages: {', '.join(task.languages)}")
    return match["lang"]


def paired_files(predictions: Path, labels: Path, split: str) -> tuple[list[PairedFile], list[str]]:
    """Every (task, language) predictions file of ``split`` with its labels file, and what was skipped.

    Top-level files and files of the other split are skipped (and listed); everything else that is not a
    well-named file of a known task and language, or lacks its labels file, is an error.
    """
    if split not in SPLITS:
        raise ScoringError(f"unknown split {split!r}; one of {', '.join(SPLITS)}")
    predicted = _task_folders(predictions, "predictions")
    labelled = _task_folders(labels, "labels")
    pairs: list[PairedFile] = []
    seen: dict[tuple[str, str], Path] = {}
    skipped = [p.name for p in sorted(predictions.iterdir()) if p.is_file() and _visible(p)]
    for task_id, folder in predicted.items():
        for path in sorted(p for p in folder.iterdir() if _visible(p)):
            language = _language(path, task_id, split) if path.is_file() else None
            if language is None:
                skipped.append(f"{folder.name}/{path.name}")
                continue
            if (task_id, language) in seen:
                raise ScoringError(f"{folder}: both {seen[task_id, language].name} and {path.name} hold "
                                   f"{split}-{language}")
            seen[task_id, language] = path
            label_folder = labelled.get(task_id)
            label = label_folder / path.name if label_folder is not None else labels / folder_name(task_id) / path.name
            if not label.is_file():
                raise ScoringError(f"missing labels file {label} for the predictions {path}")
            pairs.append(PairedFile(task_id, language, path, label))
    if not pairs:
        raise ScoringError(f"{predictions}: no {split}-<lang> prediction files in any task folder")
    return pairs, skipped
