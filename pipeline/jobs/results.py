"""What the results store says about a job: how many of its batches have landed, and its rows.

The runner writes one store batch per (cell, target task) and the store logs every batch in its
``imports`` table with the label ``run <run_id> <task>``: counting those labels since the attempt
started is an exact progress count that needs nothing from the running process.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.store import ResultsStore


def last_import(store: ResultsStore) -> int:
    """The id of the store's latest batch (0 for an empty store): the marker an attempt counts from."""
    with store.connection() as conn:
        return int(conn.execute("SELECT COALESCE(MAX(import_id), 0) FROM imports").fetchone()[0])


def batches_done(store: ResultsStore, run_ids: Sequence[str], after: int) -> int:
    """Distinct (run, task) batches of ``run_ids`` written after import ``after``."""
    wanted = set(run_ids)
    with store.connection() as conn:
        labels = {label for (label,) in conn.execute(
            "SELECT DISTINCT label FROM imports WHERE import_id > ? AND label LIKE 'run %'", (after,))}
    return sum(1 for label in labels if label.split(" ")[1] in wanted)


def rows_of(store: ResultsStore, run_ids: Sequence[str]) -> dict[str, int]:
    """Stored rows per run id (run ids without rows are left out)."""
    with store.connection() as conn:
        marks = ", ".join("?" * len(run_ids))
        query = f"SELECT run_id, COUNT(*) FROM results WHERE run_id IN ({marks}) GROUP BY run_id"
        return dict(conn.execute(query, tuple(run_ids)).fetchall())


def has_results(store: ResultsStore, run_ids: Sequence[str]) -> bool:
    """Whether every run of a job has rows in the store."""
    return set(rows_of(store, run_ids)) == set(run_ids)
