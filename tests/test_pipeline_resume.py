"""Resumability: a run killed with SIGKILL in the middle of a phase, then re-run, ends with exactly the
results of an uninterrupted run, and the store never holds part of a target task."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from pipeline.store import ResultsStore
from pipeline.testing.configs import REPO, relocated_config

TARGETS = {"xnli": {"languages": ["en", "ru"]}, "panx": {"languages": ["en", "de"]},
           "tatoeba": {"languages": ["de", "ru"]}}
SETTINGS = {"learning_rate": 1.0e-3, "batch_size": 8, "max_steps": 16, "eval_every": 8}


def _config(work: Path, output: str) -> Path:
    path = relocated_config(work, intermediate=["mnli"], targets=TARGETS, seeds=[3],
                            hyperparameters={"intermediate": SETTINGS, "target": SETTINGS})
    renamed = path.with_name(f"{output}.yaml")
    renamed.write_text(path.read_text().replace(str(work / "runs"), str(work / output)))
    return renamed


def _command(config: Path, store: Path) -> list[str]:
    return [sys.executable, "-m", "pipeline", "run", str(config), "--store", str(store)]


def _results(store: Path) -> pd.DataFrame:
    rows = ResultsStore(store).read_results()
    keys = ["run_id", "intermediate_task", "target_task", "language", "metric", "seed"]
    return rows[[*keys, "value"]].sort_values(keys).reset_index(drop=True)


def test_killed_run_resumes_to_the_same_results_as_an_uninterrupted_run(tmp_path: Path) -> None:
    env = os.environ.copy()
    whole_store, resumed_store = tmp_path / "whole.db", tmp_path / "resumed.db"
    whole = subprocess.run(_command(_config(tmp_path, "whole"), whole_store), cwd=REPO, env=env,
                           capture_output=True, text=True, timeout=600)
    assert whole.returncode == 0, whole.stderr[-3000:]

    config = _config(tmp_path, "resumed")
    proc = subprocess.Popen(_command(config, resumed_store), cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    phases = tmp_path / "resumed" / "phases"
    deadline = time.monotonic() + 300
    while not list(phases.glob("*/report.json")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)  # wait until the intermediate phase is done: the kill lands in a target phase
    assert proc.poll() is None, "the run ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert len(list(phases.glob("*/report.json"))) < 3  # killed before all phases were done

    if resumed_store.exists():  # whatever reached the store is whole target tasks
        partial = _results(resumed_store)
        for task, group in partial.groupby("target_task"):
            assert set(group.language) == set(TARGETS[task]["languages"])

    again = subprocess.run(_command(config, resumed_store), cwd=REPO, env=env, capture_output=True, text=True,
                           timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    expected, resumed = _results(whole_store), _results(resumed_store)
    # 3 tasks x 2 languages, and PAN-X's precision and recall beside its F1.
    assert len(expected) == 2 * 3 + 2 * 2 and set(expected.target_task) == set(TARGETS)
    pd.testing.assert_frame_equal(resumed, expected)
