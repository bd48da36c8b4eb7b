"""The results store on both engines: schema, migrations, idempotence, validation, killed-writer atomicity."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from pipeline.store import RESULT_COLUMNS, SCHEMA_VERSION, ResultsStore, ValidationError
from tests.conftest import REPO

DESIGN_COLUMNS = {
    "result_id", "run_id", "source", "model", "model_params", "intermediate_task", "intermediate_languages",
    "mlm_cotraining", "target_task", "language", "metric", "value", "split", "setting", "seed", "perturbation",
    "created_at",
}


def make_row(**overrides: object) -> dict[str, object]:
    row = {
        "run_id": "run-a", "source": "run", "model": "tiny", "intermediate_task": "none", "target_task": "xnli",
        "language": "de", "metric": "accuracy", "value": 50.0, "split": "dev", "setting": "zero-shot", "seed": 1,
    }
    row.update(overrides)
    return row


def xnli_rows(n_seeds: int, run_id: str = "run-a") -> list[dict[str, object]]:
    from pipeline.tasks import get_target_task

    return [
        make_row(run_id=run_id, language=lang, seed=seed, value=float(seed % 100))
        for seed in range(n_seeds)
        for lang in get_target_task("xnli").languages
    ]


def test_schema_has_design_columns_version_wal_and_indexes(store_path: Path) -> None:
    store = ResultsStore(store_path)
    assert DESIGN_COLUMNS <= set(RESULT_COLUMNS)
    assert store.schema_version() == SCHEMA_VERSION
    with sqlite3.connect(store_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        columns = [r[1] for r in conn.execute("PRAGMA table_info(results)")]
        indexes = {r[1] for r in conn.execute("PRAGMA index_list(results)")}
    assert columns == list(RESULT_COLUMNS)
    assert {"results_target_lang", "results_model", "results_run"} <= indexes


def test_store_from_a_newer_version_is_refused_not_guessed(store_location: str) -> None:
    with ResultsStore(store_location).connection() as conn:
        conn.set_version("results", SCHEMA_VERSION + 1)
    with pytest.raises(RuntimeError, match="newer"):
        ResultsStore(store_location)


def test_reinserting_the_same_rows_adds_nothing(store_location: str) -> None:
    store = ResultsStore(store_location)
    first = store.insert_results(xnli_rows(2))
    version = store.data_version()
    second = store.insert_results(xnli_rows(2))
    assert (first.n_new, second.n_new, second.n_unchanged) == (30, 0, 30)
    assert store.count() == 30
    assert store.data_version() == version, "an import that changes nothing must not invalidate caches"


def test_a_corrected_value_replaces_the_stored_one(store_location: str) -> None:
    store = ResultsStore(store_location)
    store.insert_results([make_row(value=50.0)])
    version = store.data_version()
    report = store.insert_results([make_row(value=51.5)])
    assert (report.n_new, report.n_updated) == (0, 1)
    assert store.read_results()["value"].tolist() == [51.5]
    assert store.data_version() == version + 1


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"language": "xx"}, "row 2, column language: 'xx' is not a language of xnli"),
        ({"target_task": "xnly"}, "row 2, column target_task: unknown target task 'xnly'"),
        ({"value": 100.5}, "row 2, column value: 100.5 is outside 0–100"),
        ({"value": float("nan")}, "row 2, column value"),
        ({"metric": "f1"}, "row 2, column metric: 'f1' is not a metric of xnli"),
        ({"split": "train"}, "row 2, column split"),
        ({"seed": 1.5}, "row 2, column seed"),
        ({"intermediate_task": "multi:"}, "row 2, column intermediate_task"),
    ],
)
def test_one_bad_row_refuses_the_whole_batch(store_location: str, bad: dict[str, object], message: str) -> None:
    store = ResultsStore(store_location)
    store.insert_results([make_row(language="fr")])
    with pytest.raises(ValidationError) as caught:
        store.insert_results([make_row(), make_row(**{"language": "es", **bad})])
    assert message in str(caught.value)
    assert store.count() == 1
    assert store.data_version() == 1


def test_the_same_measurement_twice_in_one_batch_is_refused(store_location: str) -> None:
    store = ResultsStore(store_location)
    with pytest.raises(ValidationError, match="row 2: the same measurement as row 1"):
        store.insert_results([make_row(), make_row(value=10)])
    assert store.count() == 0


WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from pipeline.store import ResultsStore
    from tests.test_store import xnli_rows

    store_path, marker = sys.argv[1], Path(sys.argv[2])

    def progress(n):
        if n == 3000:
            marker.write_text("mid-batch")
            time.sleep(60)  # killed here, with the transaction open

    ResultsStore(store_path).insert_results(xnli_rows(400, run_id="killed"), progress=progress)
    """
)


def _start_writer(store_location: str, marker: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-c", WRITER, store_location, str(marker)], cwd=REPO, env=env)


def _wait_for(marker: Path, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert process.poll() is None, "the writer ended before reaching the middle of its batch"
        assert time.monotonic() < deadline, "the writer never reached the middle of its batch"
        time.sleep(0.05)


def test_a_writer_killed_mid_batch_leaves_no_partial_batch(store_location: str, tmp_path: Path) -> None:
    store = ResultsStore(store_location)
    store.insert_results(xnli_rows(2, run_id="kept"))
    writer = _start_writer(store_location, tmp_path / "marker")
    try:
        _wait_for(tmp_path / "marker", writer)
        # A reader during the open transaction sees only committed rows (WAL; MVCC).
        assert ResultsStore(store_location).count() == 30
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(timeout=30)
    finally:
        writer.kill()
    assert writer.returncode == -signal.SIGKILL
    after = ResultsStore(store_location)
    assert after.count() == 30
    assert set(after.read_results()["run_id"]) == {"kept"}
    assert after.integrity_problems() == []
    # Re-running the same batch completes it.
    report = after.insert_results(xnli_rows(400, run_id="killed"))
    assert report.n_new == 6000 and after.count() == 6030
    assert after.integrity_problems() == []


def _database_only(store: ResultsStore):
    """What the store holds, read straight from the database (the snapshot removed first)."""
    store.snapshot_path.unlink(missing_ok=True)
    return store.read_results()


def test_reads_from_the_snapshot_see_every_later_insert_and_correction(
    store_location: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.store import snapshot

    monkeypatch.setattr(snapshot, "_REWRITE_ROWS", 0)  # leave a snapshot after every read
    store = ResultsStore(store_location)
    store.insert_results(xnli_rows(3))
    first = store.read_results()
    assert store.snapshot_path.exists()
    store.insert_results([make_row(seed=0, value=99.0), *xnli_rows(2, run_id="run-b")])  # one correction, 30 new
    monkeypatch.setattr(snapshot, "_REWRITE_ROWS", 10**9)  # now the old snapshot + the rows since
    merged = store.read_results()
    assert len(first) == 45 and len(merged) == 75
    assert merged.loc[merged["result_id"] == make_row_id(seed=0), "value"].tolist() == [99.0]
    expected = _database_only(store)
    pd.testing.assert_frame_equal(merged.sort_values("result_id", ignore_index=True),
                                  expected.sort_values("result_id", ignore_index=True))


def test_a_snapshot_of_a_deleted_store_or_a_damaged_file_is_never_read(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.store import snapshot

    monkeypatch.setattr(snapshot, "_REWRITE_ROWS", 0)
    old = ResultsStore(store_path)
    old.insert_results(xnli_rows(1, run_id="old"))
    old.read_results()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{store_path}{suffix}").unlink(missing_ok=True)
    new = ResultsStore(store_path)  # same file name, more rows than the snapshot of the old one
    new.insert_results(xnli_rows(3, run_id="new"))
    assert set(new.read_results()["run_id"]) == {"new"}
    new.snapshot_path.write_bytes(b"PAR1 not really parquet")
    assert set(new.read_results()["run_id"]) == {"new"}


def make_row_id(**overrides: object) -> str:
    from pipeline.store.validate import validate_rows

    return validate_rows([make_row(**overrides)])[0]["result_id"]


def test_a_half_written_snapshot_of_a_killed_reader_is_cleaned_up(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.store import snapshot

    monkeypatch.setattr(snapshot, "_REWRITE_ROWS", 0)
    store = ResultsStore(store_path)
    store.insert_results(xnli_rows(2))
    dead = store_path.with_name(f".{store.snapshot_path.name}.999999999.tmp")  # above any Linux pid_max
    busy = store_path.with_name(f".{store.snapshot_path.name}.{os.getppid()}.tmp")  # a live process's
    dead.write_bytes(b"half a snapshot")
    busy.write_bytes(b"being written")
    store.read_results()
    assert store.snapshot_path.exists()
    assert not dead.exists() and busy.exists()
