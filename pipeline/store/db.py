"""The results store: one SQLite file in WAL mode.

WAL lets the dashboard read while a pipeline run or an import writes. Every batch is one
``BEGIN IMMEDIATE`` transaction, so a killed writer leaves either the whole batch or none of it, and
rows are keyed by a hash of what they measure, so importing the same thing twice adds nothing.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.store.schema import RESULT_COLUMNS, migrate
from pipeline.store.validate import validate_rows

#: Environment variable that overrides the default store file.
STORE_ENV = "ATLAS_STORE"
DEFAULT_STORE = Path(__file__).resolve().parents[2] / "data" / "atlas.db"
_BUSY_TIMEOUT_MS = 60_000
_PROGRESS_EVERY = 1_000


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


_UPSERT = (
    f"INSERT INTO results ({', '.join(RESULT_COLUMNS)}) VALUES ({', '.join('?' * len(RESULT_COLUMNS))}) "
    "ON CONFLICT(result_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in RESULT_COLUMNS if c not in ("result_id", "created_at"))
    + " WHERE "
    + " OR ".join(
        f"results.{c} IS NOT excluded.{c}" for c in RESULT_COLUMNS if c not in ("result_id", "created_at")
    )
)
_COMPARED = tuple(c for c in RESULT_COLUMNS if c not in ("result_id", "created_at"))


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

        ``progress(n)`` is called every 1,000 rows while the transaction is open, for long imports.
        A row that measures the same thing as a stored one replaces it only if something differs.
        """
        valid = validate_rows(rows, first_row_number)
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with self.connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                before = self._existing(conn, [r["result_id"] for r in valid])
                n_updated = sum(
                    1 for r in valid if r["result_id"] in before and before[r["result_id"]] != _compared(r)
                )
                conn.executemany(_UPSERT, _tuples(valid, progress))
                n_new = len(valid) - len(before)
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

    @staticmethod
    def _existing(conn: sqlite3.Connection, ids: list[str]) -> dict[str, tuple[Any, ...]]:
        found: dict[str, tuple[Any, ...]] = {}
        chunk = 500
        for start in range(0, len(ids), chunk):
            part = ids[start : start + chunk]
            query = (
                f"SELECT result_id, {', '.join(_COMPARED)} FROM results "
                f"WHERE result_id IN ({', '.join('?' * len(part))})"
            )
            for rid, *rest in conn.execute(query, part):
                found[rid] = tuple(rest)
        return found

    # -- reading -------------------------------------------------------------------------------

    def read_results(self) -> pd.DataFrame:
        """Every stored row as a DataFrame in the schema's column order, typed for analysis."""
        with self.connection() as conn:
            frame = pd.read_sql_query(f"SELECT {', '.join(RESULT_COLUMNS)} FROM results", conn)
        for column in ("mlm_cotraining", "uncertain", "test_artifact"):
            frame[column] = frame[column].astype(bool)
        frame["seed"] = frame["seed"].astype("Int64")
        frame["model_params"] = frame["model_params"].astype("Int64")
        return frame

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


def _compared(row: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(_sqlite_value(row[c]) for c in _COMPARED)


def _sqlite_value(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else value


def _tuples(
    rows: list[dict[str, Any]], progress: Callable[[int], None] | None
) -> Iterator[tuple[Any, ...]]:
    for number, row in enumerate(rows, start=1):
        yield tuple(_sqlite_value(row[c]) for c in RESULT_COLUMNS)
        if progress is not None and number % _PROGRESS_EVERY == 0:
            progress(number)
