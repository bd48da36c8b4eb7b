"""The results store: one SQLite file in WAL mode.

WAL lets the dashboard read while a pipeline run or an import writes. Every batch is one
``BEGIN IMMEDIATE`` transaction, so a killed writer leaves either the whole batch or none of it, and
rows are keyed by a hash of what they measure, so importing the same thing twice adds nothing.
Whole-table reads go through a Parquet snapshot beside the file (``snapshot.py``).
"""

from __future__ import annotations

import operator
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.store import snapshot
from pipeline.store.schema import RESULT_COLUMNS, migrate
from pipeline.store.validate import validate_rows

#: Environment variable that overrides the default store file.
STORE_ENV = "ATLAS_STORE"
DEFAULT_STORE = Path(__file__).resolve().parents[2] / "data" / "atlas.db"
_BUSY_TIMEOUT_MS = 60_000
_PROGRESS_EVERY = 1_000
#: Page cache per connection: a large store's indexes stay in memory while a big batch is merged.
_CACHE_KIB = 64 * 1024


def default_store_path() -> Path:
    """The store file: ``$ATLAS_STORE`` if set, else ``data/atlas.db`` in the checkout."""
    return Path(os.environ.get(STORE_ENV) or DEFAULT_STORE)


@dataclass(frozen=True)
class InsertReport:
    """What one batch did to the store."""

    n_rows: int
    n_new: int
    n_updated: int

    @property
    def n_unchanged(self) -> int:
        return self.n_rows - self.n_new - self.n_updated

    def __str__(self) -> str:
        return f"{self.n_rows} rows: {self.n_new} new, {self.n_updated} updated, {self.n_unchanged} already present"


_COMPARED = tuple(c for c in RESULT_COLUMNS if c not in ("result_id", "created_at"))
_CHANGED = " OR ".join(f"results.{c} IS NOT batch.{c}" for c in _COMPARED)
_COLUMNS = ", ".join(RESULT_COLUMNS)
# A batch is loaded into a temporary table first, so that counting and merging happen inside SQLite.
_CREATE_BATCH = f"CREATE TEMP TABLE batch AS SELECT {_COLUMNS} FROM results WHERE 0"
_LOAD_BATCH = f"INSERT INTO batch VALUES ({', '.join('?' * len(RESULT_COLUMNS))})"
_COUNT_BATCH = (
    "SELECT COALESCE(SUM(results.result_id IS NULL), 0), "
    f"COALESCE(SUM(results.result_id IS NOT NULL AND ({_CHANGED})), 0) "
    "FROM batch LEFT JOIN results ON results.result_id = batch.result_id"
)
_INSERT_NEW = (
    f"INSERT INTO results ({_COLUMNS}) SELECT {_COLUMNS} FROM batch "
    "WHERE NOT EXISTS (SELECT 1 FROM results WHERE results.result_id = batch.result_id)"
)
# A changed row is deleted and inserted again (keeping its created_at), so that it gets a new rowid:
# rows above a snapshot's last rowid are then exactly what changed since (see snapshot.py).
_REPLACE_CHANGED = (
    f"INSERT OR REPLACE INTO results ({_COLUMNS}) SELECT "
    + ", ".join("results.created_at" if c == "created_at" else f"batch.{c}" for c in RESULT_COLUMNS)
    + f" FROM batch JOIN results ON results.result_id = batch.result_id WHERE {_CHANGED}"
)


class ResultsStore:
    """Read and write result rows in one SQLite file."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_store_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            migrate(conn)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
        return conn

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """A configured connection, closed afterwards (autocommit; use ``BEGIN`` for transactions)."""
        conn = self._connect()
        try:
            yield conn
        finally:
            conn.close()

    # -- writing -------------------------------------------------------------------------------

    def insert_results(
        self,
        rows: Iterable[Mapping[str, Any]],
        label: str = "insert",
        progress: Callable[[int], None] | None = None,
        first_row_number: int = 1,
    ) -> InsertReport:
        """Validate every row, then write them all in one transaction (or nothing).

        ``progress(n)`` is called with the number of rows written so far, every 1,000 rows, while
        the transaction is open (for long imports).
        A row that measures the same thing as a stored one replaces it only if something differs.
        """
        valid = validate_rows(rows, first_row_number)
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with self.connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute(_CREATE_BATCH)
                for start in range(0, len(valid), _PROGRESS_EVERY):
                    conn.executemany(_LOAD_BATCH, map(_as_tuple, valid[start : start + _PROGRESS_EVERY]))
                    if progress is not None:
                        progress(min(start + _PROGRESS_EVERY, len(valid)))
                n_new, n_updated = conn.execute(_COUNT_BATCH).fetchone()
                if n_new:
                    conn.execute(_INSERT_NEW)
                if n_updated:
                    conn.execute(_REPLACE_CHANGED)
                if n_new or n_updated:
                    conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'")
                conn.execute(
                    "INSERT INTO imports (label, n_rows, n_new, n_updated, created_at) VALUES (?, ?, ?, ?, ?)",
                    (label, len(valid), n_new, n_updated, now),
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return InsertReport(len(valid), n_new, n_updated)

    # -- reading -------------------------------------------------------------------------------

    def read_results(self) -> pd.DataFrame:
        """Every stored row as a DataFrame in the schema's column order, typed for analysis.

        Reads the Parquet snapshot beside the store plus the rows written since, and leaves a new
        snapshot when many rows had to come from SQLite (see ``snapshot.py``).
        """
        with self.connection() as conn:
            conn.execute("BEGIN")  # one read transaction: the snapshot check and the rows agree
            try:
                frame, save_as = snapshot.read_all(conn, self.snapshot_path)
            finally:
                conn.execute("COMMIT")
        if save_as is not None:
            snapshot.write_snapshot(frame, self.snapshot_path, save_as)
        return frame

    def snapshot_parts(self, rewrite: bool = False) -> snapshot.SnapshotParts:
        """Every stored row as the Parquet snapshot plus the rows since, for engines that query files
        (``pipeline.analysis.query``): nothing is loaded whole, at any size."""
        with self.connection() as conn:
            conn.execute("BEGIN")
            try:
                return snapshot.read_parts(conn, self.snapshot_path, rewrite)
            finally:
                conn.execute("COMMIT")

    @property
    def snapshot_path(self) -> Path:
        """The Parquet snapshot beside the store file (a cache: safe to delete at any time)."""
        return snapshot.snapshot_path(self.path)

    def count(self) -> int:
        with self.connection() as conn:
            return conn.execute("SELECT COUNT(*) FROM results").fetchone()[0]

    def data_version(self) -> int:
        """A counter bumped by every batch that changed rows: a cache key for readers."""
        with self.connection() as conn:
            return int(conn.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()[0])

    def schema_version(self) -> int:
        with self.connection() as conn:
            return conn.execute("PRAGMA user_version").fetchone()[0]

    def integrity_problems(self) -> list[str]:
        """SQLite's integrity check plus the store's own invariants; empty when healthy."""
        with self.connection() as conn:
            problems = [r[0] for r in conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
            dupes = conn.execute(
                "SELECT COUNT(*) FROM (SELECT result_id FROM results GROUP BY result_id HAVING COUNT(*) > 1)"
            ).fetchone()[0]
            imported = conn.execute("SELECT COALESCE(SUM(n_new), 0) FROM imports").fetchone()[0]
            stored = conn.execute("SELECT COUNT(*) FROM results").fetchone()[0]
        if dupes:
            problems.append(f"{dupes} duplicated result ids")
        if imported != stored:
            problems.append(f"import log accounts for {imported} rows but {stored} are stored")
        return problems


#: A validated row as the parameters of ``_LOAD_BATCH`` (sqlite3 stores a bool as 0/1).
_as_tuple = operator.itemgetter(*RESULT_COLUMNS)
