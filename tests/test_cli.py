"""`python -m pipeline import/export` on both engines: malformed files are refused whole, exports round-trip,
a database password is never shown."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pandas as pd
import pytest

from pipeline.store import ResultsStore
from tests.backends import Stores, create_database, drop_database, skip_without
from tests.conftest import REPO

HEADER = "run_id,source,model,intermediate_task,target_task,language,metric,value,split,setting,seed"
GOOD = "r1,run,my-model,none,xnli,de,accuracy,71.5,test,zero-shot,1"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=REPO, capture_output=True, text=True)


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "results.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ((HEADER.replace(",metric", ""), GOOD.replace(",accuracy", "")), "missing column(s) metric"),
        ((HEADER + ",colour", GOOD + ",red"), "unknown column(s) colour"),
        ((HEADER, GOOD, GOOD.replace("xnli", "xnli2")), "row 3, column target_task: unknown target task 'xnli2'"),
        ((HEADER, GOOD, GOOD.replace(",de,", ",klingon,")), "row 3, column language"),
        ((HEADER, GOOD, GOOD.replace("71.5", "171.5")), "row 3, column value: 171.5 is outside 0–100"),
        ((HEADER, GOOD, GOOD.replace("71.5", "NaN")), "row 3, column value"),
        ((HEADER, GOOD, GOOD.replace("71.5", "abc")), "row 3, column value"),
    ],
)
def test_malformed_csv_is_refused_and_the_store_is_unchanged(
    tmp_path: Path, store_location: str, lines: tuple[str, ...], message: str
) -> None:
    store = ResultsStore(store_location)
    store.insert_results([{**dict(zip(HEADER.split(","), GOOD.split(","))), "run_id": "existing"}])
    before = store.read_results(), store.data_version(), imports(store)
    done = cli("import", str(write(tmp_path, *lines)), "--store", store_location)
    assert done.returncode == 2
    assert message in done.stderr
    assert "store is unchanged" in done.stderr
    assert "Traceback" not in done.stderr
    pd.testing.assert_frame_equal(store.read_results(), before[0])
    assert (store.data_version(), imports(store)) == before[1:]


def imports(store: ResultsStore) -> int:
    with store.connection() as conn:
        return int(conn.execute("SELECT COUNT(*) FROM imports").fetchone()[0])


def test_import_then_export_round_trips_through_csv_and_parquet(tmp_path: Path, stores: Stores) -> None:
    store = stores.new()
    path = write(tmp_path, HEADER, GOOD, GOOD.replace(",de,", ",fr,").replace("71.5", "68"))
    assert cli("import", str(path), "--store", store).returncode == 0
    assert "0 new" in cli("import", str(path), "--store", store).stdout
    for suffix in (".csv", ".parquet"):
        out = tmp_path / f"export{suffix}"
        assert cli("export", "--out", str(out), "--store", store).returncode == 0
        exported = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
        assert sorted(exported["value"]) == [68.0, 71.5]
        assert list(exported.columns)[:3] == ["result_id", "run_id", "source"]
    # An exported file is itself importable, into a fresh store, with the same ids.
    fresh = stores.new("fresh")
    assert cli("import", str(tmp_path / "export.csv"), "--store", fresh).returncode == 0
    assert set(ResultsStore(fresh).read_results()["result_id"]) == set(ResultsStore(store).read_results()["result_id"])


def test_store_location_comes_from_the_environment_unless_a_flag_says_otherwise(
    tmp_path: Path, stores: Stores, store_location: str
) -> None:
    path = write(tmp_path, HEADER, GOOD)
    assert cli("import", str(path)).returncode == 0  # $ATLAS_STORE, set by the store_location fixture
    assert ResultsStore(store_location).count() == 1
    other = stores.new("other")
    assert cli("import", str(path), "--store", other).returncode == 0
    assert ResultsStore(other).count() == 1


def test_export_to_an_unknown_format_is_a_clear_error(tmp_path: Path, store_location: str) -> None:
    done = cli("export", "--out", str(tmp_path / "x.xlsx"), "--store", store_location)
    assert done.returncode == 2 and "choose a .csv or .parquet" in done.stderr


def test_a_database_password_never_reaches_output_errors_or_the_stored_rows(tmp_path: Path) -> None:
    skip_without("postgresql")
    secret = f"pw-{uuid.uuid4().hex}"
    url = create_database(password=secret)
    try:
        path = write(tmp_path, HEADER, GOOD)
        runs = [cli("import", str(path), "--store", url), cli("info", "--store", url), cli("jobs", "--store", url),
                cli("import", str(path), "--store", url.replace(secret, "wrong-password"))]
        assert [done.returncode for done in runs] == [0, 0, 0, 2]
        assert "password authentication failed" in runs[-1].stderr and "Traceback" not in runs[-1].stderr
        assert "***" in runs[0].stdout, "the store is named, without its password"
        for done in runs:
            assert secret not in done.stdout + done.stderr and "wrong-password" not in done.stderr
        stored = ResultsStore(url).read_results()
        assert not stored.astype(str).apply(lambda column: column.str.contains(secret)).any().any()
    finally:
        drop_database(url)


@pytest.mark.parametrize("seconds", ["0", "-5", "abc", "nan"])
def test_a_worker_refuses_a_cluster_poll_that_is_not_seconds_above_zero(store_path: Path, seconds: str) -> None:
    done = cli("worker", "--once", "--cluster-poll", seconds, "--store", str(store_path))
    assert done.returncode == 2
    assert f"argument --cluster-poll: '{seconds}' is not a number of seconds above 0" in done.stderr
    assert "Traceback" not in done.stderr and not store_path.exists(), "nothing was opened"
