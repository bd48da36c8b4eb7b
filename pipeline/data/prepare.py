"""Local mirrors built from a dataset's original release, for data the hub serves in a form ``datasets`` refuses.

``allenai/cosmos_qa`` is still a loading script on the hub (datasets >= 3 refuses those), so Cosmos QA is read
from its original release files (``train.csv``, ``valid.csv``, optionally ``test.jsonl``) converted to the mirror
layout of ``pipeline.data.load`` with the hub's column schema. Where the mirror goes is derived from the task's
registry entry (``prepare: <converter>``), so the registry stays the one place that knows the task.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from pathlib import Path

from pipeline.data.load import local_path
from pipeline.data.spec import intermediate_data
from pipeline.tasks import intermediate_tasks

#: Hub split -> the release file it comes from, and whether the split is required.
_COSMOS_FILES = {"train": ("train.csv", True), "validation": ("valid.csv", True), "test": ("test.jsonl", False)}
_COSMOS_COLUMNS = ("id", "context", "question", "answer0", "answer1", "answer2", "answer3")
COSMOS_RELEASE = "https://github.com/wilburOne/cosmosqa/tree/master/data"


class PrepareError(ValueError):
    """The source folder does not hold the release the converter expects."""


def _cosmos_rows(path: Path) -> Iterator[dict]:
    """Rows of one Cosmos QA release file in the hub's schema (the unlabelled test split gets label -1)."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh) if path.suffix == ".csv" else (json.loads(line) for line in fh if line.strip())
        for number, row in enumerate(reader, start=2 if path.suffix == ".csv" else 1):
            missing = [c for c in _COSMOS_COLUMNS if c not in row]
            if missing:
                raise PrepareError(f"{path}:{number}: no column(s) {', '.join(missing)}: not Cosmos QA's release")
            label = row.get("label")
            yield {**{c: row[c] for c in _COSMOS_COLUMNS}, "label": int(label) if label not in (None, "") else -1}


def _cosmosqa(src: Path) -> dict[str, Iterator[dict]]:
    missing = [name for name, required in _COSMOS_FILES.values() if required and not (src / name).is_file()]
    if missing:
        raise PrepareError(f"{src} does not hold Cosmos QA's original release: no {', '.join(missing)} "
                           f"(download train.csv and valid.csv from {COSMOS_RELEASE})")
    return {split: _cosmos_rows(src / name) for split, (name, _) in _COSMOS_FILES.items() if (src / name).is_file()}


#: Converter name (the registry's ``prepare``) -> function reading a release folder into rows per hub split.
CONVERTERS: dict[str, Callable[[Path], dict[str, Iterator[dict]]]] = {"cosmosqa": _cosmosqa}


def preparable_tasks() -> dict[str, str]:
    """Intermediate task id -> converter name, for the tasks whose registry entry names one."""
    return {task_id: task.extra["prepare"] for task_id, task in intermediate_tasks().items() if "prepare" in task.extra}


def prepare(task_id: str, src: str | Path, out: str | Path) -> dict[str, int]:
    """Convert the release of ``task_id`` in ``src`` into a mirror under ``out``; rows written per split."""
    converters = preparable_tasks()
    if task_id not in converters:
        raise PrepareError(f"no converter for {task_id!r}; tasks with one: {', '.join(sorted(converters))}")
    src = Path(src)
    if not src.is_dir():
        raise PrepareError(f"{src} is not a directory")
    source = intermediate_data(intermediate_tasks()[task_id]).train[0]
    counts = {}
    for split, rows in CONVERTERS[converters[task_id]](src).items():
        path = local_path(source.for_language("en", {}), out).with_name(f"{split}.jsonl")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".jsonl.tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            counts[split] = sum(1 for row in rows if fh.write(json.dumps(row, ensure_ascii=False) + "\n"))
        tmp.replace(path)
    return counts
