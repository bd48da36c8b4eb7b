"""The SLURM backend against a real one-node SLURM (``.ci/services/start-slurm.sh``) and a PostgreSQL store.

A worker process serves the queue as it would on a login node; sbatch, squeue, scontrol and scancel are
SLURM's own. Covered: a run through to rows in the store (threads and device label following the
allocation), cancel while pending and while running, a job scancel-led from outside, a job killed
before its Python starts, and a time limit. Skips, saying why, where SLURM or PostgreSQL is not running.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.jobs import Execution, JobQueue, cancel, submit
from pipeline.jobs.queue import Job
from pipeline.jobs.slurm import known_jobs, partition_gpus
from pipeline.store import ResultsStore
from tests.backends import Stores, skip_without
from tests.conftest import REPO
from tests.test_jobs import SLOW, SMALL, config_yaml, wait_for

#: One CPU each, so two jobs fit the one node at once; no GPUs (CPU-only cluster).
CPU_JOB = Execution(backend="slurm", gpus_per_node=0, cpus_per_task=1, mem_gb=1, timeout_min=30, preflight=False)
#: A job the node's interpreter kills at start-up, before any of the Atlas's Python runs (see ``KILL_HOOK``).
DOOMED = CPU_JOB.model_copy(update={"mem_gb": 2})
KILL_HOOK = "import os, signal\nif os.environ.get('SLURM_MEM_PER_NODE') == '2048':\n    os.kill(os.getpid(), signal.SIGKILL)\n"
#: Trains for many minutes unless stopped (100,000 steps: well past the 1-minute limit even on an idle machine).
LONG = {**SLOW, "hyperparameters": {"target": {**SLOW["hyperparameters"]["target"], "max_steps": 100_000}},
        "targets": {"xnli": {"languages": ["en", "ru"], "epochs": 100_000}}}


def slurm_problem() -> str | None:
    """Why the one-node SLURM cannot be used here (None: it is up)."""
    if shutil.which("sbatch") is None:
        return "no SLURM here (sbatch missing); start one with .ci/services/start-slurm.sh"
    done = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True, check=False)
    if done.returncode != 0 or not ({"idle", "mix", "alloc"} & set(done.stdout.split())):
        return f"SLURM is not up (sinfo: {(done.stdout + done.stderr).strip()[:100]}); run .ci/services/start-slurm.sh"
    return None


@pytest.fixture
def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[JobQueue]:
    """A PostgreSQL store's queue with a worker serving it as on a login node (stopped afterwards).

    The worker's environment, which sbatch passes on to the node, carries a site hook that kills the
    interpreter of a ``DOOMED`` job as it starts.
    """
    if problem := slurm_problem():
        pytest.skip(problem)
    skip_without("postgresql")
    monkeypatch.setenv("ATLAS_WORK_DIR", str(tmp_path / "work"))
    stores = Stores("postgresql", tmp_path)
    location = stores.new()
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(KILL_HOOK)
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen([sys.executable, "-m", "pipeline", "worker", "--store", location, "--poll", "0.2",
                               "--cluster-poll", "2"],
                              cwd=REPO, env={**os.environ, "PYTHONPATH": str(hook)}, stdout=log,
                              stderr=subprocess.STDOUT)
    queue = JobQueue(location)
    try:
        yield queue
    finally:
        for job in queue.jobs():
            if job.backend_id and job.state == "running":
                subprocess.run(["scancel", job.backend_id.split(":")[1]], check=False)
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
        log.close()
        stores.close()


def slurm_id(job: Job) -> str:
    assert job.backend_id and job.backend_id.startswith("slurm:"), job
    return job.backend_id.split(":", 1)[1]


def slurm_state(job: Job) -> str:
    seen = known_jobs().get(slurm_id(job))
    return seen.state if seen else "gone"


def submitted(queue: JobQueue, text: str, execution: Execution = CPU_JOB) -> Job:
    job_id = submit(queue.store_location, text, "slurm.yaml", execution).job.job_id
    return wait_for(queue, job_id, lambda j: j.backend_id is not None or not j.is_active, "reached SLURM")


def test_a_slurm_job_runs_on_the_node_into_the_postgresql_store(cluster: JobQueue, tiny_assets: Path,
                                                                tmp_path: Path) -> None:
    job = submitted(cluster, config_yaml(tiny_assets, tmp_path, **SMALL))
    done = wait_for(cluster, job.job_id, lambda j: not j.is_active, "finished")
    assert done.state == "done", done.error
    rows = ResultsStore(cluster.store_location).read_results()
    assert set(rows.run_id) == set(done.run_ids) and len(rows) == done.n_rows == 2
    assert done.device.startswith("CPU (1 thread, 1 of"), "threads and label follow SLURM_CPUS_PER_TASK"
    assert wait_for(cluster, job.job_id, lambda j: slurm_state(j) in ("COMPLETED", "gone"), "completed in SLURM")


def test_cancel_while_pending_removes_it_from_slurm(cluster: JobQueue, tiny_assets: Path, tmp_path: Path) -> None:
    blocker = subprocess.run(["sbatch", "--parsable", "-c", str(os.cpu_count()), "--wrap", "sleep 600"],
                             capture_output=True, text=True, check=True).stdout.strip()
    try:
        job = submitted(cluster, config_yaml(tiny_assets, tmp_path, **SMALL))
        assert slurm_state(job) == "PENDING"
        assert cancel(cluster, job.job_id).state == "cancelled"
        assert wait_for(cluster, job.job_id, lambda j: slurm_state(j) in ("CANCELLED", "gone"), "left SLURM")
        assert cluster.get(job.job_id).state == "cancelled" and cluster.get(job.job_id).pid is None
    finally:
        subprocess.run(["scancel", blocker], check=False)


def test_cancel_while_running_goes_through_scancel(cluster: JobQueue, tiny_assets: Path, tmp_path: Path) -> None:
    job = submitted(cluster, config_yaml(tiny_assets, tmp_path, **LONG))
    running = wait_for(cluster, job.job_id, lambda j: j.pid is not None, "started on the node")
    assert running.host is not None
    done = subprocess.run([sys.executable, "-m", "pipeline", "cancel", str(job.job_id), "--store",
                           cluster.store_location], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    ended = wait_for(cluster, job.job_id, lambda j: not j.is_active, "ended")
    assert ended.state == "cancelled"
    assert wait_for(cluster, job.job_id, lambda j: slurm_state(j) in ("CANCELLED", "FAILED", "gone"), "left SLURM")


def test_a_job_scancelled_outside_the_atlas_is_failed_with_the_reason(cluster: JobQueue, tiny_assets: Path,
                                                                     tmp_path: Path) -> None:
    job = submitted(cluster, config_yaml(tiny_assets, tmp_path, **LONG))
    wait_for(cluster, job.job_id, lambda j: j.pid is not None, "started on the node")
    subprocess.run(["scancel", slurm_id(job)], check=True)
    ended = wait_for(cluster, job.job_id, lambda j: not j.is_active, "ended")
    assert ended.state == "failed"
    assert f"SLURM job {slurm_id(job)} was cancelled in SLURM" in ended.error


def test_a_job_killed_before_its_python_starts_is_failed(cluster: JobQueue, tiny_assets: Path, tmp_path: Path) -> None:
    job = submitted(cluster, config_yaml(tiny_assets, tmp_path, **SMALL), DOOMED)
    ended = wait_for(cluster, job.job_id, lambda j: not j.is_active, "ended")
    assert ended.state == "failed" and ended.heartbeat_at is None
    assert "ended as FAILED" in ended.error, ended.error


def test_a_time_limit_is_reported_as_one(cluster: JobQueue, tiny_assets: Path, tmp_path: Path) -> None:
    minute = CPU_JOB.model_copy(update={"timeout_min": 1})
    job = submitted(cluster, config_yaml(tiny_assets, tmp_path, **LONG), minute)
    ended = wait_for(cluster, job.job_id, lambda j: not j.is_active, "ended")
    assert ended.state == "failed"
    assert "at its time limit of 1 min (TIMEOUT)" in ended.error, ended.error


def test_gpus_asked_of_a_cpu_only_partition_are_refused_with_the_fix(cluster: JobQueue, tiny_assets: Path,
                                                                    tmp_path: Path) -> None:
    assert partition_gpus(None) == 0  # what the Runs page checks before it warns
    gpu_job = CPU_JOB.model_copy(update={"gpus_per_node": 1})
    job = submitted(cluster, config_yaml(tiny_assets, tmp_path, **SMALL), gpu_job)
    ended = wait_for(cluster, job.job_id, lambda j: not j.is_active, "ended")
    assert ended.state == "failed" and "set gpus_per_node: 0 for a CPU-only cluster" in ended.error, ended.error
