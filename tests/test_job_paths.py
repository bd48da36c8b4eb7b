"""A run launched from the dashboard writes outside the checkout, which Streamlit watches recursively."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline.jobs.paths import CHECKOUT, WORK_ENV, JobPaths, inside_checkout, outputs_outside_checkout
from pipeline.run.config import RunConfig
from pipeline.testing.configs import TINY_CONFIG


def test_the_default_store_keeps_its_job_files_in_the_work_folder(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WORK_ENV, str(tmp_path / "work"))
    paths = JobPaths.for_store(CHECKOUT / "data" / "atlas.db")
    assert paths.root == tmp_path / "work" / "jobs" / "atlas" and not inside_checkout(paths.runs)
    assert JobPaths.for_store(tmp_path / "team.db").root == tmp_path / "cache" / "jobs" / "team", "a store elsewhere: beside it"


def test_a_config_writing_into_the_checkout_is_moved_and_keeps_its_run_ids(tmp_path: Path) -> None:
    text = TINY_CONFIG.read_text(encoding="utf-8")
    assert inside_checkout(yaml.safe_load(text)["output_dir"])
    moved = outputs_outside_checkout(text, tmp_path / "runs")
    assert yaml.safe_load(moved)["output_dir"] == str(tmp_path / "runs")
    before, after = RunConfig(**yaml.safe_load(text)), RunConfig(**yaml.safe_load(moved))
    cell = ("tiny", before.intermediate[0], 1)
    assert before.run_id(*cell) == after.run_id(*cell), "it changes where files go, not what runs"
    elsewhere = text.replace("output_dir: data/cache/runs", f"output_dir: {tmp_path / 'mine'}")
    assert outputs_outside_checkout(elsewhere, tmp_path / "runs") == elsewhere
