"""`python -m pipeline import/export`: malformed files are refused whole, exports round-trip."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pipeline.store import ResultsStore
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
    tmp_path: Path, store_path: Path, lines: tuple[str, ...], message: str
) -> None:
    store = ResultsStore(store_path)
    store.insert_results([{**dict(zip(HEADER.split(","), GOOD.split(","))), "run_id": "existing"}])
    before = store_path.read_bytes(), store.data_version()
    done = cli("import", str(write(tmp_path, *lines)), "--store", str(store_path))
    assert done.returncode == 2
    assert message in done.stderr
    assert "store is unchanged" in done.stderr
    assert "Traceback" not in done.stderr
    assert store.count() == 1 and store.data_version() == before[1]


def test_import_then_export_round_trips_through_csv_and_parquet(tmp_path: Path, store_path: Path) -> None:
    path = write(tmp_path, HEADER, GOOD, GOOD.replace(",de,", ",fr,").replace("71.5", "68"))
    assert cli("import", str(path), "--store", str(store_path)).returncode == 0
    assert "0 new" in cli("import", str(path), "--store", str(store_path)).stdout
    for suffix in (".csv", ".parquet"):
        out = tmp_path / f"export{suffix}"
        assert cli("export", "--out", str(out), "--store", str(store_path)).returncode == 0
        exported = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
        assert sorted(exported["value"]) == [68.0, 71.5]
        assert list(exported.columns)[:3] == ["result_id", "run_id", "source"]
    # An exported file is itself importable, into a fresh store, with the same ids.
    fresh = tmp_path / "fresh.db"
    assert cli("import", str(tmp_path / "export.csv"), "--store", str(fresh)).returncode == 0
    assert set(ResultsStore(fresh).read_results()["result_id"]) == set(ResultsStore(store_path).read_results()["result_id"])


def test_store_location_comes_from_the_environment_unless_a_flag_says_otherwise(tmp_path: Path, store_path: Path) -> None:
    path = write(tmp_path, HEADER, GOOD)
    assert cli("import", str(path)).returncode == 0  # $ATLAS_STORE, set by the store_path fixture
    assert ResultsStore(store_path).count() == 1
    other = tmp_path / "other.db"
    assert cli("import", str(path), "--store", str(other)).returncode == 0
    assert ResultsStore(other).count() == 1


def test_export_to_an_unknown_format_is_a_clear_error(tmp_path: Path, store_path: Path) -> None:
    done = cli("export", "--out", str(tmp_path / "x.xlsx"), "--store", str(store_path))
    assert done.returncode == 2 and "choose a .csv or .parquet" in done.stderr
