"""The job queue: shared by the dashboard, the CLI and any number of workers (and cluster nodes).

It lives where its results store lives (``paths.py``): a SQLite file (WAL) beside a store file, or two
tables in a PostgreSQL store's database.

States: queued -> running -> done | failed | cancelled; retry puts a failed or cancelled job back to
queued. Every transition is one conditional UPDATE (``WHERE state = ...``), so two workers can never
both claim a job and a late worker can never overwrite a cancel. A running job carries a heartbeat;
a job whose worker stopped beating for longer than the lease is marked failed by whoever looks next.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, fields
from typing import Any

from pipeline.jobs.paths import JobPaths
from pipeline.jobs.spec import Execution, JobSpec
from pipeline.store.database import Connection, Database, statements

ACTIVE = ("queued", "running")
#: Seconds without a heartbeat after which a running job's worker counts as lost.
DEFAULT_LEASE = 30.0
_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    job_id {autoid},
    name TEXT NOT NULL,
    key TEXT NOT NULL,
    run_ids TEXT NOT NULL,
    units INTEGER NOT NULL,
    config_yaml TEXT NOT NULL,
    source TEXT NOT NULL,
    execution TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    submitted_at {real} NOT NULL,
    started_at {real},
    finished_at {real},
    heartbeat_at {real},
    worker TEXT,
    host TEXT,
    pid INTEGER,
    backend_id TEXT,
    device TEXT,
    first_import INTEGER,
    phase TEXT,
    step INTEGER,
    total INTEGER,
    fraction {real},
    eta_seconds {real},
    log_tail TEXT NOT NULL DEFAULT '',
    error TEXT,
    n_rows INTEGER
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state, job_id);
CREATE INDEX IF NOT EXISTS jobs_key ON jobs (key);
CREATE TABLE IF NOT EXISTS workers (
    worker TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    embedded INTEGER NOT NULL,
    started_at {real} NOT NULL,
    heartbeat_at {real} NOT NULL,
    job_id INTEGER
);
"""
#: The backend a job's execution names, read in SQL (for claims by backend).
_BACKEND_OF = {"sqlite": "json_extract(execution, '$.backend')", "postgresql": "(execution::json ->> 'backend')"}


class JobError(Exception):
    """An action that does not apply to the job in its current state (cancel a finished job, …)."""


@dataclass(frozen=True)
class Job:
    """One row of the queue."""

    job_id: int
    name: str
    key: str
    run_ids: tuple[str, ...]
    units: int
    config_yaml: str
    source: str
    execution: Execution
    state: str
    cancel_requested: bool
    attempts: int
    submitted_at: float
    started_at: float | None
    finished_at: float | None
    heartbeat_at: float | None
    worker: str | None
    host: str | None
    pid: int | None
    backend_id: str | None
    device: str | None
    first_import: int | None
    phase: str | None
    step: int | None
    total: int | None
    fraction: float | None
    eta_seconds: float | None
    log_tail: str
    error: str | None
    n_rows: int | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Job:
        values = dict(row)
        values["run_ids"] = tuple(json.loads(values["run_ids"]))
        values["execution"] = Execution.model_validate_json(values["execution"])
        values["cancel_requested"] = bool(values["cancel_requested"])
        return cls(**values)

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE

    def elapsed(self, now: float | None = None) -> float | None:
        """Seconds this attempt has run (to its end, or to now)."""
        if self.started_at is None:
            return None
        return (self.finished_at or now or time.time()) - self.started_at


@dataclass(frozen=True)
class Submission:
    """What ``submit`` did: queued a new job, or found one that already computes (or computed) the same."""

    job: Job
    created: bool


@dataclass(frozen=True)
class WorkerInfo:
    """A worker process that has announced itself (alive while its heartbeat is fresh)."""

    worker: str
    host: str
    pid: int
    embedded: bool
    started_at: float
    heartbeat_at: float
    job_id: int | None


def this_host() -> str:
    return socket.gethostname()


def _now() -> float:
    return time.time()


class JobQueue:
    """The queue of one results store (see ``JobPaths``)."""

    def __init__(self, store: str | os.PathLike[str]) -> None:
        self.paths = JobPaths.for_store(store)
        self.db = Database(self.paths.db)
        if self.db.path is not None:
            self.db.path.parent.mkdir(parents=True, exist_ok=True)
        with self.db.connect() as conn:
            current = conn.version("jobs") == _VERSION
        if not current:
            with self.db.write("schema", "jobs") as conn:
                if conn.version("jobs") == 0:
                    for statement in statements(_SCHEMA.format_map(self.db.words)):
                        conn.execute(statement)
                    conn.set_version("jobs", _VERSION)

    @property
    def store_location(self) -> str:
        """The results store this queue feeds (may hold a password: show ``redact`` of it)."""
        return self.paths.store

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        with self.db.connect(dict_rows=True) as conn:
            yield conn

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        """A write transaction that holds the queue's lock up front, so check-then-write cannot interleave."""
        with self.db.write("jobs", dict_rows=True) as conn:
            yield conn

    # -- reading ---------------------------------------------------------------------------------

    def get(self, job_id: int) -> Job:
        with self._connection() as conn:
            row = conn.execute("SELECT * FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
        if row is None:
            raise JobError(f"no job {job_id}")
        return Job.from_row(row)

    def jobs(self, limit: int | None = None) -> list[Job]:
        """Jobs, newest first."""
        query = "SELECT * FROM jobs ORDER BY job_id DESC" + (f" LIMIT {int(limit)}" if limit else "")
        with self._connection() as conn:
            return [Job.from_row(row) for row in conn.execute(query)]

    def cluster_jobs(self) -> list[Job]:
        """Running jobs handed to SLURM (submitted: they carry SLURM's job id)."""
        with self._connection() as conn:
            rows = conn.execute("SELECT * FROM jobs WHERE state = 'running' AND backend_id LIKE 'slurm:%' "
                                "ORDER BY job_id").fetchall()
        return [Job.from_row(row) for row in rows]

    def find_key(self, key: str) -> list[Job]:
        """Jobs that compute the same cells as ``key``, newest first."""
        with self._connection() as conn:
            rows = conn.execute("SELECT * FROM jobs WHERE key = ? ORDER BY job_id DESC", (key,)).fetchall()
        return [Job.from_row(row) for row in rows]

    # -- submitting ------------------------------------------------------------------------------

    def submit(self, spec: JobSpec, source: str, force: bool = False, results_present: bool = False) -> Submission:
        """Queue ``spec`` unless an identical job is already queued or running, or (without ``force``)
        finished with its results still in the store (``results_present``)."""
        with self._transaction() as conn:
            same = conn.execute("SELECT * FROM jobs WHERE key = ? ORDER BY job_id DESC", (spec.key,)).fetchall()
            for row in same:
                if row["state"] in ACTIVE or (row["state"] == "done" and results_present and not force):
                    return Submission(Job.from_row(row), created=False)
            job_id = conn.execute(
                "INSERT INTO jobs (name, key, run_ids, units, config_yaml, source, execution, state, submitted_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?) RETURNING job_id",
                (spec.name, spec.key, json.dumps(list(spec.run_ids)), spec.units, spec.config_yaml, source,
                 spec.execution.model_dump_json(), _now()),
            ).fetchone()["job_id"]
        return Submission(self.get(job_id), created=True)

    # -- workers ---------------------------------------------------------------------------------

    def claim(self, worker: str, backends: tuple[str, ...] = ("local", "slurm")) -> Job | None:
        """Atomically take the oldest queued job of ``backends`` for ``worker`` (None if there is none)."""
        placeholders = ", ".join("?" * len(backends))
        now = _now()
        with self._transaction() as conn:
            row = conn.execute(
                "UPDATE jobs SET state = 'running', worker = ?, host = ?, started_at = ?, heartbeat_at = ?, "
                "attempts = attempts + 1, phase = 'starting', step = 0, total = units, fraction = 0, "
                "eta_seconds = NULL, error = NULL, pid = NULL, finished_at = NULL "
                "WHERE state = 'queued' AND job_id = (SELECT job_id FROM jobs WHERE state = 'queued' "
                f"AND {_BACKEND_OF[conn.kind]} IN ({placeholders}) ORDER BY job_id LIMIT 1) "
                "RETURNING job_id",
                (worker, this_host(), now, now, *backends),
            ).fetchone()
        return None if row is None else self.get(row["job_id"])

    def update(self, job_id: int, worker: str, **values: Any) -> Job | None:
        """Record progress (and a heartbeat) of a running job this worker owns.

        Returns the job as stored afterwards, or None when the worker no longer owns it (the job was
        recovered as lost or finished by someone else): the worker must then stop the job's process.
        """
        allowed = {f.name for f in fields(Job)} - {"job_id", "state", "worker"}
        unknown = set(values) - allowed
        if unknown:
            raise ValueError(f"not job columns: {sorted(unknown)}")
        assignments = "".join(f", {column} = ?" for column in values)
        with self._connection() as conn:
            row = conn.execute(
                f"UPDATE jobs SET heartbeat_at = ?{assignments} "
                "WHERE job_id = ? AND state = 'running' AND worker = ? RETURNING *",
                (_now(), *values.values(), job_id, worker),
            ).fetchone()
        return None if row is None else Job.from_row(row)

    def finish(self, job_id: int, worker: str, state: str, error: str | None = None,
               n_rows: int | None = None) -> bool:
        """End a running job this worker owns (done / failed / cancelled); False if it no longer owns it."""
        if state not in ("done", "failed", "cancelled"):
            raise ValueError(f"not a final state: {state}")
        with self._connection() as conn:
            cursor = conn.execute(
                "UPDATE jobs SET state = ?, error = ?, n_rows = COALESCE(?, n_rows), finished_at = ?, "
                "heartbeat_at = NULL, eta_seconds = NULL WHERE job_id = ? AND state = 'running' AND worker = ?",
                (state, error, n_rows, _now(), job_id, worker),
            )
        return cursor.rowcount == 1

    def hand_over(self, job_id: int, worker: str, new_worker: str, phase: str) -> bool:
        """Pass a running job to another owner (a cluster job); no heartbeat is expected until it starts."""
        with self._connection() as conn:
            cursor = conn.execute(
                "UPDATE jobs SET worker = ?, phase = ?, heartbeat_at = NULL "
                "WHERE job_id = ? AND state = 'running' AND worker = ?",
                (new_worker, phase, job_id, worker),
            )
        return cursor.rowcount == 1

    def mark_submitted(self, job_id: int, backend_id: str, phase: str) -> None:
        """Record the cluster's id for a handed-over job (and say it waits, unless it already started)."""
        with self._connection() as conn:
            conn.execute(
                "UPDATE jobs SET backend_id = ?, phase = CASE WHEN heartbeat_at IS NULL AND state = 'running' "
                "THEN ? ELSE phase END WHERE job_id = ?",
                (backend_id, phase, job_id),
            )

    def recover_lost(self, lease: float = DEFAULT_LEASE) -> list[int]:
        """Mark failed (or cancelled, if that was asked) every running job whose heartbeat is older than
        ``lease`` seconds; returns their ids. SLURM jobs are left to ``cluster.reconcile``, which asks
        SLURM why a node went quiet."""
        now = _now()
        with self._connection() as conn:
            rows = conn.execute(
                "UPDATE jobs SET state = CASE WHEN cancel_requested = 1 THEN 'cancelled' ELSE 'failed' END, "
                "error = 'worker lost: ' || worker || ' sent no heartbeat for ' "
                "|| CAST(CAST(? - heartbeat_at AS INTEGER) AS TEXT) || ' s (killed or machine down); '"
                " || 'retry resumes from the finished phases', "
                "finished_at = ?, eta_seconds = NULL "
                "WHERE state = 'running' AND heartbeat_at IS NOT NULL AND heartbeat_at < ? "
                "AND worker NOT LIKE 'slurm:%' RETURNING job_id",
                (now, now, now - lease),
            ).fetchall()
        return [row["job_id"] for row in rows]

    # -- user actions ----------------------------------------------------------------------------

    def cancel(self, job_id: int) -> Job:
        """Cancel a queued job, or stop a running one (its process group is signalled when a local worker
        runs it on this host; its worker also sees the request and finishes the job as cancelled). A SLURM
        job is never signalled from here: ``service.cancel`` asks SLURM (``scancel``)."""
        with self._transaction() as conn:
            row = conn.execute("SELECT * FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
            if row is None:
                raise JobError(f"no job {job_id}")
            if row["state"] == "queued" or (row["state"] == "running" and row["heartbeat_at"] is None
                                            and row["pid"] is None):
                conn.execute("UPDATE jobs SET state = 'cancelled', cancel_requested = 1, finished_at = ? "
                             "WHERE job_id = ?", (_now(), job_id))
            elif row["state"] == "running":
                conn.execute("UPDATE jobs SET cancel_requested = 1 WHERE job_id = ?", (job_id,))
            else:
                raise JobError(f"job {job_id} is {row['state']}: nothing to cancel")
        job = self.get(job_id)
        on_cluster = (job.worker or "").startswith("slurm:")
        if job.state == "running" and job.pid is not None and job.host == this_host() and not on_cluster:
            signal_group(job.pid, signal.SIGTERM)
        return job

    def retry(self, job_id: int) -> Job:
        """Put a failed or cancelled job back in the queue (its finished phases are reused)."""
        with self._connection() as conn:
            cursor = conn.execute(
                "UPDATE jobs SET state = 'queued', cancel_requested = 0, error = NULL, phase = NULL, step = NULL, "
                "fraction = NULL, eta_seconds = NULL, started_at = NULL, finished_at = NULL, heartbeat_at = NULL, "
                "worker = NULL, pid = NULL, backend_id = NULL, first_import = NULL "
                "WHERE job_id = ? AND state IN ('failed', 'cancelled')",
                (job_id,),
            )
        if cursor.rowcount != 1:
            state = self.get(job_id).state
            hint = "; submit it again with --force to recompute" if state == "done" else ""
            raise JobError(f"job {job_id} is {state}: only failed or cancelled jobs can be retried{hint}")
        return self.get(job_id)

    # -- worker registry -------------------------------------------------------------------------

    def beat(self, worker: str, embedded: bool, job_id: int | None) -> None:
        """A worker's own heartbeat (also when idle), so the dashboard knows one is running."""
        now = _now()
        with self._connection() as conn:
            conn.execute(
                "INSERT INTO workers (worker, host, pid, embedded, started_at, heartbeat_at, job_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(worker) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, "
                "job_id = excluded.job_id",
                (worker, this_host(), os.getpid(), int(embedded), now, now, job_id),
            )

    def leave(self, worker: str) -> None:
        with self._connection() as conn:
            conn.execute("DELETE FROM workers WHERE worker = ?", (worker,))

    def live_workers(self, lease: float = DEFAULT_LEASE) -> list[WorkerInfo]:
        """Workers whose heartbeat is fresher than ``lease`` seconds."""
        with self._connection() as conn:
            rows = conn.execute("SELECT * FROM workers WHERE heartbeat_at >= ? ORDER BY started_at",
                                (_now() - lease,)).fetchall()
        return [WorkerInfo(**{**dict(row), "embedded": bool(row["embedded"])}) for row in rows]


def signal_group(pgid: int, sig: int) -> bool:
    """Send ``sig`` to a process group; False if it no longer exists."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    return True
