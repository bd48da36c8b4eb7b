"""The actions a person takes on the queue, shared by the command line and the Runs page."""

from __future__ import annotations

import os

from pipeline.errors import UserError
from pipeline.jobs.cluster import cancel_on_cluster
from pipeline.jobs.queue import Job, JobQueue, Submission
from pipeline.jobs.results import has_results
from pipeline.jobs.spec import Execution, job_spec
from pipeline.store import ResultsStore, is_url


def submit(store_path: str | os.PathLike[str], config_yaml: str, source: str, execution: Execution | None = None,
           force: bool = False) -> Submission:
    """Validate and queue a config (UserError with the validation message if it is invalid).

    An identical job that is queued or running is returned instead of a second one; so is a finished
    one whose results are still in the store, unless ``force``.
    """
    spec = job_spec(config_yaml, source, execution)
    check_store_for(spec.execution, str(store_path))
    present = has_results(ResultsStore(store_path), spec.run_ids)
    return JobQueue(store_path).submit(spec, source, force=force, results_present=present)


def check_store_for(execution: Execution, store: str) -> None:
    """Refuse a SLURM job whose nodes would write a SQLite store (over a network file system, SQLite
    corrupts or loses data), unless the execution says explicitly that the nodes are the store's host."""
    if execution.backend == "slurm" and not is_url(store) and not execution.allow_sqlite_store:
        raise UserError(f"a SLURM job's nodes cannot share the SQLite store {store} (SQLite must not be used "
                        "over a network file system): use a PostgreSQL store (ATLAS_STORE=postgresql://…, see "
                        "README 'For a team'), or set allow_sqlite_store: true in the execution file if every "
                        "node is this machine")


def cancel(queue: JobQueue, job_id: int) -> Job:
    """Cancel a queued or running job (a SLURM job through ``scancel``, waiting or running)."""
    job = queue.cancel(job_id)
    cancel_on_cluster(job.backend_id)
    return job
