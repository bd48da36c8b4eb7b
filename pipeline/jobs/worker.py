"""Workers: take queued jobs one at a time; and the embedded worker the dashboard starts on its own.

Any number of workers may serve one queue (claims are atomic). The embedded worker is an ordinary
worker started as a detached process (its own session, so it outlives the Streamlit script run that
started it) holding an exclusive lock on a file beside the queue, so at most one is ever started; it
exits after a while without work, and the Runs page starts it again when needed.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from pipeline.jobs.cluster import dispatch, reconcile
from pipeline.jobs.execute import REPO, execute, store_environment
from pipeline.jobs.queue import DEFAULT_LEASE, JobQueue, WorkerInfo, this_host
from pipeline.store import redact

#: An embedded worker exits after this many idle seconds (the Runs page restarts it on demand).
EMBEDDED_IDLE_EXIT = 300.0
#: Seconds between a worker's looks at SLURM's own record of the jobs it handed over.
CLUSTER_POLL = 10.0
#: Seconds a just-started embedded worker gets to announce itself before another is started.
STARTUP_GRACE = 30.0


def worker_name() -> str:
    return f"{this_host()}:{os.getpid()}"


def _try_lock(path: Path) -> IO | None:
    """An exclusive lock on ``path`` held until the returned file is closed (None if someone holds it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def _stop_on_sigterm() -> None:
    """SIGTERM (``kill``, a stopping service) unwinds like Ctrl-C, so the running job is stopped and marked."""
    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def run_worker(store_path: str | os.PathLike[str], once: bool = False, lease: float = DEFAULT_LEASE,
               poll: float = 1.0, idle_exit: float | None = None, embedded: bool = False, cluster: str = "slurm",
               cluster_poll: float = CLUSTER_POLL, say: Callable[[str], None] = print) -> int:
    """Serve the queue of ``store_path``: recover lost jobs, end SLURM jobs that SLURM says have ended (every
    ``cluster_poll`` seconds), take the oldest queued one, run it (or hand it to the cluster), repeat.
    ``once``: at most one job, then return. Returns the number of jobs taken."""
    queue = JobQueue(store_path)
    lock = _try_lock(queue.paths.embedded_lock) if embedded else None
    if embedded and lock is None:
        say("an embedded worker already serves this queue")
        return 0
    _stop_on_sigterm()
    name, taken, idle_since, next_look = worker_name(), 0, time.monotonic(), 0.0
    say(f"worker {name} serving the queue of {redact(queue.store_location)}")
    try:
        while True:
            queue.beat(name, embedded, None)
            for job_id in queue.recover_lost(lease):
                say(f"job {job_id}: its worker was lost; marked failed")
            if time.monotonic() >= next_look:
                for job_id, state in reconcile(queue, lease):
                    say(f"job {job_id}: ended in SLURM; marked {state}")
                next_look = time.monotonic() + cluster_poll
            job = queue.claim(name)
            if job is None:
                if once or (idle_exit is not None and time.monotonic() - idle_since > idle_exit):
                    break
                time.sleep(poll)
                continue
            taken += 1
            queue.beat(name, embedded, job.job_id)
            say(f"job {job.job_id} ({job.name}, attempt {job.attempts}): started on {job.execution.backend}")
            if job.execution.backend == "slurm":
                handle = dispatch(queue, job, name, cluster)
                state = "submitted" if handle is not None else "failed"
            else:
                state = execute(queue, job, name, on_poll=lambda busy=job.job_id: queue.beat(name, embedded, busy))
            say(f"job {job.job_id}: {state}")
            idle_since = time.monotonic()
            if once:
                break
    except KeyboardInterrupt:
        say(f"worker {name} stopped")
    finally:
        queue.leave(name)
        if lock is not None:
            lock.close()
    return taken


def ensure_worker(store_path: str | os.PathLike[str], idle_exit: float = EMBEDDED_IDLE_EXIT
                  ) -> list[WorkerInfo] | int | None:
    """Make sure some worker serves the queue: the live workers if there are any, else the pid of a newly
    started embedded worker (None when one is already starting up)."""
    queue = JobQueue(store_path)
    live = queue.live_workers()
    if live:
        return live
    stamp = queue.paths.embedded_lock.with_suffix(".started")
    if stamp.exists() and time.time() - stamp.stat().st_mtime < STARTUP_GRACE:
        return None
    probe = _try_lock(queue.paths.embedded_lock)
    if probe is None:
        return None
    probe.close()
    stamp.touch()
    log = queue.paths.embedded_log.open("a")
    command = [sys.executable, "-m", "pipeline", "worker", "--embedded", "--idle-exit", str(idle_exit)]
    proc = subprocess.Popen(command, cwd=REPO, env=store_environment(queue.store_location), stdin=subprocess.DEVNULL,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
    log.close()
    return proc.pid
