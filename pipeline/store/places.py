"""Where a store's machine-local files go when there is no store file to put them beside.

Job files, example predictions and Parquet snapshots sit beside a SQLite store. A PostgreSQL store has
no file, so they go to the work folder (``$ATLAS_WORK_DIR``, default ``~/.cache/transfer-atlas``) in a
folder named by the database and a hash of its password-free URL: two stores never share one, and
every process that opens the same URL finds the same folder.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from urllib.parse import urlsplit

from pipeline.store.database import redact

WORK_ENV = "ATLAS_WORK_DIR"


def work_root() -> Path:
    """The work folder: ``$ATLAS_WORK_DIR``, else ``~/.cache/transfer-atlas``."""
    return Path(os.environ.get(WORK_ENV) or Path.home() / ".cache" / "transfer-atlas")


def database_folder(url: str) -> str:
    """``<database>-<hash>``: the folder name of a PostgreSQL store's files."""
    database = urlsplit(url).path.strip("/") or "postgres"
    return f"{database}-{hashlib.sha256(redact(url).encode()).hexdigest()[:8]}"
