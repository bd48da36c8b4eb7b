"""Preflight says, before any training, what will and will not load and why: on the fixture mirror, on mirrors
and hub metadata with a wrong column, a wrong config name and a missing split, on unknown model folders, and
offline; ``run`` stops at it. Also the data sources behind it: XTREME-R's extra languages, dev splits a language
lacks, Cosmos QA from its original release, and the official BUCC 2018 files of ``retrieval.bucc_dir``."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeline.data.load import DataUnavailableError, load_source
from pipeline.data.prepare import PrepareError, prepare
from pipeline.data.spec import intermediate_data, target_data
from pipeline.preflight import run_preflight
from pipeline.preflight.hub import DatasetMeta, Hub, card_configs
from pipeline.run.config import RunConfig
from pipeline.tasks import get_intermediate_task, get_target_task
from pipeline.testing.configs import CONFIGS, REPO, relocated_config
from tests.test_bucc_mining import write_pair

PANX_TAGS = {str(i): t for i, t in enumerate(["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"])}
#: The shape of google/xtreme's dataset card (README YAML) for two PAN-X configs and two UD-POS ones.
XTREME_CARD = {
    "configs": [{"config_name": c, "data_files": [{"split": s, "path": f"{c}/{s}-*"} for s in splits]}
                for c, splits in (("PAN-X.en", ("train", "validation", "test")), ("PAN-X.de", ("train", "test")),
                                  ("udpos.Thai", ("test",)), ("udpos.English", ("train", "validation", "test")))],
    "dataset_info": [
        {"config_name": "PAN-X.en",
         "features": [{"name": "tokens", "sequence": "string"},
                      {"name": "ner_tags", "sequence": {"class_label": {"names": PANX_TAGS}}},
                      {"name": "langs", "sequence": "string"}],
         "splits": [{"name": "train", "num_examples": 20000}, {"name": "validation", "num_examples": 10000},
                    {"name": "test", "num_examples": 10000}],
         "download_size": 2_000_000, "dataset_size": 8_000_000},
        {"config_name": "PAN-X.de",
         "features": [{"name": "tokens", "sequence": "string"}, {"name": "ner_tag", "sequence": "int64"}],
         "splits": [{"name": "train", "num_examples": 20000}, {"name": "test", "num_examples": 10000}]},
    ],
}


def _config(**fields) -> RunConfig:
    return RunConfig.model_validate({"models": ["xlm-roberta-large"], "intermediate": ["none"], **fields})


def _rows(report, status: str) -> dict[tuple[str, str, str], str]:
    return {(r.task, r.role, r.language): r.check.reason for r in report.rows if r.check.status == status}


def test_preflight_on_the_fixture_mirror_passes_and_run_stops_at_a_failing_one(tiny_assets: Path, tmp_path: Path
                                                                                ) -> None:
    config = relocated_config(tmp_path, data_dir=str(tiny_assets / "data"), models=[str(tiny_assets / "model")],
                              build_test_assets=False)
    ok = subprocess.run([sys.executable, "-m", "pipeline", "preflight", str(config)], cwd=REPO, capture_output=True,
                        text=True, env=os.environ.copy(), timeout=120)
    assert ok.returncode == 0, ok.stdout[-2000:] + ok.stderr[-2000:]
    assert "hub is not asked (offline mode" in ok.stderr and " 0 failing" in ok.stdout.splitlines()[-1]
    assert "FAIL" not in ok.stdout

    broken = relocated_config(tmp_path, data_dir=str(tiny_assets / "data"), models=[str(tmp_path / "no-model")],
                              build_test_assets=False, targets={"pawsx": {"languages": ["en"]}})
    run = subprocess.run([sys.executable, "-m", "pipeline", "run", str(broken), "--store", str(tmp_path / "s.db")],
                         cwd=REPO, capture_output=True, text=True, env=os.environ.copy(), timeout=120)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "no such model folder" in run.stderr and "--skip-preflight" in run.stderr.splitlines()[-1]
    assert not (tmp_path / "runs").exists()  # nothing trained


def test_mirror_with_a_wrong_column_or_label_fails_with_the_column_named(tiny_assets: Path, tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    target = mirror / "google/xtreme/PAN-X.de/test.jsonl"
    target.parent.mkdir(parents=True)
    rows = [json.loads(line) for line in (tiny_assets / "data/google/xtreme/PAN-X.de/test.jsonl").open()]
    target.write_text("".join(json.dumps({"tokens": r["tokens"], "ner": r["ner_tags"]}) + "\n" for r in rows))
    labels = mirror / "google/xtreme/PAWS-X.de/test.jsonl"
    labels.parent.mkdir(parents=True)
    labels.write_text(json.dumps({"sentence1": "a", "sentence2": "b", "label": "yes"}) + "\n")
    config = _config(data_dir=str(mirror), targets={"panx": {"languages": ["de"]}, "pawsx": {"languages": ["de"]}})
    failing = _rows(run_preflight(config, Hub(offline=True)), "fail")
    assert "no column(s) ner_tags; it has tokens, ner" in failing[("panx", "eval test", "de")]
    assert "'yes' are not among the registry's 0, 1" in failing[("pawsx", "eval test", "de")]
    # what the mirror lacks would come from the hub, which is offline: said, not guessed
    assert "needs the hub, which is offline mode" in failing[("panx", "target train", "en")]


def test_hub_metadata_catches_a_wrong_config_a_missing_split_and_a_renamed_column() -> None:
    hub = Hub(offline=True, known={"google/xtreme": DatasetMeta(False, card_configs(XTREME_CARD))})
    config = _config(eval_split="dev", targets={"panx": {"languages": ["en", "de", "sw"]}})
    report = run_preflight(config, hub)
    ok, failing = _rows(report, "ok"), _rows(report, "fail")
    assert ("panx", "eval dev", "en") in ok and hub.downloads == {("google/xtreme", "PAN-X.en"): 10_000_000}
    assert failing[("panx", "eval dev", "de")] == "no split 'validation'; PAN-X.de has test, train"
    assert failing[("panx", "eval dev", "sw")].startswith("no config 'PAN-X.sw'; it has PAN-X.de, PAN-X.en")
    assert "model xlm-roberta-large" in next(r.check.what for r in report.rows if not r.task)

    renamed = _config(targets={"panx": {"languages": ["de"]}})
    failing = _rows(run_preflight(renamed, hub), "fail")
    assert failing[("panx", "eval test", "de")].startswith("no column(s) ner_tags; it has tokens, ner_tag")
    squad_card = {"configs": [{"config_name": "plain_text", "default": True,
                               "data_files": [{"split": "train", "path": "plain_text/train-*"}]}],
                  "dataset_info": {"config_name": "plain_text", "splits": [{"name": "train", "num_examples": 87599}],
                                   "features": [{"name": n, "dtype": "string"} for n in ("id", "context", "question")]
                                   + [{"name": "answers", "sequence": [{"name": "text", "dtype": "string"},
                                                                       {"name": "answer_start", "dtype": "int32"}]}]}}
    squad = Hub(offline=True, known={"rajpurkar/squad": DatasetMeta(False, card_configs(squad_card))})
    report = run_preflight(_config(intermediate=["squad_v1"], targets={"panx": {"languages": ["en"]}}), squad)
    assert ("squad_v1", "intermediate train", "en") not in _rows(report, "fail")  # no config: the card's default
    assert _rows(report, "fail")[("squad_v1", "intermediate dev", "en")].startswith("no split 'validation'")
    script = Hub(offline=True, known={"google/xtreme": DatasetMeta(True, {})})
    failing = _rows(run_preflight(renamed, script), "fail")
    assert "loading script, which datasets >= 3 refuses" in failing[("panx", "eval test", "de")]


def test_offline_preflight_of_the_papers_grid_exits_non_zero_and_names_every_fix(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "pipeline", "preflight", str(CONFIGS / "xstilts-xlmr-large.yaml")],
                         cwd=REPO, capture_output=True, text=True, env=os.environ.copy(), timeout=120)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert out.stderr.strip() == ("preflight: the hub is not asked (offline mode (HF_HUB_OFFLINE=1)); "
                                  "checking local mirrors and caches only")
    table = out.stdout
    assert "xlm-roberta-large (hub)" in table and "not in the local cache" in table
    assert "python -m pipeline prepare cosmosqa SRC_DIR" in table  # Cosmos QA: never the script-only hub repo
    assert "needs the hub, which is offline mode" in table


def test_xtreme_r_extras_come_from_their_own_datasets_or_a_mirror(tmp_path: Path) -> None:
    panx, xquad = target_data(get_target_task("panx")), target_data(get_target_task("xquad"))
    assert panx.eval_source("test", "qu")[0].describe() == "unimelb-nlp/wikiann/qu:test"
    assert panx.eval_source("test", "de")[0].describe() == "google/xtreme/PAN-X.de:test"
    assert xquad.eval_source("test", "ro")[0].describe() == "google/xquad/xquad.ro:validation"
    udpos = target_data(get_target_task("udpos"))
    lithuanian = udpos.eval_source("test", "lt")[0]
    assert lithuanian.local_only and lithuanian.describe() == "google/xtreme/udpos.Lithuanian:test"
    with pytest.raises(DataUnavailableError, match="not on the Hugging Face hub in a form datasets can load"):
        load_source(lithuanian, None)
    config = _config(benchmark="xtreme-r", targets={"udpos": {"languages": ["lt"]}, "tatoeba": {"languages": ["uk"]}})
    failing = _rows(run_preflight(config, Hub(offline=True)), "fail")
    assert "extra UD-POS languages are not in google/xtreme" in failing[("udpos", "eval test", "lt")]
    assert "write DIR/google/xtreme/tatoeba.ukr/validation.jsonl" in " ".join(
        r.check.fix for r in run_preflight(config, Hub(offline=True)).rows)


def test_a_language_without_a_dev_split_is_noted_never_evaluated_on_test() -> None:
    udpos = target_data(get_target_task("udpos"))
    kazakh, note = udpos.eval_source("dev", "kk")
    assert kazakh.split == "train" and "dev rows use its train split" in note
    thai, note = udpos.eval_source("dev", "th")
    assert thai is None and "not evaluated on dev (its test split is never used in its place)" in note
    assert udpos.eval_source("test", "th")[0].split == "test"
    report = run_preflight(_config(eval_split="dev", targets={"udpos": {"languages": ["th", "kk"]}}), Hub(offline=True))
    assert ("udpos", "eval dev", "th") in _rows(report, "skip")


def _cosmos_release(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True)
    header = ["id", "context", "question", "answer0", "answer1", "answer2", "answer3", "label"]
    for name in ("train.csv", "valid.csv"):
        with (folder / name).open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            for i in range(n):
                writer.writerow([f"{name}-{i}", f"Context, with a comma {i} .", "Why ?", "a", "b", "c", "d", i % 4])
    return folder


def test_cosmosqa_is_prepared_from_its_original_release(tmp_path: Path) -> None:
    src = _cosmos_release(tmp_path / "release", 5)
    mirror = tmp_path / "mirror"
    out = subprocess.run([sys.executable, "-m", "pipeline", "prepare", "cosmosqa", str(src), "--out", str(mirror)],
                         cwd=REPO, capture_output=True, text=True, env=os.environ.copy(), timeout=60)
    assert out.returncode == 0, out.stderr
    assert "train 5, validation 5" in out.stdout and "data_dirs: {cosmosqa:" in out.stdout
    data = intermediate_data(get_intermediate_task("cosmosqa"))
    rows = load_source(data.train[0], mirror)
    assert rows["context"][1] == "Context, with a comma 1 . Why ?" and rows["choices"][1] == ["a", "b", "c", "d"]
    assert rows["label"] == [0, 1, 2, 3, 0]
    config = _config(intermediate=["cosmosqa"], data_dirs={"cosmosqa": str(mirror)},
                     targets={"pawsx": {"languages": ["en"]}})
    ok = _rows(run_preflight(config, Hub(offline=True)), "ok")
    assert ("cosmosqa", "intermediate train", "en") in ok and ("cosmosqa", "intermediate dev", "en") in ok
    with pytest.raises(PrepareError, match="no train.csv, valid.csv"):
        prepare("cosmosqa", tmp_path, tmp_path / "elsewhere")
    refused = subprocess.run([sys.executable, "-m", "pipeline", "prepare", "mnli", str(src)], cwd=REPO,
                             capture_output=True, text=True, env=os.environ.copy(), timeout=60)
    assert refused.returncode == 2 and refused.stderr.strip() == (
        "error: no converter for 'mnli'; tasks with one: cosmosqa")



def _official_rows(table: str) -> dict[str, str]:
    """The preflight table's official-BUCC-files rows by language."""
    marker = "(official files)"
    return {line.split(marker)[1].split()[0]: line for line in table.splitlines() if marker in line}


def test_official_bucc_files_are_checked_per_language_offline_through_the_cli(tiny_assets: Path, tmp_path: Path
                                                                               ) -> None:
    root = tmp_path / "bucc2018"
    for lang in ("de", "ru"):
        for split in ("sample", "training"):
            write_pair(root, split, [("de-1", "en-1")], lang)
    (root / "ru-en" / "ru-en.training.en").write_text("en-1\ta red dog\nen-2 the tab lost\n", encoding="utf-8")
    config = relocated_config(tmp_path, models=[str(tiny_assets / "model")], build_test_assets=False,
                              intermediate=["none"], targets={"bucc": {"languages": ["de", "fr", "ru"]}},
                              retrieval={"bucc_dir": str(root)})
    out = subprocess.run([sys.executable, "-m", "pipeline", "preflight", str(config)], cwd=REPO,
                         capture_output=True, text=True, env=os.environ.copy(), timeout=120)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    rows = _official_rows(out.stdout)
    assert rows["de"].startswith("ok") and f"BUCC 2018 files in {root / 'de-en'}" in rows["de"]
    assert rows["fr"].startswith("FAIL") and "no BUCC 2018 files for fr-en" in rows["fr"]
    assert f"in {root} or {root / 'fr-en'}" in rows["fr"]  # where it looked
    assert ("bucc2018-fr-en.training-gold.tar.bz2 of the BUCC 2018 shared task release "
            "(https://comparable.limsi.fr/bucc2018/)") in rows["fr"]
    assert "set retrieval.bucc_dir to that bucc2018 folder; or drop fr from targets.bucc.languages" in rows["fr"]
    assert rows["ru"].startswith("FAIL")
    assert f"{root / 'ru-en' / 'ru-en.training.en'}, line 2: expected '<id><TAB><text>'" in rows["ru"]
    assert "bucc18" not in out.stdout, "the hub's gold pairs are not read when the official files are"

    good = RunConfig.model_validate({**yaml.safe_load(config.read_text()), "targets": {"bucc": {"languages": ["de"]}}})
    report = run_preflight(good, Hub(offline=True))
    assert not report.failures and [r.language for r in report.rows if r.task == "bucc"] == ["de"]


def test_perturbed_bucc_checks_the_official_files_and_the_hubs_pairs(tmp_path: Path) -> None:
    bucc = {"targets": {"bucc": {"languages": ["de"]}}, "retrieval": {"bucc_dir": str(tmp_path / "none")}}
    perturbed = run_preflight(_config(perturbations=["char_noise@0.1"], **bucc), Hub(offline=True))
    failing = _rows(perturbed, "fail")
    assert "retrieval.bucc_dir" in failing[("bucc", "eval test (official files)", "de")]
    assert ("bucc", "eval test", "de") in failing, "perturbed pairs still come from the hub"
