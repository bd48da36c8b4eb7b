"""The results store: one SQLite file in WAL mode, or one PostgreSQL database for a team.

Readers never wait for writers (WAL; PostgreSQL's MVCC), so the dashboard reads while a pipeline run
or an import writes. Every batch is one write transaction that serialises writers (``database.py``),
so a killed writer leaves either the whole batch or none of it, and rows are keyed by a hash of what
they measure, so importing the same thing twice adds nothing. Whole-table reads go through a Parquet
snapshot (``snapshot.py``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.store import snapshot
from pipeline.store.database import Connection, Database
from pipeline.store.schema import RESULT_COLUMNS, migrate
from pipeline.store.validate import validate_rows

#: Environment variable that overrides the default store: a file path or a ``postgresql://`` URL.
STORE_ENV = "ATLAS_STORE"
DEFAULT_STORE = Path(__file__).resolve().parents[2] / "data" / "atlas.db"
_PROGRESS_EVERY = 1_000


def default_store_location() -> str:
    """The store: ``$ATLAS_STORE`` if set (a file or a PostgreSQL URL), else ``data/atlas.db`` in the checkout."""
    return os.environ.get(STORE_ENV) or str(DEFAULT_STORE)


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
_CHANGED = " OR ".join(f"results.{c} IS DISTINCT FROM batch.{c}" for c in _COMPARED)
_COLUMNS = ", ".join(RESULT_COLUMNS)
# A batch is loaded into a temporary table first, so that counting and merging happen inside the database.
_CREATE_BATCH = f"CREATE TEMP TABLE batch AS SELECT {_COLUMNS} FROM results WHERE 1 = 0"
_COUNT_BATCH = (
    "SELECT COALESCE(SUM(CASE WHEN results.result_id IS NULL THEN 1 ELSE 0 END), 0), "
    f"COALESCE(SUM(CASE WHEN results.result_id IS NOT NULL AND ({_CHANGED}) THEN 1 ELSE 0 END), 0) "
    "FROM batch LEFT JOIN results ON results.result_id = batch.result_id"
)
_INSERT_NEW = (
    f"INSERT INTO results ({_COLUMNS}) SELECT {_COLUMNS} FROM batch "
    "WHERE NOT EXISTS (SELECT 1 FROM results WHERE results.result_id = batch.result_id)"
)
# A changed row is deleted and inserted again (keeping its created_at), so that it gets a new rowid:
# rows above a snapshot's last rowid are then exactly what changed since (see snapshot.py).
_KEEP_CREATED = ", ".join("results.created_at" if c == "created_at" else f"batch.{c}" for c in RESULT_COLUMNS)
_REPLACE_CHANGED = {
    "sqlite": f"INSERT OR REPLACE INTO results ({_COLUMNS}) SELECT {_KEEP_CREATED} "
              f"FROM batch JOIN results ON results.result_id = batch.result_id WHERE {_CHANGED}",
    "postgresql": "WITH results AS (DELETE FROM results USING batch WHERE results.result_id = batch.result_id "
                  f"AND ({_CHANGED}) RETURNING results.result_id, results.created_at) "
                  f"INSERT INTO results ({_COLUMNS}) SELECT {_KEEP_CREATED} "
                  "FROM batch JOIN results ON results.result_id = batch.result_id",
}


class ResultsStore:
    """Read and write result rows in one SQLite file or PostgreSQL database (``location``)."""

    def __init__(self, location: str | os.PathLike[str] | None = None) -> None:
        self.db = Database(location if location is not None else default_store_location())
        if self.db.path is not None:
            self.db.path.parent.mkdir(parents=True, exist_ok=True)
        migrate(self.db)
        self._store_id: str | None = None

    @property
    def location(self) -> str:
        """What opens this store again (a path, or a URL that may hold a password: never show it)."""
        return self.db.location

    @property
    def name(self) -> str:
        """The store as shown to people and logs: the path, or the URL without its password."""
        return self.db.name

    @property
    def path(self) -> Path | None:
        """The SQLite file (None for a PostgreSQL store)."""
        return self.db.path

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A connection, closed afterwards (autocommit; ``?`` placeholders on both engines)."""
        with self.db.connect() as conn:
            yield conn

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
        with self.db.write("results") as conn:
            conn.execute(_CREATE_BATCH)  # dropped with the connection
            for start in range(0, len(valid), _PROGRESS_EVERY):
                conn.load("batch", RESULT_COLUMNS, map(_as_tuple, valid[start : start + _PROGRESS_EVERY]))
                if progress is not None:
                    progress(min(start + _PROGRESS_EVERY, len(valid)))
            n_new, n_updated = (int(n) for n in conn.execute(_COUNT_BATCH).fetchone())
            if n_new:
                conn.execute(_INSERT_NEW)
            if n_updated:
                conn.execute(_REPLACE_CHANGED[conn.kind])
            if n_new or n_updated:
                conn.execute("UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) "
                             "WHERE key = 'data_version'")
            conn.execute(
                "INSERT INTO imports (label, n_rows, n_new, n_updated, created_at) VALUES (?, ?, ?, ?, ?)",
                (label, len(valid), n_new, n_updated, now),
            )
        return InsertReport(len(valid), n_new, n_updated)

    # -- reading -------------------------------------------------------------------------------

    def read_results(self) -> pd.DataFrame:
        """Every stored row as a DataFrame in the schema's column order, typed for analysis.

        Reads the Parquet snapshot plus the rows written since, and leaves a new snapshot when many
        rows had to come from the database (see ``snapshot.py``).
        """
        with self.db.read() as conn:  # one read transaction: the snapshot check and the rows agree
            frame, save_as = snapshot.read_all(conn, self.snapshot_path)
        if save_as is not None:
            snapshot.write_snapshot(frame, self.snapshot_path, save_as)
        return frame

    def snapshot_parts(self, rewrite: bool = False) -> snapshot.SnapshotParts:
        """Every stored row as the Parquet snapshot plus the rows since, for engines that query files
        (``pipeline.analysis.query``): nothing is loaded whole, at any size."""
        with self.db.read() as conn:  # one read transaction: the snapshot and the rows since agree
            return snapshot.read_parts(conn, self.snapshot_path, rewrite)

    @property
    def snapshot_path(self) -> Path:
        """The Parquet snapshot (a cache: safe to delete at any time): beside a SQLite file, or in this
        machine's work folder under the store's id for PostgreSQL."""
        if self.db.path is not None:
            return snapshot.snapshot_path(self.db.path)
        if self._store_id is None:
            with self.connection() as conn:
                self._store_id = snapshot.store_id(conn)
        return snapshot.cached_snapshot_path(self._store_id)

    def count(self) -> int:
        with self.connection() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM results").fetchone()[0])

    def data_version(self) -> int:
        """A counter bumped by every batch that changed rows: a cache key for readers."""
        with self.connection() as conn:
            return int(conn.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()[0])

    def schema_version(self) -> int:
        with self.connection() as conn:
            return conn.version("results")

    def integrity_problems(self) -> list[str]:
        """The engine's integrity check (SQLite) plus the store's own invariants; empty when healthy."""
        with self.db.read() as conn:
            problems = conn.integrity_problems()
            dupes = conn.execute(
                "SELECT COUNT(*) FROM (SELECT result_id FROM results GROUP BY result_id HAVING COUNT(*) > 1) AS dupes"
            ).fetchone()[0]
            imported = int(conn.execute("SELECT COALESCE(SUM(n_new), 0) FROM imports").fetchone()[0])
            stored = int(conn.execute("SELECT COUNT(*) FROM results").fetchone()[0])
        if dupes:
            problems.append(f"{dupes} duplicated result ids")
        if imported != stored:
            problems.append(f"import log accounts for {imported} rows but {stored} are stored")
        return problems


_FLAGS = tuple(i for i, c in enumerate(RESULT_COLUMNS) if c in ("mlm_cotraining", "uncertain", "test_artifact"))


def _as_tuple(row: Mapping[str, Any]) -> list[Any]:
    """A validated row as a batch row: flags as 0/1, as both engines store them."""
    values = [row[c] for c in RESULT_COLUMNS]
    for i in _FLAGS:
        values[i] = int(values[i])
    return values
