"""Killed pipeline runs: `python -m pipeline run CONFIG` (the tiny CPU model) killed with SIGKILL at 20
seeded points across its phases — intermediate training, target training, evaluation, and inside
the store's write transactions — each kill followed by a re-run that resumes from what was kept.

After every kill the store passes its integrity check and holds only whole target tasks of the
uninterrupted run; when the runs are let through, the results equal an uninterrupted run's.
"""

from __future__ import annotations

import json
import random
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from pipeline.examples import ExampleStore, examples_root
from pipeline.store import ResultsStore
from pipeline.testing.configs import relocated_config
from tests.reliability.kill_runner import KillRunner

SEED = 20261122
N_KILLS = 20
KILLED = -signal.SIGKILL
STEPS = {"learning_rate": 1.0e-3, "batch_size": 8, "max_steps": 6, "eval_every": 3}
IDENTITY = ["run_id", "intermediate_task", "target_task", "language", "metric", "seed"]


@pytest.fixture(scope="module")
def runner() -> Iterator[KillRunner]:
    server = KillRunner("pipeline.run.runner")  # the run command's heavy imports, paid once
    yield server
    server.close()


def rows_of(path: Path) -> pd.DataFrame:
    if not path.exists():
        return pd.DataFrame(columns=[*IDENTITY, "value"])
    frame = ResultsStore(path).read_results()
    return frame[[*IDENTITY, "value"]].sort_values(IDENTITY, ignore_index=True)


def test_a_killed_run_keeps_whole_target_tasks_and_resumes_to_the_same_results(
    runner: KillRunner, tmp_path: Path
) -> None:
    config = relocated_config(tmp_path, intermediate=["none", "mnli"], seeds=[1],
                              targets={"xnli": {"languages": ["en", "ru"]}, "panx": {"languages": ["en", "de"]}},
                              hyperparameters={"intermediate": STEPS, "target": STEPS})
    assert runner.run(["build-tiny", str(tmp_path / "tiny")]) == 0
    outputs = tmp_path / "runs"

    def run(store: Path, report: Path | None = None, kind: str = "none", at: int = 0) -> int:
        return runner.run(["run", str(config), "--store", str(store)], report, kind, at)

    reference_store = tmp_path / "reference.db"
    assert run(reference_store, tmp_path / "dry.json", "count") == 0  # an uninterrupted, counted run
    totals = json.loads((tmp_path / "dry.json").read_text())
    reference = rows_of(reference_store)
    assert set(reference["target_task"]) == {"xnli", "panx"} and len(reference) > 0
    whole_tasks = {key: group for key, group in reference.groupby(["run_id", "target_task"])}

    rng = random.Random(SEED)
    store, where, phases_done, kills = tmp_path / "killed.db", [], set(), 0
    shutil.rmtree(outputs)
    while kills < N_KILLS:
        kind = rng.choice(["call", "call", "sql"])
        at = rng.randint(1, totals["calls"] // 3 if kind == "call" else totals["sql"])
        status = run(store, tmp_path / "kill.json", kind, at)
        if status == 0:  # the run got through before its kill point: start again from nothing
            pd.testing.assert_frame_equal(rows_of(store), reference)
            shutil.rmtree(outputs)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{store}{suffix}").unlink(missing_ok=True)
            continue
        assert status == KILLED, f"{kind}@{at}: status {status}"
        kills += 1
        state = json.loads((tmp_path / "kill.json").read_text())
        where.append("in transaction" if state["inside"] else "between transactions")
        phases_done.add(len(list(outputs.glob("phases/*/report.json"))))

        assert not store.exists() or ResultsStore(store).integrity_problems() == []
        for key, group in rows_of(store).groupby(["run_id", "target_task"]):
            pd.testing.assert_frame_equal(group.reset_index(drop=True), whole_tasks[key].reset_index(drop=True),
                                          obj=f"{key} after a kill at {kind}@{at}")

    assert run(store) == 0, "the re-run after the last kill failed"
    assert ResultsStore(store).integrity_problems() == []
    pd.testing.assert_frame_equal(rows_of(store), reference)
    killed_examples = ExampleStore(examples_root(store))
    reference_examples = ExampleStore(examples_root(reference_store))
    assert len(reference_examples.index()) == len(whole_tasks)
    for entry in reference_examples.index().itertuples():  # per-example predictions resume to the same files too
        pd.testing.assert_frame_equal(killed_examples.read(entry.run_id, entry.task_id),
                                      reference_examples.read(entry.run_id, entry.task_id))
    assert {"in transaction", "between transactions"} <= set(where), where
    assert len(phases_done) >= 3, f"the kills landed after only {sorted(phases_done)} finished phases"
