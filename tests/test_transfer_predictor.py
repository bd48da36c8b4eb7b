"""The transfer predictor: leave-one-language-out without leaks, baselines and intervals as computed by hand."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.neighbors import KNeighborsRegressor

from pipeline.analysis import transfer_predictor
from pipeline.analysis.correlation import source_distances
from pipeline.analysis.language_features import language_frame, target_values
from pipeline.analysis.transfer_predictor import (
    LeakageError,
    jackknife_plus,
    leave_one_language_out,
    predict_transfer,
)
from pipeline.published import published_rows
from pipeline.store import ResultsStore
from pipeline.tasks import get_target_task
from pipeline.typology import benchmark_languages, distance_table
from pipeline.typology.pretraining import pretraining_sizes
from tests.conftest import REPO

FRAME = pd.DataFrame({"language": list("abcdefg"), "x": [0.0, 1.0, 2.0, 4.0, 7.0, 11.0, 16.0],
                      "value": [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0]})


def memoriser() -> KNeighborsRegressor:
    """Returns the value of the nearest training language: zero error on any language it was trained on."""
    return KNeighborsRegressor(n_neighbors=1)


def test_each_fold_predicts_from_the_other_languages_only() -> None:
    predicted, models = leave_one_language_out(FRAME, "value", ["x"], memoriser)
    x, y = FRAME["x"].to_numpy(), FRAME["value"].to_numpy()
    nearest_other = [y[np.argmin(np.where(np.arange(7) == i, np.inf, np.abs(x - x[i])))] for i in range(7)]
    np.testing.assert_array_equal(predicted, nearest_other)
    assert (predicted != y).any(), "a memoriser that had seen the held-out language would be exact"
    assert len(models) == 7


def test_a_planted_leak_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transfer_predictor, "_training_rows", lambda languages, held_out: np.ones(len(languages), bool))
    with pytest.raises(LeakageError, match="the fold for 'a' trains on 'a'"):
        leave_one_language_out(FRAME, "value", ["x"], memoriser)


def test_baselines_are_the_mean_and_the_size_line_of_the_other_languages() -> None:
    features = FRAME.rename(columns={"x": "log_size"}).assign(
        name=FRAME["language"], family="f", script="s", syntactic=np.linspace(0, 1, 7) ** 2)
    report = predict_transfer(features.drop(columns="value"), FRAME[["language", "value"]])
    y, x = FRAME["value"].to_numpy(), FRAME["x"].to_numpy()
    np.testing.assert_allclose(report.loo["baseline_mean"], (y.sum() - y) / 6)
    line = [LinearRegression().fit(np.delete(x, i)[:, None], np.delete(y, i)).predict([[x[i]]])[0] for i in range(7)]
    np.testing.assert_allclose(report.loo["baseline_size"], line)
    errors = report.errors.set_index("model")
    assert errors.loc["mean of the other languages", "mae"] == pytest.approx(np.abs(y - (y.sum() - y) / 6).mean())
    assert list(errors.index) == ["ridge on language features", "mean of the other languages",
                                  "log pretraining size alone (linear)"]


def test_jackknife_plus_interval_is_the_order_statistics_of_the_fold_predictions() -> None:
    _, models = leave_one_language_out(FRAME, "value", ["x"], LinearRegression)
    predicted, _ = leave_one_language_out(FRAME, "value", ["x"], LinearRegression)
    residuals = FRAME["value"].to_numpy() - predicted
    new = pd.DataFrame({"x": [5.0, 20.0]})
    low, high = jackknife_plus(new, ["x"], models, residuals, confidence=0.75)
    fold = np.array([[m.predict(new.iloc[[j]])[0] for m in models] for j in range(2)])
    # n = 7, alpha = 0.25: the floor(0.25 * 8) = 2nd smallest and the ceil(0.75 * 8) = 6th smallest.
    np.testing.assert_allclose(low, np.sort(fold - np.abs(residuals), axis=1)[:, 1])
    np.testing.assert_allclose(high, np.sort(fold + np.abs(residuals), axis=1)[:, 5])
    too_few, _ = jackknife_plus(new, ["x"], models, residuals, confidence=0.95)
    assert np.isnan(too_few).all(), "7 languages cannot give a 95% jackknife+ interval"


@pytest.fixture(scope="module")
def xnli_report() -> transfer_predictor.PredictorReport:
    rows = pd.DataFrame(published_rows())
    rows = rows[(rows["model"] == "xlm-roberta-large") & (rows["target_task"] == "xnli")
                & (rows["setting"] == "zero-shot") & (rows["language"] != "avg")]
    others = [c for c in benchmark_languages() if c != "en"]
    features = language_frame(source_distances(distance_table(sources="lang2vec"), "en"),
                              pretraining_sizes("xlm-roberta-large"), others)
    return predict_transfer(features, target_values(rows, "gap"), candidates=others,
                            task_languages=get_target_task("xnli").languages)


def test_every_unmeasured_benchmark_language_is_predicted_or_named_with_the_reason(xnli_report) -> None:
    report = xnli_report
    assert report.ok and report.n == 14
    predicted = set(report.predictions["language"])
    dropped = dict(zip(report.dropped["language"], report.dropped["reason"]))
    measured = set(report.loo["language"])
    assert predicted | set(dropped) | measured | {"en"} == set(benchmark_languages())
    assert not predicted & measured
    assert dropped == {c: "no published pretraining size" for c in ("ht", "qu", "wo", "yo")}
    shown = report.predictions.set_index("language")
    assert (shown["low"] <= shown["predicted"]).all() and (shown["predicted"] <= shown["high"]).all()
    assert shown["note"].str.startswith("prediction").all() and not shown["in_task"].any()


def test_importances_name_every_encoded_feature(xnli_report) -> None:
    features = set(xnli_report.importances["feature"])
    assert {"syntactic", "log_size", "script=Latin", "family=Indo-European"} <= features


def test_too_few_languages_are_refused() -> None:
    features = FRAME.head(5).rename(columns={"x": "log_size"}).assign(name="n", family="f", script="s")
    report = predict_transfer(features.drop(columns="value"), FRAME.head(5)[["language", "value"]])
    assert not report.ok and report.refused.startswith("only 5 measured language(s) have every feature")


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=REPO, capture_output=True, text=True)


@pytest.fixture(scope="module")
def published_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("predict") / "atlas.db"
    ResultsStore(path).insert_results(published_rows(), label="published")
    return path


def test_cli_prints_error_beside_baselines_and_labelled_predictions(published_store: Path) -> None:
    store_path = published_store
    before = store_path.read_bytes()
    done = cli("predict-transfer", "--task", "xnli", "--model", "xlm-roberta-large", "--store", str(store_path))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "14 measured language(s)" in out
    assert "left out (nothing is imputed): ht (no published pretraining size)" in out
    for line in ("ridge on language features", "mean of the other languages", "log pretraining size alone (linear)"):
        assert line in out
    assert "PREDICTIONS (not measurements)" in out and "Burmese" in out and "90% jackknife+ interval" in out
    assert store_path.read_bytes() == before, "a read-only command"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--task", "xnlii", "--model", "xlm-roberta-large"), "error: --task: unknown target task 'xnlii'"),
        (("--task", "xnli", "--model", "xlmr"), "error: --model: 'xlmr' is not among the stored values"),
        (("--task", "xnli", "--model", "xlm-roberta-large", "--target", "gain"),
         "error: a gain is measured after intermediate training: choose an intermediate task"),
    ],
)
def test_cli_mistakes_are_one_line(published_store: Path, args: tuple[str, ...], message: str) -> None:
    done = cli("predict-transfer", *args, "--store", str(published_store))
    assert done.returncode == 2 and done.stderr.startswith(message) and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1
