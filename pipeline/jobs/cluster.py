"""The cluster backend: the same job handed to SLURM through submitit instead of run by the local worker.

The dispatching worker passes ownership to a name it makes up, submits ``run_on_node`` with submitit and
moves on; on the node, ``run_on_node`` watches the run exactly as a local worker would (same command,
heartbeat, progress and cancel), writing to the same queue and store, so both must be on a file system
the node shares. Until the node starts, the job is 'running' with no heartbeat (waiting in SLURM's
queue), so no lease expires while SLURM holds it. ``cluster="local"`` runs the job through submitit's
LocalExecutor instead: the same path, testable on one machine.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from pipeline.jobs.execute import execute
from pipeline.jobs.paths import JobPaths
from pipeline.jobs.queue import Job, JobQueue
from pipeline.jobs.spec import Execution
from pipeline.store import STORE_ENV, default_store_location

CLUSTERS = ("slurm", "local")


def executor(paths: JobPaths, execution: Execution, cluster: str = "slurm") -> Any:
    """A submitit executor with the job's partition, GPUs, CPUs, memory and time limit."""
    import submitit

    if cluster not in CLUSTERS:
        raise ValueError(f"unknown cluster {cluster!r}; one of {CLUSTERS}")
    ex = submitit.AutoExecutor(folder=paths.submitit_dir / "%j", cluster=cluster)
    params: dict[str, Any] = {"timeout_min": execution.timeout_min, "cpus_per_task": execution.cpus_per_task,
                              "gpus_per_node": execution.gpus_per_node, "name": "transfer-atlas"}
    if execution.mem_gb is not None:
        params["mem_gb"] = execution.mem_gb
    if execution.partition is not None:
        params["slurm_partition"] = execution.partition
    ex.update_parameters(**params)
    return ex


def run_on_node(job_id: int, owner: str) -> str:
    """What runs on the cluster node: the job, unless it was cancelled while it waited in SLURM's queue.

    The store comes from ``$ATLAS_STORE``, which the job inherits from the submitting worker (sbatch
    exports its environment): a database password is never written into submitit's pickles.
    """
    queue = JobQueue(default_store_location())
    job = queue.get(job_id)
    if job.state != "running" or job.worker != owner:
        return f"skipped: job {job_id} is {job.state}"
    return execute(queue, job, owner)


def dispatch(queue: JobQueue, job: Job, worker: str, cluster: str = "slurm") -> Any:
    """Submit a claimed job to the cluster; returns submitit's job handle (None if submission failed, in
    which case the job is marked failed with the reason)."""
    owner = f"{cluster}:{job.job_id}.{job.attempts}:{uuid.uuid4().hex[:8]}"
    queue.hand_over(job.job_id, worker, owner, phase=f"submitting to {cluster}")
    os.environ[STORE_ENV] = queue.store_location  # inherited by the job (see run_on_node)
    try:
        handle = executor(queue.paths, job.execution, cluster).submit(run_on_node, job.job_id, owner)
    except Exception as exc:  # sbatch missing, partition unknown, …: the user should read why
        queue.finish(job.job_id, owner, "failed", error=f"could not submit to {cluster}: {exc}")
        return None
    queue.mark_submitted(job.job_id, f"{cluster}:{handle.job_id}", f"waiting in the {cluster} queue "
                                                                   f"(job {handle.job_id})")
    return handle


def cancel_on_cluster(paths: JobPaths, backend_id: str | None) -> None:
    """Best effort: remove a SLURM job that has not started yet (``scancel``)."""
    if not backend_id or not backend_id.startswith("slurm:"):
        return
    import submitit

    submitit.SlurmJob(folder=paths.submitit_dir / "%j", job_id=backend_id.split(":", 1)[1]).cancel(check=False)
