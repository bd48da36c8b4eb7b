"""The run queue with real parts, on both engines (a SQLite file; a PostgreSQL database): real worker processes
running the tiny pipeline end to end, concurrent claimers, cancel, a worker killed mid-job, retry from
checkpoints, submitit's local executor."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from pipeline.errors import UserError
from pipeline.jobs import Execution, JobError, JobQueue, cancel, job_spec, run_worker, submit
from pipeline.jobs.access import launch_access
from pipeline.jobs.compose import compose, parse_seeds
from pipeline.jobs.progress import explain_failure
from pipeline.jobs.queue import Job
from pipeline.run.config import RunConfig
from pipeline.store import ResultsStore
from pipeline.testing.configs import REPO, TINY_CONFIG
from tests.backends import create_database, drop_database, skip_without

SMALL = {"intermediate": ["none"], "targets": {"xnli": {"languages": ["en", "ru"]}}, "seeds": [1]}
#: The quickest job: a retrieval task, nothing trained.
RETRIEVAL = {"intermediate": ["none"], "targets": {"tatoeba": {"languages": ["de", "ru"]}}, "seeds": [1]}
#: A job whose second batch trains for a while: a retrieval task (no training) first, then long XNLI training.
SLOW = {"intermediate": ["none"], "seeds": [1],
        "targets": {"tatoeba": {"languages": ["de", "ru"]}, "xnli": {"languages": ["en", "ru"], "epochs": 40}},
        "hyperparameters": {"target": {"learning_rate": 1.0e-3, "batch_size": 8, "max_steps": 160,
                                       "eval_every": 1000}}}
WAIT_S = 300


def config_yaml(tiny_assets: Path, out: Path, **overrides: object) -> str:
    raw = yaml.safe_load(TINY_CONFIG.read_text(encoding="utf-8"))
    raw.update(models=[str(tiny_assets / "model")], data_dir=str(tiny_assets / "data"), output_dir=str(out / "runs"))
    raw.update(overrides)
    return yaml.safe_dump(raw, sort_keys=False)


def cli(*args: str, **kwargs: object) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=REPO, capture_output=True, text=True,
                          env=os.environ.copy(), timeout=WAIT_S, **kwargs)


def start_worker(store: str | None, *args: str) -> subprocess.Popen:
    """A worker process on ``store`` (None: on $ATLAS_STORE, as the dashboard starts its worker)."""
    on_store = [] if store is None else ["--store", str(store)]
    return subprocess.Popen([sys.executable, "-m", "pipeline", "worker", *on_store, "--poll", "0.2", *args],
                            cwd=REPO, env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def wait_for(queue: JobQueue, job_id: int, condition: Callable[[Job], bool], what: str) -> Job:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        job = queue.get(job_id)
        if condition(job):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} never {what}: {queue.get(job_id)}")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def command_lines(root: int) -> set[str]:
    """The command lines of ``root`` and every process below it, read from /proc as `ps` reads them."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:  # the parent pid is the 2nd field after the parenthesised command name
            children.setdefault(int(stat.read_text().rsplit(")", 1)[1].split()[1]), []).append(int(stat.parent.name))
        except OSError:  # the process ended meanwhile
            continue
    todo, lines = [root], set()
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            lines.add(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except OSError:
            continue
    return lines


def test_a_worker_runs_a_job_end_to_end_and_an_identical_submission_offers_its_results(
        tiny_assets: Path, tmp_path: Path, store_location: str) -> None:
    store = store_location
    text = config_yaml(tiny_assets, tmp_path, **SMALL)
    first = submit(store, text, "small.yaml")
    assert first.created and first.job.state == "queued"
    worker = cli("worker", "--once", "--store", str(store))
    assert worker.returncode == 0, worker.stdout + worker.stderr

    job = JobQueue(store).get(first.job.job_id)
    assert job.state == "done", job.error
    assert (job.step, job.total, job.fraction) == (1, 1, 1.0)
    assert job.device.startswith(("CPU", "GPU")) and job.attempts == 1 and job.finished_at >= job.started_at
    assert "result rows" in job.log_tail
    rows = ResultsStore(store).read_results()
    assert set(rows.run_id) == set(job.run_ids) and len(rows) == job.n_rows == 2
    assert set(rows.language) == {"en", "ru"} and rows.test_artifact.all()

    renamed = text.replace("name: tiny-cpu", "name: same-runs-other-name")
    again = submit(store, renamed, "again.yaml")
    assert not again.created and again.job.job_id == job.job_id
    assert len(JobQueue(store).jobs()) == 1
    forced = submit(store, renamed, "again.yaml", force=True)
    assert forced.created and forced.job.state == "queued"


def test_the_cli_submits_lists_and_refuses_an_invalid_config_with_its_message(
        tiny_assets: Path, tmp_path: Path, store_location: str) -> None:
    store = store_location
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(config_yaml(tiny_assets, tmp_path, **SMALL), encoding="utf-8")
    bad.write_text(config_yaml(tiny_assets, tmp_path, **{**SMALL, "targets": {"xnli": {"languages": ["xx"]}}}))
    refused = cli("submit", str(bad), "--store", str(store))
    assert refused.returncode == 2
    assert "bad.yaml: targets: target task 'xnli' has no language(s) ['xx']" in refused.stderr
    assert JobQueue(store).jobs() == []
    queued = cli("submit", str(good), "--store", str(store))
    assert queued.returncode == 0 and "job 1 queued" in queued.stdout
    listed = cli("jobs", "--store", str(store))
    assert "queued" in listed.stdout and "tiny-cpu" in listed.stdout


def test_concurrent_workers_claim_every_job_exactly_once(tmp_path: Path, tiny_assets: Path, store_location: str) -> None:
    store = store_location
    queue = JobQueue(store)
    n_jobs, n_claimers = 40, 4
    for seed in range(n_jobs):
        queue.submit(job_spec(config_yaml(tiny_assets, tmp_path, **{**SMALL, "seeds": [seed]}), f"seed{seed}"), "test")
    claimer = textwrap.dedent(f"""
        from pipeline.jobs.queue import JobQueue
        queue, taken = JobQueue({str(store)!r}), []
        while (job := queue.claim("claimer-" + __import__("sys").argv[1])) is not None:
            taken.append(job.job_id)
        print(*taken)
    """)
    procs = [subprocess.Popen([sys.executable, "-c", claimer, str(i)], cwd=REPO, stdout=subprocess.PIPE, text=True)
             for i in range(n_claimers)]
    taken_by = {f"claimer-{i}": [int(j) for j in proc.communicate(timeout=WAIT_S)[0].split()]
                for i, proc in enumerate(procs)}
    taken = sorted(j for ids in taken_by.values() for j in ids)
    assert taken == list(range(1, n_jobs + 1))  # none twice, none lost
    owners = {job.job_id: job.worker for job in queue.jobs()}
    assert all(owners[j] == name for name, ids in taken_by.items() for j in ids)
    assert {job.state for job in queue.jobs()} == {"running"}


def test_cancel_of_a_running_job_kills_its_process_group_and_marks_it_cancelled(
        tiny_assets: Path, tmp_path: Path, store_location: str) -> None:
    store = store_location
    job_id = submit(store, config_yaml(tiny_assets, tmp_path, **SLOW), "slow.yaml").job.job_id
    queue = JobQueue(store)
    worker = start_worker(store, "--once")
    running = wait_for(queue, job_id, lambda j: j.pid is not None, "started its run")
    assert alive(running.pid)
    stopped = cli("cancel", str(job_id), "--store", str(store))
    assert stopped.returncode == 0, stopped.stderr
    job = wait_for(queue, job_id, lambda j: not j.is_active, "ended")
    assert job.state == "cancelled"
    assert worker.wait(timeout=WAIT_S) == 0
    assert not alive(running.pid)
    with pytest.raises(JobError, match="nothing to cancel"):
        cancel(queue, job_id)


def test_a_killed_worker_leaves_the_job_failed_with_whole_batches_and_retry_resumes(
        tiny_assets: Path, tmp_path: Path, store_location: str) -> None:
    store = store_location
    job_id = submit(store, config_yaml(tiny_assets, tmp_path, **SLOW), "slow.yaml").job.job_id
    queue = JobQueue(store)
    worker = start_worker(store)
    running = wait_for(queue, job_id, lambda j: j.step == 1 and "target xnli" in (j.phase or ""),
                       "stored its first batch")
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    wait_for(queue, job_id, lambda j: not alive(running.pid), "lost its run with its worker")

    recovered = cli("worker", "--once", "--lease", "1", "--store", str(store))
    assert recovered.returncode == 0
    job = queue.get(job_id)
    assert job.state == "failed" and job.error.startswith("worker lost")
    rows = ResultsStore(store).read_results()
    assert set(rows.target_task) == {"tatoeba"}  # the batch written before the kill, whole
    assert set(rows.language) == {"de", "ru"}
    evaluated = {path: path.stat().st_mtime_ns for path in (tmp_path / "runs").rglob("eval/tatoeba*/**/*.json")}
    assert evaluated

    queue.retry(job_id)
    assert cli("worker", "--once", "--store", str(store)).returncode == 0
    job = queue.get(job_id)
    assert job.state == "done" and job.attempts == 2, job.error
    assert {path: path.stat().st_mtime_ns for path in evaluated} == evaluated  # reused, not recomputed
    assert set(ResultsStore(store).read_results().target_task) == {"tatoeba", "xnli"}


def test_a_database_password_stays_off_the_command_lines_of_a_job_that_writes_to_that_database(
        tiny_assets: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Any user of the machine sees every command line (`ps`): the worker and the run it starts find the store
    in their environment, never in their arguments."""
    skip_without("postgresql")
    secret = f"pw-{uuid.uuid4().hex}"
    url = create_database(password=secret)
    try:
        monkeypatch.setenv("ATLAS_WORK_DIR", str(tmp_path / "work"))
        monkeypatch.setenv("ATLAS_STORE", url)
        job_id = submit(url, config_yaml(tiny_assets, tmp_path, **RETRIEVAL), "retrieval.yaml").job.job_id
        worker, seen = start_worker(None, "--once"), set()
        while worker.poll() is None:
            seen |= command_lines(worker.pid)
            time.sleep(0.1)
        assert worker.returncode == 0, worker.stdout.read()
        assert any(" -m pipeline run " in line for line in seen), f"the job's run was never seen: {seen}"
        assert [line for line in seen if secret in line] == []
        job = JobQueue(url).get(job_id)
        assert job.state == "done" and job.n_rows == 2, job.error
        assert set(ResultsStore(url).read_results().run_id) == set(job.run_ids)
    finally:
        drop_database(url)


def test_retry_requeues_only_failed_or_cancelled_jobs(
        tiny_assets: Path, tmp_path: Path, store_location: str) -> None:
    store = store_location
    queue = JobQueue(store)
    job_id = submit(store, config_yaml(tiny_assets, tmp_path, **SMALL), "small.yaml").job.job_id
    with pytest.raises(JobError, match="only failed or cancelled"):
        queue.retry(job_id)
    assert cancel(queue, job_id).state == "cancelled"  # a queued job is cancelled at once
    assert queue.claim("w") is None
    assert cli("retry", str(job_id), "--store", str(store)).returncode == 0
    assert queue.get(job_id).state == "queued"
    assert queue.claim("w").job_id == job_id


def test_only_one_embedded_worker_serves_a_queue(tmp_path: Path, store_location: str) -> None:
    store = store_location
    first = start_worker(store, "--embedded")
    try:
        deadline = time.monotonic() + WAIT_S
        while not JobQueue(store).live_workers() and time.monotonic() < deadline:
            time.sleep(0.1)
        second = cli("worker", "--embedded", "--store", str(store))
        assert second.returncode == 0 and "already serves" in second.stdout
        assert [w.pid for w in JobQueue(store).live_workers()] == [first.pid]
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=60)
    assert JobQueue(store).live_workers() == []


def test_a_slurm_job_is_refused_a_sqlite_store_unless_the_execution_opts_in(tiny_assets: Path, tmp_path: Path) -> None:
    store, text = tmp_path / "atlas.db", config_yaml(tiny_assets, tmp_path, **SMALL)
    with pytest.raises(UserError, match="use a PostgreSQL store .* allow_sqlite_store: true"):
        submit(store, text, "small.yaml", Execution(backend="slurm"))
    assert JobQueue(store).jobs() == []
    assert submit(store, text, "small.yaml", Execution(backend="slurm", allow_sqlite_store=True)).created


def test_a_slurm_backend_job_runs_through_submitit_local_executor(tiny_assets: Path, tmp_path: Path) -> None:
    store = tmp_path / "atlas.db"  # one machine: the opt-in is true here
    cluster = Execution(backend="slurm", partition="gpu", gpus_per_node=0, cpus_per_task=1, timeout_min=10,
                        allow_sqlite_store=True)
    job_id = submit(store, config_yaml(tiny_assets, tmp_path, **SMALL), "small.yaml", cluster).job.job_id
    assert run_worker(store, once=True, cluster="local", say=lambda _: None) == 1
    queue = JobQueue(store)
    assert queue.get(job_id).backend_id.startswith("local:")
    job = wait_for(queue, job_id, lambda j: not j.is_active, "finished on the cluster")
    assert job.state == "done", job.error
    assert job.worker.startswith("local:") and job.n_rows == 2
    assert list(queue.paths.submitit_dir.rglob("*_result.pkl"))


def test_out_of_memory_is_reported_with_the_batch_sizes_in_play() -> None:
    config = RunConfig.model_validate({"targets": {"xnli": {"batch_size": 64}}, "eval_batch_size": 128})
    log = ("target xnli seed 1:  10%|█         | 3/30 [00:01<00:09]\n"
           "out of memory: micro-batch halved, gradient accumulation 2\n"
           "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB\n")
    message = explain_failure(log, 1, config)
    assert message.startswith("Out of memory during target xnli seed 1")
    assert "xnli 64" in message and "evaluation batch size 128" in message and "gradient accumulation 2" in message
    assert explain_failure("error: no such model\n", 2, config) == "no such model"


def test_launching_needs_localhost_or_the_admin_token_and_read_only_hides_it() -> None:
    assert launch_access("127.0.0.1", None, environ={}).allowed
    shared = launch_access("0.0.0.0", None, environ={})
    assert shared.visible and not shared.allowed and "no admin token" in shared.reason
    env = {"ATLAS_ADMIN_TOKEN": "s3cret"}
    assert not launch_access("0.0.0.0", "guess", environ=env).allowed
    assert launch_access("0.0.0.0", "s3cret", environ=env).allowed
    assert not launch_access("127.0.0.1", None, environ={"ATLAS_READ_ONLY": "1"}).visible
    assert not launch_access("127.0.0.1", None, environ={}, argv=["app.py", "--read-only"]).visible


def test_submit_refuses_an_invalid_config_in_the_library_too(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="page.yaml: targets: must name at least one target task"):
        submit(tmp_path / "atlas.db", "targets: {}\n", "page.yaml")


def test_a_composed_grid_keeps_the_saved_settings_and_keeps_each_task_to_its_languages() -> None:
    base = yaml.safe_load(TINY_CONFIG.read_text(encoding="utf-8"))
    raw = compose(base, "mine", "xlm-roberta-base", ["mnli", "squad_v1"], True, [], True, True, ["xnli", "tatoeba"],
                  ["en", "sw", "ru"], parse_seeds("1, 2"))
    config = RunConfig.model_validate(raw)
    assert [(i.store_id(), config.mlm_for(i)) for i in config.intermediate] == [
        ("none", False), ("multi:mnli,squad_v1", True)]
    assert config.targets["xnli"].languages == ("en", "sw", "ru")
    assert config.targets["tatoeba"].languages == ("sw", "ru")  # no English in Tatoeba
    assert config.seeds == (1, 2) and config.models == ("xlm-roberta-base",)
    assert not config.build_test_assets  # no tiny model is built under a hub id
    assert config.hyperparameters == RunConfig.model_validate(base).hyperparameters
    with pytest.raises(ValueError, match="whole numbers"):
        parse_seeds("1, two")
