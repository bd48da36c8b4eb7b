"""Killed writers, on both engines: `python -m pipeline import FILE.csv` and `import-published` killed with SIGKILL at
seeded random points, inside and outside the write transaction, and from outside at random moments.

After every kill the store passes its integrity check and holds exactly what it held before the
import or exactly what an uninterrupted import leaves (never part of the batch, never a duplicate);
re-running the import then ends with the same rows as an uninterrupted import.
"""

from __future__ import annotations

import json
import random
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from pipeline.published import published_rows
from pipeline.store import ResultsStore
from pipeline.tasks import get_target_task
from tests.backends import Stores
from tests.reliability.kill_runner import KillRunner

SEED = 20261121
KILLED = -signal.SIGKILL


def xnli_rows(run_id: str, seeds: range, shift: float = 0.0) -> list[dict[str, object]]:
    """Result rows of one XNLI run over seeds and all 15 languages (values depend on seed, language and shift)."""
    languages = get_target_task("xnli").languages
    return [
        {"run_id": run_id, "source": "run", "model": "xlm-roberta-base", "intermediate_task": "mnli",
         "target_task": "xnli", "language": lang, "metric": "accuracy", "split": "test", "setting": "zero-shot",
         "seed": seed, "value": round((seed * 7.3 + i * 3.1 + shift) % 100, 2),
         "created_at": "2026-11-21T12:00:00+00:00"}
        for seed in seeds for i, lang in enumerate(languages)
    ]


@pytest.fixture(scope="module")
def runner() -> Iterator[KillRunner]:
    server = KillRunner()
    yield server
    server.close()


def rows_of(path: str) -> pd.DataFrame:
    """The stored rows, comparable across runs (created_at of published rows is the import time)."""
    frame = ResultsStore(path).read_results().drop(columns="created_at")
    return frame.sort_values("result_id", ignore_index=True)


def prepared_store(path: str) -> str:
    """A store holding an earlier import (run 'a'), checkpointed so that copying a SQLite file copies all of it."""
    store = ResultsStore(path)
    store.insert_results(xnli_rows("a", range(100)), label="earlier import")
    if store.path is not None:
        with store.connection() as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def kill_points(runner: KillRunner, argv: list[str], stores: Stores, initial: str, work: Path, n_random: int,
                rng: random.Random) -> list[dict[str, object]]:
    """Seeded kill points for one command, from an uninterrupted dry run's counts."""
    dry = stores.copy(initial, "dry")
    start = time.perf_counter()
    assert runner.run([*argv, "--store", dry], work / "dry.json", "count") == 0
    seconds = time.perf_counter() - start
    totals = json.loads((work / "dry.json").read_text())
    assert totals["begin"] and totals["commit"], "the dry run never wrote"
    points = [
        {"kind": "sql", "at": totals["begin"]},  # just before BEGIN IMMEDIATE
        {"kind": "sql", "at": totals["commit"]},  # just before COMMIT
        {"kind": "call", "at": totals["calls_at_commit"] + 1},  # just after COMMIT
        {"kind": "call", "at": rng.randint(totals["calls_at_commit"] + 1, totals["calls"] - 1)},
    ]
    points += [{"kind": "sql", "at": rng.randint(1, totals["sql"] - 1)} for _ in range(n_random)]
    points += [{"kind": "call", "at": rng.randint(1, totals["calls"] - 1)} for _ in range(n_random)]
    points += [{"kind": "outside", "after": rng.uniform(0.1, seconds)} for _ in range(2)]
    return points


@pytest.mark.parametrize(
    ("command", "n_random"),
    [(["import", "{csv}"], 5), (["import-published"], 4)],
    ids=["import-csv", "import-published"],
)
def test_a_killed_import_leaves_all_or_nothing_and_a_rerun_completes_it(
    runner: KillRunner, tmp_path: Path, stores: Stores, command: list[str], n_random: int
) -> None:
    csv = tmp_path / "batch.csv"
    corrected, unchanged = xnli_rows("a", range(34), shift=0.5)[::2], xnli_rows("a", range(34, 68))
    new = xnli_rows("b", range(130))
    batch = corrected + unchanged + new
    pd.DataFrame(batch).to_csv(csv, index=False)
    argv = [part.format(csv=csv) for part in command]
    initial = prepared_store(stores.new("initial"))

    reference = stores.copy(initial, "reference")
    assert runner.run([*argv, "--store", reference]) == 0
    before, after = rows_of(initial), rows_of(reference)
    assert len(after) == len(before) + (len(new) if command[0] == "import" else len(published_rows()))

    points = kill_points(runner, argv, stores, initial, tmp_path, n_random, random.Random(f"{SEED}:{command[0]}"))
    where = []
    for number, point in enumerate(points):
        store, report = stores.copy(initial, f"killed-{number}"), tmp_path / f"killed-{number}.json"
        full_argv = [*argv, "--store", store]
        if point["kind"] == "outside":
            status = runner.run(full_argv, kill_after=point["after"])
            committed = None  # unknown: either state is fine
        else:
            status = runner.run(full_argv, report, point["kind"], point["at"])
            assert status == KILLED, f"{point}: the command was not killed (status {status})"
            state = json.loads(report.read_text())
            committed = None if state["committing"] else state["commit"] is not None  # None: either is fine
            where.append("committed" if committed else "in transaction" if state["inside"] else "before")

        assert ResultsStore(store).integrity_problems() == [], point
        now = rows_of(store)
        if committed is None:
            assert now.equals(before) or now.equals(after), f"{point}: a partial batch is stored"
        else:
            pd.testing.assert_frame_equal(now, after if committed else before, obj=str(point))

        assert runner.run(full_argv) == 0, f"{point}: the re-run failed"
        assert ResultsStore(store).integrity_problems() == []
        pd.testing.assert_frame_equal(rows_of(store), after, obj=f"re-run after {point}")

    assert len(points) >= 10
    assert {"before", "in transaction", "committed"} <= set(where), where
    assert where.count("in transaction") >= 2, where
