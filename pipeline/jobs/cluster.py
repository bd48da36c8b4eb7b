"""The cluster backend: the same job handed to SLURM through submitit instead of run by the local worker.

The dispatching worker passes ownership to a name it makes up, submits ``run_on_node`` with submitit and
moves on; on the node, ``run_on_node`` watches the run exactly as a local worker would (same command,
heartbeat, progress and cancel), writing to the same queue and store — a PostgreSQL store, which the
nodes reach over the network (SQLite over a network file system is refused at submit). Until the node
starts, the job is 'running' with no heartbeat (waiting in SLURM's queue). What the node cannot report
itself — a job cancelled, killed or timed out in SLURM — the login node's worker learns from SLURM
(``reconcile``), so no lease decides the fate of a cluster job. ``cluster="local"`` runs the job
through submitit's LocalExecutor instead: the same path, testable on one machine.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from typing import Any

from pipeline.jobs import slurm
from pipeline.jobs.execute import execute
from pipeline.jobs.paths import JobPaths
from pipeline.jobs.queue import DEFAULT_LEASE, Job, JobQueue
from pipeline.jobs.spec import Execution
from pipeline.store import STORE_ENV, default_store_location

CLUSTERS = ("slurm", "local")


class JobNotDone(RuntimeError):
    """Raised on the node when the job failed or was cancelled: SLURM then records the job as failed too."""


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
    exports its environment): a database password is never written into submitit's pickles. A job
    that does not end done raises, so that SLURM's own record says FAILED, not COMPLETED.
    """
    queue = JobQueue(default_store_location())
    job = queue.get(job_id)
    if job.state != "running" or job.worker != owner:
        raise JobNotDone(f"job {job_id} is {job.state}: not run")
    # SLURM stops a job (time limit, scancel) with SIGTERM to all its processes: the run ends, and this
    # watcher leaves the record to the login node's worker, which asks SLURM why (``reconcile``).
    # submitit's SIGUSR2 warning before the time limit (it would exit to requeue) changes nothing here.
    terminated = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: terminated.set())
    signal.signal(signal.SIGUSR2, lambda signum, frame: None)
    state = execute(queue, job, owner, stopped_outside=terminated.is_set)
    if state != "done":
        raise JobNotDone(f"job {job_id} {state}: {queue.get(job_id).error or 'cancelled'}")
    return state


def dispatch(queue: JobQueue, job: Job, worker: str, cluster: str = "slurm") -> Any:
    """Submit a claimed job to the cluster; returns submitit's job handle (None if submission failed, in
    which case the job is marked failed with the reason)."""
    owner = f"{cluster}:{job.job_id}.{job.attempts}:{uuid.uuid4().hex[:8]}"
    queue.hand_over(job.job_id, worker, owner, phase=f"submitting to {cluster}")
    os.environ[STORE_ENV] = queue.store_location  # inherited by the job (see run_on_node)
    try:
        handle = executor(queue.paths, job.execution, cluster).submit(run_on_node, job.job_id, owner)
    except Exception as exc:  # sbatch missing, partition unknown, …: the user should read why
        reason = slurm.explain_submit_error(str(exc), job.execution.gpus_per_node)
        queue.finish(job.job_id, owner, "failed", error=f"could not submit to {cluster}: {reason}")
        return None
    queue.mark_submitted(job.job_id, f"{cluster}:{handle.job_id}", f"waiting in the {cluster} queue "
                                                                   f"(job {handle.job_id})")
    return handle


def cancel_on_cluster(backend_id: str | None) -> str | None:
    """Cancel a job's SLURM job (``scancel``; never a local signal); returns SLURM's complaint, if any."""
    if not backend_id or not backend_id.startswith("slurm:"):
        return None
    return slurm.scancel(backend_id.split(":", 1)[1])


def reconcile(queue: JobQueue, lease: float = DEFAULT_LEASE) -> list[tuple[int, str]]:
    """End every running SLURM job of the queue that SLURM says has ended (or whose node stopped beating
    for longer than ``lease`` seconds while SLURM still runs it); returns (job id, final state) pairs.

    The node reports a normal end itself; this catches the rest, with SLURM's reason. Without
    ``scontrol`` (no SLURM here) nothing changes.
    """
    jobs = queue.cluster_jobs()
    if not jobs:
        return []
    try:
        known = slurm.known_jobs()
    except slurm.SlurmUnavailable:
        return []
    ended = []
    for job in jobs:
        slurm_id = job.backend_id.split(":", 1)[1]
        seen = known.get(slurm_id)
        if seen is not None and not seen.ended:
            if seen.state != "RUNNING" or job.heartbeat_at is None or time.time() - job.heartbeat_at < lease:
                continue
            slurm.scancel(slurm_id)
            error = (f"the node of SLURM job {slurm_id} sent no heartbeat for {time.time() - job.heartbeat_at:.0f} s; "
                     "the job was cancelled in SLURM; retry resumes from the finished phases")
        else:
            error = slurm.explain_end(seen, slurm_id, job.execution.timeout_min)
        state = "cancelled" if job.cancel_requested else "failed"
        if queue.finish(job.job_id, job.worker, state, error=None if state == "cancelled" else error):
            ended.append((job.job_id, state))
    return ended
