"""On-demand reruns: a persistent job queue beside the results store, workers that run
``python -m pipeline run`` for each job (on this machine's GPU when it has one), and a SLURM backend
through submitit. See queue.py for the states and worker.py for the embedded worker."""

from pipeline.jobs.queue import DEFAULT_LEASE, Job, JobError, JobQueue, Submission
from pipeline.jobs.service import cancel, submit
from pipeline.jobs.spec import Execution, JobSpec, job_spec
from pipeline.jobs.worker import ensure_worker, run_worker

__all__ = [
    "DEFAULT_LEASE",
    "Execution",
    "Job",
    "JobError",
    "JobQueue",
    "JobSpec",
    "Submission",
    "cancel",
    "ensure_worker",
    "job_spec",
    "run_worker",
    "submit",
]
