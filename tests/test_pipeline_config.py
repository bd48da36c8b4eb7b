"""Run configs: the shipped ones validate, mistakes are one-line errors naming the field, run ids are
content hashes, and the device choice follows the hardware."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml

from pipeline.cli import main
from pipeline.models.device import choose, select_device
from pipeline.run.config import Intermediate, load_config
from pipeline.testing.configs import REPO

MINIMAL = {"models": ["xlm-roberta-large"], "targets": {"xnli": {"languages": ["en", "de"]}}, "seeds": [1]}


def _write(tmp_path: Path, raw: dict) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["tiny-cpu.yaml", "xstilts-xlmr-large.yaml", "robustness.yaml",
                                  "intermediate-languages.yaml", "tiny-robustness.yaml",
                                  "tiny-intermediate-languages.yaml"])
def test_shipped_configs_validate(name: str, capsys: pytest.CaptureFixture) -> None:
    assert main(["validate-config", str(REPO / "data" / "configs" / name)]) == 0
    assert "valid" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"targets": {"xnlii": {}}}, "targets: unknown target task 'xnlii'"),
        ({"targets": {"xnli": {"languages": ["en", "xx"]}}}, "has no language(s) ['xx']"),
        ({"intermediate": ["mnli", "squad"]}, "unknown intermediate task 'squad'"),
        ({"seeds": ["one"]}, "seeds.0: Input should be a valid integer"),
        ({"hyperparameters": {"target": {"learning_rat": 1e-5}}}, "hyperparameters.target.learning_rat: Extra inputs"),
        ({"intermediate": [{"tasks": [], "mlm": True}]}, "MLM co-training needs an intermediate task"),
        ({"eval_split": "dev", "targets": {"xquad": {}}}, "target task 'xquad' has no 'dev' split"),
        ({"data_dirs": {"ccg": "/data/ccg"}}, "data_dirs names 'ccg', which is not a task of this config"),
        ({"perturbations": ["char_nois@0.1"]}, "unknown perturbation 'char_nois'"),
        ({"perturbations": ["char_noise"]}, "write <name>@<strength>"),
        ({"perturbations": ["char_noise@1.5"]}, "strength must lie in [0, 1]"),
        ({"perturbations": ["word_swap@0"]}, "that is the clean evaluation"),
        ({"perturbations": ["code_switch@0.3"]}, "code_switch@0.3 need(s) a bilingual lexicon"),
        ({"perturbations": {"specs": ["char_noise@0.1"], "lexicon": "x.tsv"}}, "no listed perturbation uses it"),
        ({"intermediate_language_sweep": {"tasks": "mnli", "languages": ["en", "de"]}},
         "intermediate task 'mnli' has no data in ['de']"),
        ({"intermediate_language_sweep": {"tasks": "xnli_translate_train", "languages": ["en", "de"], "k_max": 3}},
         "k_max must be a whole number from 1 to 2"),
        ({"intermediate_language_sweep": {"tasks": "xnli_translate_train", "languages": ["en"], "order": "size"}},
         "intermediate_language_sweep.order: Input should be 'given', 'resource' or 'diversity'"),
        ({"intermediate": [], "seeds": [1]}, "no intermediate condition to run"),
    ],
)
def test_config_mistakes_are_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture, change: dict,
                                            expected: str) -> None:
    path = _write(tmp_path, {**MINIMAL, **change})
    assert main(["validate-config", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and expected in err, err


def test_missing_and_malformed_files_are_user_errors(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["validate-config", str(tmp_path / "nope.yaml")]) == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("targets: [xnli\n")
    assert main(["validate-config", str(bad)]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert errors[0].startswith("error: no such config file") and "not valid YAML" in errors[1]


def test_run_id_is_a_content_hash_of_the_normalised_cell(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, MINIMAL))
    shorthand = load_config(_write(tmp_path, {**MINIMAL, "intermediate": "none", "output_dir": "elsewhere"}))
    none = Intermediate()
    assert config.run_id("xlm-roberta-large", none, 1) == shorthand.run_id("xlm-roberta-large", none, 1)
    assert config.run_id("xlm-roberta-large", none, 1) != config.run_id("xlm-roberta-large", none, 2)
    other = load_config(_write(tmp_path, {**MINIMAL, "targets": {"xnli": {"languages": ["en"]}}}))
    assert other.run_id("xlm-roberta-large", none, 1) != config.run_id("xlm-roberta-large", none, 1)


def test_run_ids_of_configs_without_the_new_fields_are_unchanged(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, MINIMAL))
    # Computed with the config module as it was before perturbations, sweeps and export existed.
    assert config.run_id("xlm-roberta-large", Intermediate(), 1) == "b5ede3108906a590"
    assert config.run_id("xlm-roberta-large", Intermediate(tasks=("mnli",)), 1) == "db5a29e9f415bc0b"
    exporting = load_config(_write(tmp_path, {**MINIMAL, "export_predictions": True}))
    assert exporting.run_id("xlm-roberta-large", Intermediate(), 1) == "b5ede3108906a590"
    perturbed = load_config(_write(tmp_path, {**MINIMAL, "perturbations": ["char_noise@0.1"]}))
    assert perturbed.run_id("xlm-roberta-large", Intermediate(), 1) != "b5ede3108906a590"


def test_perturbations_are_normalised_and_the_list_shorthand_works(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, {**MINIMAL, "perturbations": ["char_noise@0.10", "word_swap@.3"]}))
    assert config.perturbations.specs == ("char_noise@0.1", "word_swap@0.3") and config.perturbations.seed == 0
    same = load_config(_write(tmp_path, {**MINIMAL, "perturbations": {"specs": ["char_noise@0.1", "word_swap@0.3"]}}))
    assert same.run_id("m", Intermediate(), 1) == config.run_id("m", Intermediate(), 1)


def test_language_sweep_expands_to_nested_conditions_after_those_listed(tmp_path: Path) -> None:
    sweep = {"tasks": "xnli_translate_train", "languages": ["de", "en", "fr", "ru"], "order": "resource", "k_max": 3}
    config = load_config(_write(tmp_path, {**MINIMAL, "intermediate_language_sweep": sweep,
                                           "intermediate": ["none", {"tasks": ["xnli_translate_train"]}]}))
    assert [(i.store_id(), i.languages) for i in config.intermediate] == [
        ("none", ("en",)), ("xnli_translate_train", ("en",)),  # the sweep's {en} is listed already: not twice
        ("xnli_translate_train", ("en", "ru")), ("xnli_translate_train", ("de", "en", "ru"))]
    written = load_config(_write(tmp_path, {**MINIMAL, "intermediate": [
        "none", *({"tasks": ["xnli_translate_train"], "languages": list(i.languages)}
                  for i in config.intermediate[1:])]}))
    assert [config.run_id("m", i, 1) for i in config.intermediate] == [
        written.run_id("m", i, 1) for i in written.intermediate]  # a sweep is only a way of writing the list


def test_multi_task_shorthand_and_row_ids(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, {**MINIMAL, "intermediate": ["none", "multi:qqp,mnli", "squad_v1"],
                                           "mlm_cotraining": True}))
    baseline, multi, squad = config.intermediate
    assert [i.store_id() for i in config.intermediate] == ["none", "multi:mnli,qqp", "squad_v1"]
    assert (config.mlm_for(baseline), config.mlm_for(multi), config.mlm_for(squad)) == (False, True, True)


def test_default_languages_follow_the_benchmark(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, {**MINIMAL, "targets": ["panx"], "benchmark": "xtreme"}))
    assert len(config.languages_of("panx")) == 40
    assert len(load_config(_write(tmp_path, {**MINIMAL, "targets": ["panx"]})).languages_of("panx")) == 48


def test_device_choice() -> None:
    cpu = choose(cuda_available=False, capability=None)
    assert (cpu.device, cpu.autocast_dtype, cpu.precision) == ("cpu", None, "fp32")
    ampere = choose(cuda_available=True, capability=(8, 0))
    assert (ampere.device, ampere.autocast_dtype, ampere.precision) == ("cuda", torch.bfloat16, "bfloat16")
    volta = choose(cuda_available=True, capability=(7, 0))
    assert (volta.device, volta.autocast_dtype) == ("cuda", None)
    if not torch.cuda.is_available():
        assert select_device() == cpu
