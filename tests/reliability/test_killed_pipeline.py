"""Killed pipeline runs, on both engines: `python -m pipeline run CONFIG` (the tiny CPU model) killed with SIGKILL
at seeded points across its phases — intermediate training, target training, evaluation, and inside
the store's write transactions — each kill followed by a re-run that resumes from what was kept.

The kills come in series: a run from nothing killed at a planned point, its resumes killed at random points,
then a resume to the end. The planned points are spread evenly over an uninterrupted run's Python calls, and
the last one falls inside its last write transaction, so every engine's kills cover the phases whatever the
seed. After every kill the store passes its integrity check and holds only whole target tasks of the
uninterrupted run; every resume to the end ends with the uninterrupted run's results and example files.

A SQLite store gets 20 kill points (5 series of 4); a PostgreSQL store, to keep the suite's time, 6 (3 series of 2:
planned in the first and second half of the training and evaluation, and inside the last batch's write).
A resume may end before its random kill point: it must then hold the uninterrupted run's results.
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
from pipeline.store import ResultsStore, is_url
from pipeline.testing.configs import relocated_config
from tests.backends import Stores
from tests.reliability.kill_runner import KillRunner

SEED = 20261122
#: Per engine: the series of kills, and the random kills of each series' resumes (see above).
SERIES = {"sqlite": (5, 3), "postgresql": (3, 1)}
KILLED = -signal.SIGKILL
STEPS = {"learning_rate": 1.0e-3, "batch_size": 8, "max_steps": 6, "eval_every": 3}
IDENTITY = ["run_id", "intermediate_task", "target_task", "language", "metric", "seed"]


@pytest.fixture(scope="module")
def runner() -> Iterator[KillRunner]:
    server = KillRunner("pipeline.run.runner")  # the run command's heavy imports, paid once
    yield server
    server.close()


def opened(location: str) -> ResultsStore | None:
    """The store at ``location``; None for a SQLite file no run has made yet (opening it would make it)."""
    return ResultsStore(location) if is_url(location) or Path(location).exists() else None


def rows_of(location: str) -> pd.DataFrame:
    store = opened(location)
    if store is None:
        return pd.DataFrame(columns=[*IDENTITY, "value"])
    return store.read_results()[[*IDENTITY, "value"]].sort_values(IDENTITY, ignore_index=True)


def planned_kills(totals: dict[str, int], n: int, rng: random.Random) -> list[tuple[str, int]]:
    """``n`` kill points in a run from nothing: near the middle of each of ``n - 1`` equal slices of its Python
    calls, and a statement inside its last write transaction (``totals``: an uninterrupted run's counts)."""
    width = totals["calls"] / (n - 1)
    spread = [("call", int(width * (i + rng.uniform(0.25, 0.75)))) for i in range(n - 1)]
    return [*spread, ("sql", rng.randint(totals["begin"] + 1, totals["commit"]))]


def test_a_killed_run_keeps_whole_target_tasks_and_resumes_to_the_same_results(
    runner: KillRunner, tmp_path: Path, stores: Stores, tiny_assets: Path
) -> None:
    config = relocated_config(tmp_path, models=[str(tiny_assets / "model")], data_dir=str(tiny_assets / "data"),
                              intermediate=["none", "mnli"], seeds=[1],
                              targets={"xnli": {"languages": ["en", "ru"]}, "panx": {"languages": ["en", "de"]}},
                              hyperparameters={"intermediate": STEPS, "target": STEPS})
    outputs = tmp_path / "runs"

    def run(store: str, report: Path | None = None, kind: str = "none", at: int = 0) -> int:
        return runner.run(["run", str(config), "--store", store], report, kind, at)

    reference_store = stores.new("reference")
    assert run(reference_store, tmp_path / "dry.json", "count") == 0  # an uninterrupted, counted run
    totals = json.loads((tmp_path / "dry.json").read_text())
    reference = rows_of(reference_store)
    assert set(reference["target_task"]) == {"xnli", "panx"} and len(reference) > 0
    whole_tasks = {key: group for key, group in reference.groupby(["run_id", "target_task"])}
    reference_examples = ExampleStore(examples_root(reference_store))
    assert len(reference_examples.index()) == len(whole_tasks)

    rng, where, phases_done = random.Random(SEED), [], set()

    def kill(store: str, kind: str, at: int) -> None:
        """One killed run, and what it must leave behind (a run that ends before its kill point ends whole)."""
        status = run(store, tmp_path / "kill.json", kind, at)
        if status == 0:
            pd.testing.assert_frame_equal(rows_of(store), reference)
            return
        assert status == KILLED, f"{kind}@{at}: status {status}"
        state = json.loads((tmp_path / "kill.json").read_text())
        where.append("in transaction" if state["inside"] else "between transactions")
        phases_done.add(len(list(outputs.glob("phases/*/report.json"))))
        assert (killed := opened(store)) is None or killed.integrity_problems() == []
        for key, group in rows_of(store).groupby(["run_id", "target_task"]):
            pd.testing.assert_frame_equal(group.reset_index(drop=True), whole_tasks[key].reset_index(drop=True),
                                          obj=f"{key} after a kill at {kind}@{at}")

    n_series, resume_kills = SERIES[stores.backend]
    for number, (kind, at) in enumerate(planned_kills(totals, n_series, rng)):
        store = stores.new(f"killed-{number}")
        shutil.rmtree(outputs, ignore_errors=True)
        kill(store, kind, at)
        for _ in range(resume_kills):
            resume_kind = rng.choice(["call", "call", "sql"])
            kill(store, resume_kind, rng.randint(1, totals["calls"] // 3 if resume_kind == "call" else totals["sql"]))
        assert run(store) == 0, f"the re-run after the kills at {kind}@{at} failed"
        assert ResultsStore(store).integrity_problems() == []
        pd.testing.assert_frame_equal(rows_of(store), reference, obj=f"resumed after {kind}@{at}")
        killed_examples = ExampleStore(examples_root(store))
        for entry in reference_examples.index().itertuples():  # per-example predictions resume to the same files
            pd.testing.assert_frame_equal(killed_examples.read(entry.run_id, entry.task_id),
                                          reference_examples.read(entry.run_id, entry.task_id))

    assert {"in transaction", "between transactions"} <= set(where), where
    assert len(phases_done) >= 3, f"the kills landed after only {sorted(phases_done)} finished phases"
