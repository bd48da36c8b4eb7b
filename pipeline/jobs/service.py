"""The actions a person takes on the queue, shared by the command line and the Runs page."""

from __future__ import annotations

import os

from pipeline.jobs.cluster import cancel_on_cluster
from pipeline.jobs.queue import Job, JobQueue, Submission
from pipeline.jobs.results import has_results
from pipeline.jobs.spec import Execution, job_spec
from pipeline.store import ResultsStore


def submit(store_path: str | os.PathLike[str], config_yaml: str, source: str, execution: Execution | None = None,
           force: bool = False) -> Submission:
    """Validate and queue a config (UserError with the validation message if it is invalid).

    An identical job that is queued or running is returned instead of a second one; so is a finished
    one whose results are still in the store, unless ``force``.
    """
    spec = job_spec(config_yaml, source, execution)
    present = has_results(ResultsStore(store_path), spec.run_ids)
    return JobQueue(store_path).submit(spec, source, force=force, results_present=present)


def cancel(queue: JobQueue, job_id: int) -> Job:
    """Cancel a queued or running job (and remove it from SLURM's queue if it is waiting there)."""
    job = queue.cancel(job_id)
    if job.state == "cancelled":
        cancel_on_cluster(queue.paths, job.backend_id)
    return job
