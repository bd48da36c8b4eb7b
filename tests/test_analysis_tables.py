"""Gains, transfer gaps and the Overview/Languages tables on hand-made results."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from pipeline.analysis.gains import with_gains, with_transfer_gap
from pipeline.analysis.tables import comparisons, language_table, mean_transfer_gap, overview_table
from pipeline.store.validate import validate_rows


def frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    base = {"source": "run", "model": "m", "split": "dev", "setting": "zero-shot", "target_task": "xnli",
            "metric": "accuracy", "intermediate_task": "none", "seed": 1}
    return pd.DataFrame(validate_rows([{**base, **row} for row in rows]))


def test_gain_uses_the_baseline_of_the_same_seed_language_and_source() -> None:
    results = frame([
        {"run_id": "b", "language": "de", "value": 70, "seed": 1},
        {"run_id": "b", "language": "de", "value": 72, "seed": 2},
        {"run_id": "i", "language": "de", "value": 75, "seed": 1, "intermediate_task": "mnli"},
        {"run_id": "i", "language": "de", "value": 73, "seed": 2, "intermediate_task": "mnli"},
    ])
    gains = with_gains(results).set_index(["run_id", "seed"])["gain"]
    assert gains[("i", 1)] == 5 and gains[("i", 2)] == 1 and gains[("b", 1)] == 0


def test_two_candidate_baselines_give_no_gain_unless_the_row_names_one() -> None:
    rows = [
        {"run_id": "b1", "language": "de", "value": 70},
        {"run_id": "b2", "language": "de", "value": 60},
        {"run_id": "i", "language": "de", "value": 75, "intermediate_task": "mnli"},
        {"run_id": "j", "language": "de", "value": 75, "intermediate_task": "qqp", "baseline_run_id": "b2"},
    ]
    gains = with_gains(frame(rows)).set_index("run_id")["gain"]
    assert math.isnan(gains["i"])
    assert gains["j"] == 15


def test_transfer_gap_is_english_minus_language_within_a_run() -> None:
    results = frame([
        {"run_id": "r", "language": "en", "value": 90},
        {"run_id": "r", "language": "sw", "value": 65},
        {"run_id": "s", "language": "sw", "value": 10},
    ])
    gaps = with_transfer_gap(results).set_index(["run_id", "language"])["transfer_gap"]
    assert gaps[("r", "sw")] == 25 and gaps[("r", "en")] == 0
    assert math.isnan(gaps[("s", "sw")])


def test_overview_cell_is_the_mean_over_languages_when_no_mean_was_printed() -> None:
    results = frame([
        {"run_id": "b", "language": "en", "value": 80}, {"run_id": "b", "language": "de", "value": 70},
        {"run_id": "i", "language": "en", "value": 84, "intermediate_task": "mnli"},
        {"run_id": "i", "language": "de", "value": 72, "intermediate_task": "mnli"},
    ])
    absolute = overview_table(results).values
    gain = overview_table(results, show="gain")
    assert absolute.loc["MNLI", "XNLI"] == 78 and absolute.loc["Baseline (no intermediate task)", "XNLI"] == 75
    assert gain.values.loc["MNLI", "XNLI"] == 3
    assert gain.cells.set_index("row").loc["MNLI", "how"] == "mean of 2 languages"
    assert list(absolute.index)[0] == "Baseline (no intermediate task)"


def test_overview_refuses_an_unknown_mode() -> None:
    with pytest.raises(ValueError, match="absolute"):
        overview_table(frame([{"run_id": "b", "language": "en", "value": 1}]), show="ratio")


def test_language_table_averages_seeds_and_reports_n_and_mean_gap() -> None:
    results = frame([
        {"run_id": "r", "language": "en", "value": 90, "seed": 1}, {"run_id": "r", "language": "en", "value": 88, "seed": 2},
        {"run_id": "r", "language": "de", "value": 80, "seed": 1}, {"run_id": "r", "language": "de", "value": 76, "seed": 2},
        {"run_id": "r", "language": "sw", "value": 60, "seed": 1}, {"run_id": "r", "language": "sw", "value": 62, "seed": 2},
    ])
    table = language_table(results, "xnli", "accuracy").set_index("language")
    assert table.loc["de", "value"] == 78 and table.loc["de", "n"] == 2
    assert table.loc["de", "transfer_gap"] == 11  # mean of (90-80, 88-76)
    gap = mean_transfer_gap(table.reset_index())
    assert gap["mean_gap"].tolist() == [(11 + 28) / 2] and gap["n_languages"].tolist() == [2]


def test_comparisons_put_the_richest_grid_first() -> None:
    results = frame([
        {"run_id": "b", "language": "en", "value": 80, "model": "small"},
        {"run_id": "b2", "language": "en", "value": 80, "model": "large"},
        {"run_id": "i", "language": "en", "value": 81, "model": "large", "intermediate_task": "mnli"},
    ])
    assert comparisons(results)["model"].tolist() == ["large", "small"]
