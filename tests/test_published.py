"""The shipped published results come into the store exactly, with provenance, once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pipeline.published import published_rows
from pipeline.store import ResultsStore
from tests.conftest import REPO


@pytest.fixture(scope="module")
def published() -> pd.DataFrame:
    store = ResultsStore(Path(__import__("tempfile").mkdtemp()) / "published.db")
    store.insert_results(published_rows(), label="published")
    return store.read_results()


def table2(published: pd.DataFrame, intermediate: str, target: str, mlm: bool = False) -> pd.Series:
    rows = published[
        (published["source_id"] == "phang2020_v1") & (published["split"] == "dev")
        & (published["intermediate_task"] == intermediate) & (published["target_task"] == target)
        & (published["mlm_cotraining"] == mlm) & (published["language"] == "avg")
    ]
    assert len(rows) == 1
    return rows.iloc[0]


def test_all_published_numbers_arrive(published: pd.DataFrame) -> None:
    assert len(published) == 1099
    assert published["provenance"].str.len().gt(20).all()
    assert published["source"].eq("published").all()
    assert published["uncertain"].sum() == 144


def test_printed_deltas_become_exact_absolute_values(published: pd.DataFrame) -> None:
    assert table2(published, "none", "xnli")["value"] == 80.1
    anli = table2(published, "anli_plus", "xnli")
    assert (anli["value"], anli["printed_delta"]) == (79.3, -0.8)
    squad = table2(published, "squad_v1", "tatoeba")
    assert (squad["value"], squad["printed_delta"]) == (77.9, 46.9)
    assert table2(published, "none", "tatoeba")["value"] == 31.0


def test_mlm_and_multi_task_rows_are_told_apart(published: pd.DataFrame) -> None:
    assert table2(published, "hellaswag", "xnli", mlm=True)["value"] == 80.8
    multi = "multi:anli_plus,ccg,commonsenseqa,cosmosqa,hellaswag,qqp"
    assert table2(published, multi, "tatoeba")["value"] == 79.3


def test_every_intermediate_row_names_a_stored_baseline_run(published: pd.DataFrame) -> None:
    trained = published[published["intermediate_task"] != "none"]
    baseline_runs = set(published.loc[published["intermediate_task"] == "none", "run_id"])
    assert trained["baseline_run_id"].notna().all()
    assert set(trained["baseline_run_id"]) <= baseline_runs
    # Phang et al.'s test-set comparison is against their own reimplementation, not the quoted XTREME row.
    best = trained[(trained["source_id"] == "phang2020_v1") & (trained["split"] == "test")]
    assert set(best["baseline_run_id"]) == {"published:phang2020_v1/xlm-r-large-phang-et-al-reimplementation"}


def test_models_get_canonical_ids_and_parameter_counts(published: pd.DataFrame) -> None:
    params = published.groupby("model")["model_params"].first()
    assert params["xlm-roberta-large"] == 550_000_000
    assert params["mt5-xxl"] == 13_000_000_000
    labels = set(published.loc[published["model"] == "xlm-roberta-large", "model_label"])
    assert {"XLM-R Large", "X-STILTs", "XLM-R Large (Hu et al. 2020, as quoted)"} <= labels


def test_import_published_command_is_idempotent(store_path: Path) -> None:
    def run() -> str:
        done = subprocess.run([sys.executable, "-m", "pipeline", "import-published", "--store", str(store_path)],
                              cwd=REPO, capture_output=True, text=True, check=True)
        return done.stdout

    assert "1099 new" in run()
    assert "0 new, 0 updated, 1099 already present" in run()
    assert ResultsStore(store_path).count() == 1099
