"""Per-example predictions of a tiny pipeline run (test artefacts of the tiny model): stored beside the store,
read back, and the flips and per-language scores they give match the results store; the `examples` command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pipeline.analysis.examples import flip_table, language_scores
from pipeline.cli import main
from pipeline.examples import ExampleStore, examples_root, has_examples
from pipeline.analysis.example_comparison import EVERY_CONDITION, Side, read_pair
from pipeline.run.config import load_config
from pipeline.run.runner import run_config
from pipeline.store import ResultsStore
from pipeline.testing.configs import REPO, relocated_config

TARGETS = {"xnli": {"languages": ["en", "ru"]}, "panx": {"languages": ["en", "de"]}, "udpos": {"languages": ["hi"]},
           "mlqa": {"languages": ["en", "zh"]}, "tatoeba": {"languages": ["de"]}, "bucc": {"languages": ["de"]},
           "xcopa": {"languages": ["it"]}}
PERTURBATION = "char_noise@0.1"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    work = tmp_path_factory.mktemp("examples")
    config = relocated_config(work, targets=TARGETS, seeds=[1], perturbations={"specs": [PERTURBATION], "seed": 0},
                              export_predictions=True)
    run_config(load_config(config), str(config), ResultsStore(work / "atlas.db"))
    return config, work / "atlas.db"


def _stored(store: Path) -> tuple[pd.DataFrame, ExampleStore]:
    return ResultsStore(store).read_results(), ExampleStore(examples_root(store))


def test_every_run_keeps_its_examples_beside_the_store_and_they_give_back_the_stored_scores(run) -> None:
    _, store = run
    results, examples = _stored(store)
    index = examples.index()
    assert set(index.task_id) == {t for t in TARGETS if has_examples(t)} and "bucc" not in set(index.task_id)
    assert set(index.run_id) == set(results[results.source == "run"].run_id)
    assert not (examples.root / "staging").exists()
    compared = 0
    for entry in index.itertuples():
        records = examples.read(entry.run_id, entry.task_id)
        assert set(records.perturbation) == {"none", PERTURBATION}
        for row in language_scores(records, entry.task_id).to_dict("records"):
            stored = results[(results.run_id == entry.run_id) & (results.target_task == entry.task_id)
                             & (results.language == row["language"]) & (results.perturbation == row["perturbation"])]
            assert len(stored) and set(stored.metric) <= set(row)
            for metric, value in zip(stored.metric, stored.value):
                assert row[metric] == pytest.approx(value, abs=1e-9), (entry.task_id, row["language"], metric)
                compared += 1
    assert compared >= 30


def test_flip_counts_account_for_the_stored_gain_over_the_baseline(run) -> None:
    _, store = run
    results, examples = _stored(store)
    trained = results[(results.intermediate_task != "none") & (results.target_task == "xnli")]
    for row in trained.itertuples():
        paired = read_pair(examples, "xnli", Side(row.run_id, row.perturbation),
                           Side(row.baseline_run_id, row.perturbation), [row.language])
        flips = flip_table(paired).set_index("flip")["n"]
        baseline = results[(results.run_id == row.baseline_run_id) & (results.target_task == "xnli")
                           & (results.language == row.language) & (results.perturbation == row.perturbation)]
        gain = row.value - baseline.value.iloc[0]
        assert 100 * (flips["wrong→right"] - flips["right→wrong"]) / flips.sum() == pytest.approx(gain, abs=1e-9)
        assert flips.sum() == len(paired) > 0


def test_runs_on_the_same_data_share_one_inputs_file_and_clean_pairs_with_perturbed(run) -> None:
    _, store = run
    _, examples = _stored(store)
    assert len(list((examples.root / "inputs").glob("*.parquet"))) == len(examples.index().task_id.unique())
    run_id = examples.index().run_id.iloc[0]
    clean_vs_noisy = read_pair(examples, "mlqa", Side(run_id, PERTURBATION), Side(run_id, "none"), ["zh"])
    assert (clean_vs_noisy.perturbation_a == PERTURBATION).all() and (clean_vs_noisy.perturbation_b == "none").all()
    every = read_pair(examples, "xnli", Side(run_id, EVERY_CONDITION), Side(run_id, EVERY_CONDITION))
    assert set(every.perturbation) == {"none", PERTURBATION}
    assert (every.flip.isin(["both right", "both wrong"])).all()  # a run against itself never flips


def test_a_tagging_file_holds_entity_counts_and_attributes(run) -> None:
    _, store = run
    _, examples = _stored(store)
    panx = examples.read(examples.index().run_id.iloc[0], "panx", ["de"], ["none"])
    assert panx.entity_types.notna().all() and (panx.tp + panx.fn >= panx.n_entities).all()
    assert (panx.words == panx.text.str.split().str.len()).all() and (panx.tokens >= panx.words).all()
    assert set(panx.script) == {"Latin"}


def test_examples_deleted_after_a_run_are_written_again_identically(run) -> None:
    config, store = run
    _, examples = _stored(store)
    path = examples.path(examples.index().run_id.iloc[0], "xnli")
    before = examples.read(examples.index().run_id.iloc[0], "xnli")
    path.unlink()
    reports = run_config(load_config(config), str(config), ResultsStore(store))
    assert sum(r.n_new for r in reports) == 0
    pd.testing.assert_frame_equal(examples.read(examples.index().run_id.iloc[0], "xnli"), before)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", "examples", *args], cwd=REPO, capture_output=True,
                          text=True, env=os.environ.copy(), timeout=300)


def test_examples_command_prints_flips_and_buckets_and_writes_the_examples(run, tmp_path: Path) -> None:
    _, store = run
    results, _ = _stored(store)
    trained = results[results.intermediate_task != "none"].run_id.iloc[0]
    out = tmp_path / "flips.csv"
    done = _cli("--run", trained[:6], "--task", "xnli", "--language", "ru", "--bucket", "length",
                "--out", str(out), "--store", str(store), "--n-boot", "200")
    assert done.returncode == 0, done.stderr
    assert "wrong→right" in done.stdout and "McNemar" in done.stdout and "test artefact" in done.stdout
    assert out.read_text(encoding="utf-8").startswith("# Includes test artefacts")
    written = pd.read_csv(out, comment="#")
    assert len(written) == results[(results.run_id == trained) & (results.target_task == "xnli")
                                   & (results.language == "ru")].notes.str.extract(r"n=(\d+)")[0].astype(int).iloc[0]
    assert {"flip", "bucket", "input", "gold", "A predicted", "B predicted"} <= set(written.columns)


@pytest.mark.parametrize("args, message", [
    (["--task", "xnli", "--language", "sw"], "no stored xnli examples in 'sw'"),
    (["--task", "bucc", "--language", "de"], "no per-example predictions"),
    (["--task", "nosuchtask", "--language", "de"], "--task"),
    (["--task", "xnli", "--language", "ru", "--bucket", "entity_types"], "no bucket 'entity_types'"),
    (["--task", "xnli", "--language", "ru", "--out", "/no/such/folder/x.csv"], "--out"),
])
def test_examples_command_refuses_bad_input_in_one_line(run, args: list[str], message: str,
                                                       capsys: pytest.CaptureFixture) -> None:
    _, store = run
    results, _ = _stored(store)
    trained = results[results.intermediate_task != "none"].run_id.iloc[0]
    assert main(["examples", "--run", trained, *args, "--store", str(store)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def _examples_page(store: Path, monkeypatch: pytest.MonkeyPatch, **link: str):
    from tests.test_app import on_page, open_app

    monkeypatch.setenv("ATLAS_STORE", str(store))
    return on_page(open_app(**link), "pages/examples.py")


def test_examples_page_shows_flips_buckets_and_examples_of_a_run_against_its_baseline(
        run, monkeypatch: pytest.MonkeyPatch) -> None:
    _, store = run
    app = _examples_page(store, monkeypatch, artifacts="1", ex_task="xnli", ex_lang="ru")
    assert not app.error and app.title[0].value == "Examples"
    assert any("tiny test model" in w.value for w in app.warning)
    results = ResultsStore(store).read_results()
    run_a, run_b = app.selectbox(key="ex_a").value, app.selectbox(key="ex_b").value
    stored = results[(results.run_id == run_a) & (results.target_task == "xnli") & (results.language == "ru")
                     & (results.perturbation == "none")]
    assert stored.baseline_run_id.iloc[0] == run_b  # B defaults to A's baseline
    flips, buckets, examples = (frame.value for frame in app.dataframe)
    n = int(stored.notes.str.extract(r"n=(\d+)")[0].iloc[0])
    assert flips["n"].sum() == n == len(examples)
    overall = buckets.set_index("bucket").loc["all"]
    assert overall.score_a == pytest.approx(stored.value.iloc[0]) and overall.n == n
    assert any("McNemar" in c.value for c in app.caption)
    assert len(app.get("plotly_chart")) == 2  # gain per bucket, and the bucket × language heatmap

    app.multiselect(key="ex_flip").set_value(["both wrong"]).run()
    assert (app.dataframe[2].value["flip"] == "both wrong").all()
    assert len(app.dataframe[2].value) == flips.set_index("flip").loc["both wrong", "n"]


def test_examples_page_compares_clean_and_perturbed_inputs_of_one_run(run, monkeypatch: pytest.MonkeyPatch) -> None:
    _, store = run
    app = _examples_page(store, monkeypatch, artifacts="1", ex_task="mlqa", ex_lang="zh")
    app.selectbox(key="ex_b").set_value(app.selectbox(key="ex_a").value).run()
    app.selectbox(key="ex_pa").set_value(PERTURBATION).run()
    assert not app.exception and not app.error
    examples = app.dataframe[2].value
    assert {"input", "input (A)", "gold", "A predicted", "B predicted"} <= set(examples.columns)
    assert (examples["input"] != examples["input (A)"]).any()  # the perturbed question beside the clean one
    app.selectbox(key="ex_bucket").set_value("answer_words").run()
    assert not app.exception and "n/a" not in set(app.dataframe[1].value["bucket"])


def test_examples_page_without_test_artefacts_says_how_to_get_examples(run, monkeypatch: pytest.MonkeyPatch) -> None:
    _, store = run
    app = _examples_page(store, monkeypatch)
    assert not app.error and any("Include test artefacts" in i.value for i in app.info)


def test_score_keeps_the_examples_of_an_exported_run_that_comes_with_its_inputs(run, tmp_path: Path,
                                                                                capsys: pytest.CaptureFixture) -> None:
    config, store = run
    results, examples = _stored(store)
    run_id = results[results.intermediate_task != "none"].run_id.iloc[0]
    folder = Path(load_config(config).output_dir) / "exports" / run_id / PERTURBATION
    scored_store = tmp_path / "scored.db"
    assert main(["score", "--predictions", str(folder / "predictions"), "--labels", str(folder / "labels"),
                 "--inputs", str(folder / "inputs"), "--model", "tiny-xlmr-test", "--test-artifact",
                 "--perturbation", PERTURBATION, "--store", str(scored_store)]) == 0
    scored_results, scored = _stored(scored_store)
    scored_id = scored_results.run_id.iloc[0]
    assert set(scored.index().task_id) == set(examples.index().task_id)
    for task_id in scored.index().task_id:
        mine, theirs = (s.read(r, task_id, perturbations=[PERTURBATION]) for s, r in ((scored, scored_id),
                                                                                        (examples, run_id)))
        columns = ["language", "key", "gold", "prediction", "correct", "score", "text"]
        pd.testing.assert_frame_equal(mine[columns], theirs[columns], check_dtype=False)
    assert main(["score", "--predictions", str(folder / "predictions"), "--labels", str(folder / "labels"),
                 "--inputs", str(tmp_path), "--model", "m", "--store", str(tmp_path / "other.db")]) == 2
    assert "no inputs file" in capsys.readouterr().err and not (tmp_path / "other.db.examples").exists()
