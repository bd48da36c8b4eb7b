"""Preflight against a local mirror: the file the run would read exists and its first lines fit the registry."""

from __future__ import annotations

import json
from itertools import islice
from pathlib import Path

from pipeline.data import ccgbank
from pipeline.data.load import local_path
from pipeline.preflight.needs import DataNeed
from pipeline.preflight.result import Check
from pipeline.preflight.rows import FIRST_ROWS, judge_rows


def _what(need: DataNeed, where: str) -> str:
    return f"{need.source.describe()} ({where})"


def missing_fix(need: DataNeed) -> str:
    """How to provide a split that neither the mirror nor the hub has."""
    root = need.data_root or "DIR"
    if need.prepare:
        return (f"convert the original release: python -m pipeline prepare {need.task} SRC_DIR --out {root}, "
                f"then data_dirs: {{{need.task}: {root}}}; or drop {need.task}")
    drop = f"drop {need.language} from targets.{need.task}.languages" if need.role.startswith("eval") else (
        f"drop {need.task}")
    return f"write {local_path(need.source, root)} (the hub's columns, JSON lines) and pass it as data_dirs, or {drop}"


def check_local(need: DataNeed) -> Check | None:
    """The check of ``need`` in its mirror; None when the mirror lacks the file and the hub may provide it."""
    source, root = need.source, need.data_root
    if source.local_format == "ccgbank":
        files = [f for s in ccgbank.SECTIONS[source.split] for f in (Path(root) / "data" / "AUTO" / s).glob("*.auto")]
        if not files:
            return Check("fail", _what(need, f"CCGbank in {root}"), f"no data/AUTO/<section>/*.auto files under {root}",
                         "point data_dirs.ccg at the folder holding CCGbank's data/AUTO, or drop ccg")
        return Check("ok", _what(need, f"CCGbank in {root}"), f"{len(files)} .auto files")
    path = local_path(source, root)
    if not path.is_file():
        return None
    try:
        with path.open(encoding="utf-8") as fh:
            rows = [json.loads(line) for line in islice(fh, FIRST_ROWS) if line.strip()]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return Check("fail", _what(need, str(path)), f"unreadable: {exc}", f"rewrite {path} as JSON lines")
    problem = judge_rows(need, rows)
    if problem:
        return Check("fail", _what(need, str(path)), problem,
                     f"fix the file, or the registry's columns/label_names for {need.task}")
    return Check("ok", _what(need, str(path)))
