"""The Runs page in a real Streamlit script run (AppTest): compose an experiment, see its plan and cost, submit
it, let the embedded worker the page starts run it, and find its rows in the Overview without a restart; on the
real one-node SLURM (CPU-only), asking for GPUs warns with the fix."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from pipeline.jobs import JobQueue, submit
from pipeline.testing.configs import TINY_CONFIG
from tests.conftest import REPO
from tests.test_slurm import slurm_problem

WAIT_S = 300


@pytest.fixture
def saved_configs(tiny_assets: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config folder holding the tiny config, pointed at the built tiny_assets and this test's outputs."""
    folder = tmp_path / "configs"
    folder.mkdir()
    raw = yaml.safe_load(TINY_CONFIG.read_text(encoding="utf-8"))
    raw.update(models=[str(tiny_assets / "model")], data_dir=str(tiny_assets / "data"), output_dir=str(tmp_path / "runs"))
    (folder / "tiny-cpu.yaml").write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    monkeypatch.setenv("ATLAS_CONFIG_DIR", str(folder))
    return folder


@pytest.fixture
def queue(store_path: Path, saved_configs: Path) -> Iterator[JobQueue]:
    """The test store's queue; the embedded worker the page starts is stopped afterwards."""
    jobs = JobQueue(store_path)
    yield jobs
    started = jobs.paths.embedded_lock.with_suffix(".started")
    deadline = time.monotonic() + WAIT_S
    while started.exists() and not jobs.live_workers() and time.monotonic() < deadline:
        time.sleep(0.2)
    for worker in jobs.live_workers():
        os.kill(worker.pid, signal.SIGTERM)
    while jobs.live_workers() and time.monotonic() < deadline:
        time.sleep(0.2)


def open_runs_page() -> AppTest:
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    app.run()
    app.switch_page("pages/runs.py").run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def rerun(app: AppTest) -> AppTest:
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_compose_submit_watch_and_find_the_rows_in_the_overview(queue: JobQueue) -> None:
    app = open_runs_page()
    app.radio(key="run_from").set_value("compose").run()
    app.multiselect(key="run_targets").set_value(["xnli"]).run()
    app.multiselect(key="run_langs").set_value(["en", "ru"]).run()
    assert not app.error, [e.value for e in app.error]
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Runs"] == "1" and metrics["Evaluations"] == "2"
    assert metrics["Rough time"] not in ("unknown", "—")
    assert any("Each run trains and evaluates XNLI (2 languages)" in c.value for c in app.caption)

    app.button(key="run_submit").click()
    rerun(app)
    (job,) = queue.jobs()
    assert job.state in ("queued", "running") and job.name == "tiny-cpu-custom"
    assert any(m.value.startswith(("⏳ **Job 1**", "🏃 **Job 1**")) for m in app.markdown)

    deadline = time.monotonic() + WAIT_S
    while queue.get(job.job_id).is_active and time.monotonic() < deadline:
        time.sleep(0.5)
    assert queue.get(job.job_id).state == "done", queue.get(job.job_id).error
    rerun(app)
    links = {button.proto.label: button.proto.url for button in app.get("link_button")}
    assert "grid=pipeline" in links["Open in Overview"] and "model=tiny-xlmr-test" in links["Open in Languages"]
    assert "artifacts=1" in links["Open in Overview"], "a tiny run's link shows its test artefacts"

    app.switch_page("pages/overview.py")
    rerun(app)
    assert not any(o.startswith("pipeline") for o in app.selectbox(key="grid").options), "hidden by default"
    app.toggle(key="artifacts").set_value(True)
    rerun(app)
    options = app.selectbox(key="grid").options
    grid = next(o for o in options if o.startswith("pipeline run · tiny-xlmr-test [test artefact]"))
    app.selectbox(key="grid").select_index(options.index(grid))
    rerun(app)
    table = app.dataframe[0].value
    assert "XNLI" in table.columns and table["XNLI"].notna().all()
    assert any("tiny test model" in w.value for w in app.warning)


def test_a_running_job_shows_its_progress_and_can_be_cancelled_and_retried(queue: JobQueue) -> None:
    text = (Path(os.environ["ATLAS_CONFIG_DIR"]) / "tiny-cpu.yaml").read_text(encoding="utf-8")
    job_id = submit(queue.store_location, text, "tiny-cpu.yaml").job.job_id
    assert queue.claim("test-worker").job_id == job_id
    queue.update(job_id, "test-worker", phase="loading model and data", fraction=0.0, eta_seconds=None)
    (bar,) = open_runs_page().get("progress")
    assert "ETA estimating…" in bar.proto.text, "no rate yet: no guess"
    queue.update(job_id, "test-worker", phase="target xnli seed 1 (4/8)", step=3, fraction=0.25, eta_seconds=75.0,
                 log_tail="target xnli seed 1:  50%|#####     | 4/8", device="CPU (2 threads), fp32")
    app = open_runs_page()
    (bar,) = app.get("progress")
    total = queue.get(job_id).total
    assert bar.proto.value == 25
    assert f"target xnli seed 1 (4/8) · 3/{total} task batches stored · ETA 1m 15s" in bar.proto.text
    assert any("4/8" in code.value for code in app.code)

    app.button(key=f"cancel_{job_id}").click()
    rerun(app)
    assert queue.get(job_id).cancel_requested
    queue.finish(job_id, "test-worker", "cancelled")
    rerun(app)
    app.button(key=f"retry_{job_id}").click()
    rerun(app)
    assert queue.get(job_id).state in ("queued", "running")


def test_launch_controls_need_the_token_off_localhost_and_vanish_in_read_only(
        queue: JobQueue, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATLAS_ADMIN_TOKEN", "s3cret")
    address = st_config.get_option("server.address")
    st_config.set_option("server.address", "0.0.0.0")
    try:
        app = open_runs_page()
        assert app.button(key="run_submit").disabled
        assert any("enter the admin token" in w.value for w in app.warning)
        app.sidebar.text_input(key="admin_token").input("s3cret").run()
        assert not app.button(key="run_submit").disabled
    finally:
        st_config.set_option("server.address", address)
    monkeypatch.setenv("ATLAS_READ_ONLY", "1")
    app = open_runs_page()
    assert "run_submit" not in [button.key for button in app.button]
    assert "New run" not in [header.value for header in app.subheader]
    assert any(header.value == "Jobs" for header in app.subheader)


def test_gpus_asked_of_a_cpu_only_slurm_partition_warn_with_the_fix(saved_configs: Path, store_path: Path) -> None:
    if problem := slurm_problem():
        pytest.skip(problem)
    app = open_runs_page()
    app.radio(key="run_backend").set_value("slurm")
    rerun(app)
    assert app.number_input(key="run_gpus").value == 1
    warnings = [w.value for w in app.warning]
    assert "The partition (default) has no GPUs: set GPUs per node to 0." in warnings, warnings
    app.text_input(key="run_partition").input("debug")
    rerun(app)
    assert "The partition debug has no GPUs: set GPUs per node to 0." in [w.value for w in app.warning]
    app.number_input(key="run_gpus").set_value(0)
    rerun(app)
    assert not any("has no GPUs" in w.value for w in app.warning)
