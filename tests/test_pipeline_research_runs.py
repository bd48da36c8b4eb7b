"""The research-question runs on the tiny model: perturbed evaluation (Robustness), nested intermediate-language
sets (Languages in training), predictions exported in the XTREME layout and re-scored by `pipeline score`, and
the two dashboard pages drawing their charts from these runs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipeline.cli import main
from pipeline.models.device import choose
from pipeline.run.config import RunConfig, load_config
from pipeline.run.context import Encoder, RunContext
from pipeline.run.export import export_root
from pipeline.run.intermediate import intermediate_key
from pipeline.run.runner import run_config
from pipeline.run.target import target_key
from pipeline.store import ResultsStore
from pipeline.testing.configs import TINY_CONFIG, TINY_LANGUAGES_CONFIG, TINY_ROBUSTNESS_CONFIG, relocated_config
from tests.test_app import on_page, open_app, texts

KEYS = ["target_task", "language", "metric"]
#: A second export run covering the heads the robustness run does not: tagging, MLQA, retrieval, multiple choice.
EXPORT_TARGETS = {"panx": {"languages": ["en", "de"]}, "mlqa": {"languages": ["en", "zh"]},
                  "bucc": {"languages": ["de", "ru"]}, "tatoeba": {"languages": ["de", "ru"]},
                  "xcopa": {"languages": ["it", "zh"]}}


def _run(path: Path, store: Path) -> tuple[RunConfig, list]:
    config = load_config(path)
    return config, run_config(config, str(path), ResultsStore(store))


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("research-runs")


@pytest.fixture(scope="module")
def robustness(work: Path) -> RunConfig:
    return _run(relocated_config(work, TINY_ROBUSTNESS_CONFIG), work / "atlas.db")[0]


@pytest.fixture(scope="module")
def languages(work: Path) -> RunConfig:
    return _run(relocated_config(work, TINY_LANGUAGES_CONFIG), work / "atlas.db")[0]


def _rows_of(config: RunConfig, store: Path) -> pd.DataFrame:
    ids = {config.run_id(m, i, s) for m in config.models for i in config.intermediate for s in config.seeds}
    rows = ResultsStore(store).read_results()
    return rows[rows.run_id.isin(ids)]


def _raw(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_every_language_is_evaluated_clean_and_under_each_perturbation(robustness: RunConfig, work: Path) -> None:
    rows = _rows_of(robustness, work / "atlas.db")
    targets = _raw(TINY_ROBUSTNESS_CONFIG)["targets"]
    expected = {(task, lang) for task, spec in targets.items() for lang in spec["languages"]}
    assert len(set(rows.run_id)) == 4 and set(rows.seed) == {1, 2}
    assert set(rows.intermediate_languages) == {"en", "de,en"}
    for (_, perturbation), cell in rows.groupby(["run_id", "perturbation"]):
        assert set(zip(cell.target_task, cell.language)) == expected, perturbation
    assert set(rows.perturbation) == {"none", "char_noise@0.1", "word_swap@0.3", "code_switch@0.5"}
    assert rows.test_artifact.all()
    clean, perturbed = rows[rows.perturbation == "none"], rows[rows.perturbation != "none"]
    assert not clean.notes.str.contains("perturbation").any()
    assert perturbed.apply(lambda r: f"perturbation {r.perturbation} (seed 0)" in r.notes, axis=1).all()
    paired = perturbed.merge(clean, on=["run_id", *KEYS], suffixes=("", "_clean"))
    assert len(paired) == len(perturbed) and (paired.value != paired.value_clean).any()


def test_qa_examples_that_lose_their_answer_are_dropped_and_counted(robustness: RunConfig, work: Path) -> None:
    rows = _rows_of(robustness, work / "atlas.db")
    qa = rows[(rows.target_task == "xquad") & (rows.perturbation != "none")]
    dropped = 0
    for notes in qa.notes:
        changed, total, lost = map(int, re.search(r"(\d+) of (\d+) examples changed, (\d+) dropped", notes).groups())
        assert int(re.search(r"\(n=(\d+)\)", notes).group(1)) == total - lost and changed <= total - lost
        dropped += lost
    assert dropped > 0  # word swaps split some answers at this seed
    classification = rows[(rows.target_task == "pawsx") & (rows.perturbation != "none")]
    assert not classification.notes.str.contains("dropped").any()


def test_perturbations_change_no_training_phase(robustness: RunConfig, work: Path) -> None:
    def phase_keys(config: RunConfig) -> list[str]:
        ctx = RunContext(config, config.models[0], 1, None, choose(False, None), work / "runs" / "phases")
        encoders = [Encoder(intermediate_key(ctx, spec), None, "") for spec in config.intermediate]
        return [e.key for e in encoders] + [target_key(ctx, task, e) for e in encoders for task in config.targets]

    assert phase_keys(robustness) == phase_keys(robustness.model_copy(update={"perturbations": None}))


def _files(root: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in root.rglob("*.json")}


def test_rerun_reuses_each_cached_language_and_perturbation(robustness: RunConfig, work: Path) -> None:
    path, store, phases = work / TINY_ROBUSTNESS_CONFIG.name, work / "atlas.db", work / "runs" / "phases"
    before = _files(phases)
    _, reports = _run(path, store)
    assert sum(r.n_new for r in reports) == 0 and _files(phases) == before
    run_id = robustness.run_id(robustness.models[0], robustness.intermediate[1], 2)
    lost = export_root(robustness, run_id) / "word_swap@0.3" / "predictions" / "xquad" / "test-ru.json"
    lost.unlink()
    _run(path, store)
    assert lost.is_file()
    changed = [p.name for p, mtime in _files(phases).items() if before[p] != mtime]
    assert len(changed) == 1 and changed[0].startswith("ru.word_swap@0.3.")  # that cell alone was recomputed


def test_nested_intermediate_language_sets_train_per_language_streams(languages: RunConfig, work: Path) -> None:
    rows = _rows_of(languages, work / "atlas.db")
    assert set(rows.intermediate_languages) == {"en", "en,ru", "de,en,ru"}  # CC-100 size order: en, ru, de
    assert set(rows.intermediate_task) == {"xnli_translate_train"} and set(rows.perturbation) == {"none"}
    targets = _raw(TINY_LANGUAGES_CONFIG)["targets"]
    expected = {(task, lang, seed) for task, spec in targets.items() for lang in spec["languages"] for seed in (1, 2)}
    for languages_set, group in rows.groupby("intermediate_languages"):
        assert set(zip(group.target_task, group.language, group.seed)) == expected, languages_set
    three = rows[rows.intermediate_languages == "de,en,ru"]
    streams = "xnli_translate_train:de+xnli_translate_train:en+xnli_translate_train:ru (temperature sampling)"
    assert three.notes.str.contains(streams, regex=False).all()
    reports = [json.loads(p.read_text()) for p in (work / "runs" / "phases").glob("*/report.json")]
    mixture = next(r for r in reports if len(r.get("sizes", {})) == 3)
    assert mixture["sizes"] == {f"xnli_translate_train:{lang}": 32 for lang in ("de", "en", "ru")}
    assert mixture["weights"] == pytest.approx({name: 1 / 3 for name in mixture["sizes"]})


@pytest.fixture(scope="module")
def export_run(work: Path, robustness: RunConfig) -> RunConfig:
    path = relocated_config(work, TINY_CONFIG, intermediate=["none"], seeds=[1], targets=EXPORT_TARGETS,
                            export_predictions=True)
    return _run(path, work / "atlas.db")[0]


def _rescored(folder: Path, store: Path) -> pd.DataFrame:
    assert main(["score", "--predictions", str(folder / "predictions"), "--labels", str(folder / "labels"),
                 "--model", "tiny-xlmr-test", "--test-artifact", "--store", str(store)]) == 0
    return ResultsStore(store).read_results()


@pytest.mark.parametrize(("which", "perturbation"), [("robustness", "none"), ("robustness", "word_swap@0.3"),
                                                      ("export_run", "none")])
def test_exported_predictions_rescore_to_the_stored_numbers(request: pytest.FixtureRequest, work: Path,
                                                            tmp_path: Path, which: str, perturbation: str) -> None:
    config: RunConfig = request.getfixturevalue(which)
    run_id = config.run_id(config.models[0], config.intermediate[-1], config.seeds[-1])
    stored = _rows_of(config, work / "atlas.db")
    stored = stored[(stored.run_id == run_id) & (stored.perturbation == perturbation)]
    rescored = _rescored(export_root(config, run_id) / perturbation, tmp_path / "scored.db")
    assert set(rescored.target_task) == set(config.targets)
    merged = stored.merge(rescored, on=KEYS, suffixes=("", "_scored"), validate="one_to_one")
    assert len(merged) == len(stored) == len(rescored)
    assert merged.value.to_numpy() == pytest.approx(merged.value_scored.to_numpy(), abs=1e-9)


def _app_on(page: str, store_path: Path, work: Path):
    ResultsStore(store_path).insert_results(ResultsStore(work / "atlas.db").read_results().to_dict("records"),
                                            label="tiny research runs")
    return on_page(open_app(artifacts="1"), page)


def test_robustness_page_draws_drops_from_the_tiny_run(robustness: RunConfig, work: Path, store_path: Path) -> None:
    app = _app_on("pages/robustness.py", store_path, work)
    assert not any("No perturbed evaluations" in t for t in texts(app.info))
    assert len(app.get("plotly_chart")) == 1
    assert any("tiny test model" in w for w in texts(app.warning))


def test_languages_page_draws_the_curve_from_the_tiny_sweep(languages: RunConfig, work: Path,
                                                            store_path: Path) -> None:
    app = _app_on("pages/intermediate_languages.py", store_path, work)
    assert not any("No intermediate task in this selection" in t for t in texts(app.info))
    assert len(app.get("plotly_chart")) == 1
    sets = app.dataframe[-1].value["languages"]
    assert {"en", "en,ru", "de,en,ru"} <= {s for cell in sets for s in cell.split(", ")}
