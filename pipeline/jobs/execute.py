"""Run one claimed job: ``python -m pipeline run`` as a child process, watched until it ends.

The child is exactly what a person would type, in its own process group (so cancel stops everything it
started) and set to die with the process watching it (so a killed worker leaves no orphan writing to
the store). While it runs, the watcher beats the job's heartbeat and records its progress: finished
store batches, the progress bar drawn last, an ETA and the log's tail.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

from pipeline.errors import UserError
from pipeline.jobs.device import describe_device
from pipeline.jobs.paths import outputs_outside_checkout
from pipeline.jobs.progress import (
    RateEstimator,
    current_bar,
    explain_failure,
    overall_fraction,
    read_tail,
    tail,
)
from pipeline.jobs.queue import Job, JobQueue, signal_group, this_host
from pipeline.jobs.results import batches_done, last_import, rows_of
from pipeline.jobs.spec import config_from_yaml
from pipeline.run.artifacts import atomic_path
from pipeline.store import STORE_ENV, ResultsStore

REPO = Path(__file__).resolve().parents[2]
POLL_SECONDS = 0.5
#: Seconds a stopped run gets to exit on SIGTERM before its process group is killed.
STOP_GRACE = 10.0
_PR_SET_PDEATHSIG = 1


def run_command(config: Path, preflight: bool = True) -> list[str]:
    """The command a job runs (no shell: nothing a user typed is ever interpreted); it starts with preflight
    (every model and split checked) unless the job opted out, so a broken run fails in its first minute.
    Its store comes from ``store_environment``."""
    skip = [] if preflight else ["--skip-preflight"]
    return [sys.executable, "-m", "pipeline", "run", str(config), *skip]


def store_environment(store: str) -> dict[str, str]:
    """This process's environment with ``$ATLAS_STORE`` set to ``store``: a child finds its store there,
    never on its command line, where a database password would be visible to every user of the machine."""
    return {**os.environ, STORE_ENV: store}


def _prepare_child() -> None:
    """In the child before exec: be killed when the watcher dies (Linux), whatever killed it; ignore SIGUSR2,
    submitit's early warning of a SLURM time limit (SLURM stops the run with SIGTERM at the limit)."""
    signal.signal(signal.SIGUSR2, signal.SIG_IGN)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (AttributeError, OSError):  # not Linux: the heartbeat lease still marks the job lost
        pass


@lru_cache(maxsize=1)
def _device() -> str:
    return describe_device()


def stop(proc: subprocess.Popen, grace: float = STOP_GRACE) -> int:
    """SIGTERM the child's process group, SIGKILL it after ``grace`` seconds; returns the exit status."""
    signal_group(proc.pid, signal.SIGTERM)
    try:
        return proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        signal_group(proc.pid, signal.SIGKILL)
        return proc.wait()


def _config_error(job: Job) -> str | None:
    try:
        config_from_yaml(job.config_yaml, f"job {job.job_id}")
    except UserError as exc:
        return str(exc)
    return None


def execute(queue: JobQueue, job: Job, worker: str, poll: float = POLL_SECONDS,
            on_poll: Callable[[], None] | None = None, stopped_outside: Callable[[], bool] | None = None) -> str:
    """Run ``job`` (claimed by ``worker``) to its end; returns the final state ('lost' if another process
    took the job over, e.g. after this worker missed its lease). ``on_poll`` runs every ``poll`` seconds.

    ``stopped_outside()`` is true once whoever hosts the run (SLURM: a time limit, an scancel) has told it
    to stop: the record is then left open ('stopped') for the worker that asks SLURM why."""
    paths, store = queue.paths, ResultsStore(queue.store_location)
    problem = _config_error(job)
    if problem is not None:  # e.g. a registry change since submission
        queue.finish(job.job_id, worker, "failed", error=problem)
        return "failed"
    config_path, log_path = paths.config_file(job.job_id), paths.log_file(job.job_id, job.attempts)
    tmp = atomic_path(config_path)
    tmp.write_text(outputs_outside_checkout(job.config_yaml, paths.runs), encoding="utf-8")
    os.replace(tmp, config_path)
    marker = last_import(store)
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    with log_path.open("w", encoding="utf-8") as log:
        log.write(f"attempt {job.attempts} of job {job.job_id} on {worker} at {stamp}\n")
        log.flush()
        proc = subprocess.Popen(run_command(config_path, job.execution.preflight), cwd=REPO,
                                env=store_environment(queue.store_location), stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=_prepare_child)
    try:
        return _watch(queue, job, worker, proc, store, marker, log_path, poll, on_poll, stopped_outside)
    except BaseException:  # the worker itself is being stopped (Ctrl-C, SIGTERM): take the run down with it
        stop(proc)
        queue.finish(job.job_id, worker, "failed", error="the worker was stopped while the job ran; "
                                                         "retry resumes from the finished phases")
        raise


def _watch(queue: JobQueue, job: Job, worker: str, proc: subprocess.Popen, store: ResultsStore, marker: int,
           log_path: Path, poll: float, on_poll: Callable[[], None] | None,
           stopped_outside: Callable[[], bool] | None) -> str:
    rate = RateEstimator()
    queue.update(job.job_id, worker, pid=proc.pid, host=this_host(), device=_device(), first_import=marker,
                 phase="starting")
    while True:
        returncode = proc.poll()
        text = read_tail(log_path)
        bar = current_bar(text)
        done = batches_done(store, job.run_ids, marker)
        fraction = overall_fraction(done, job.units, bar)
        current = queue.update(job.job_id, worker, phase=str(bar) if bar else "loading model and data", step=done,
                               fraction=fraction, eta_seconds=rate.eta_seconds(time.time(), fraction),
                               log_tail=tail(text))
        if current is None:  # no longer ours: stop the run, leave the record to whoever took it over
            stop(proc)
            return "lost"
        if returncode is not None:
            break
        if current.cancel_requested:
            stop(proc)
            break
        if on_poll is not None:
            on_poll()
        time.sleep(poll)
    returncode = proc.wait()
    n_rows = sum(rows_of(store, job.run_ids).values())
    cancelled = queue.get(job.job_id).cancel_requested
    if returncode != 0 and stopped_outside is not None and stopped_outside() and not cancelled:
        queue.update(job.job_id, worker, n_rows=n_rows, phase="stopped by SLURM")
        return "stopped"
    if cancelled:
        state, error = "cancelled", None
    elif returncode == 0:
        state, error = "done", None
    else:
        state = "failed"
        error = explain_failure(read_tail(log_path), returncode, config_from_yaml(job.config_yaml, job.name))
    queue.finish(job.job_id, worker, state, error=error, n_rows=n_rows)
    return state
