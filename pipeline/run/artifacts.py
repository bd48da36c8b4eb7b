"""Files a run leaves behind, written atomically so a killed run never leaves a half-written marker.

Phase outputs live under ``<output_dir>/phases/<key>/`` where ``key`` hashes everything the phase's
result depends on; a phase is finished exactly when its ``report.json`` exists. Re-running a config (or
another config that needs the same phase) reuses it.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

REPORT = "report.json"


def write_json(path: Path, value: Any) -> None:
    """Write ``value`` as JSON to ``path`` via a temporary file and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(value, fh, indent=1, sort_keys=True)
    os.replace(tmp, path)


def read_json(path: Path) -> Any | None:
    """The JSON at ``path``, or None if it does not exist."""
    if not path.is_file():
        return None
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def atomic_path(path: Path) -> Path:
    """A temporary sibling of ``path`` to write to before ``os.replace(tmp, path)``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")
