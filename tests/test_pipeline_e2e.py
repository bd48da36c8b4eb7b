"""End to end: `python -m pipeline run data/configs/tiny-cpu.yaml` on the tiny model and fixture data
writes rows for every target-task family into a real store, labelled as test artefacts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeline.store import ResultsStore
from pipeline.testing.configs import REPO, TINY_CONFIG, relocated_config

FAMILIES = {"classification": {"xnli", "pawsx"}, "tagging": {"panx", "udpos"},
            "question answering": {"xquad", "mlqa", "tydiqa"}, "retrieval": {"bucc", "tatoeba"},
            "multiple choice": {"xcopa"}}


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=REPO, capture_output=True, text=True,
                          env=os.environ.copy(), timeout=900)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, subprocess.CompletedProcess]:
    work = tmp_path_factory.mktemp("tiny-e2e")
    config, store = relocated_config(work), work / "atlas.db"
    return config, store, run_cli("run", str(config), "--store", str(store))


def test_tiny_config_writes_rows_for_every_target_family(tiny_run) -> None:
    config_path, store_path, done = tiny_run
    assert done.returncode == 0, done.stderr[-3000:]
    rows = ResultsStore(store_path).read_results()
    config = yaml.safe_load(TINY_CONFIG.read_text())
    for family, tasks in FAMILIES.items():
        assert tasks <= set(rows.target_task), f"no rows for {family}"
    expected = {(task, lang) for task, spec in config["targets"].items() for lang in spec["languages"]}
    assert set(zip(rows.target_task, rows.language)) == expected
    assert rows.test_artifact.all() and set(rows.model) == {"tiny-xlmr-test"} and set(rows.source) == {"run"}
    assert set(rows.seed) == {1, 2}
    assert rows.value.between(0, 100).all()
    assert (rows.model_params > 0).all()


def test_every_cell_has_a_baseline_run_to_compare_with(tiny_run) -> None:
    _, store_path, _ = tiny_run
    rows = ResultsStore(store_path).read_results()
    baseline = rows[rows.intermediate_task == "none"]
    trained = rows[rows.intermediate_task != "none"]
    assert set(trained.intermediate_task) == {"multi:hellaswag,mnli,squad_v1"} and trained.mlm_cotraining.all()
    assert baseline.baseline_run_id.isna().all()
    by_seed = baseline.groupby("seed").run_id.unique()
    for seed, group in trained.groupby("seed"):
        assert set(group.baseline_run_id) == set(by_seed[seed])
    keys = ["target_task", "language", "metric", "seed"]
    assert len(trained.merge(baseline, on=keys)) == len(trained)


def test_notes_record_the_retrieval_protocol_and_checkpoint_policy(tiny_run) -> None:
    _, store_path, _ = tiny_run
    rows = ResultsStore(store_path).read_results()
    retrieval = rows[rows.target_task.isin(FAMILIES["retrieval"])]
    assert retrieval.notes.str.contains("mean pooling over non-padding tokens of hidden layer 1/2").all()
    trained = rows[~rows.target_task.isin(FAMILIES["retrieval"])]
    assert trained.notes.str.contains("checkpoint: best English dev").all()


def test_rerunning_the_same_config_reuses_everything_and_adds_nothing(tiny_run) -> None:
    config_path, store_path, _ = tiny_run
    before = ResultsStore(store_path).read_results()
    again = run_cli("run", str(config_path), "--store", str(store_path))
    assert again.returncode == 0, again.stderr[-3000:]
    assert "(0 new)" in again.stdout
    after = ResultsStore(store_path).read_results()
    assert sorted(after.result_id) == sorted(before.result_id)
    assert "intermediate" not in again.stderr and "target xnli" not in again.stderr  # no phase trained again
