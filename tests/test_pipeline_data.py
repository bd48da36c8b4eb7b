"""Reading task data: the registry's sources resolve to the right hub configs, a local mirror goes through
the same filtering and column mapping, and an unreachable dataset or model fails at once with a message
that says what is missing and how to provide it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.data.load import DataUnavailableError, load_source
from pipeline.data.spec import intermediate_data, target_data
from pipeline.models.device import choose
from pipeline.models.loading import ModelUnavailableError, load_model, load_tokenizer
from pipeline.perturb import read_lexicon
from pipeline.run.config import Intermediate, load_config
from pipeline.run.context import RunContext, read_examples, read_shares
from pipeline.run.intermediate import intermediate_phase
from pipeline.store import ResultsStore
from pipeline.tasks import get_intermediate_task, get_target_task
from pipeline.testing.configs import REPO, relocated_config
from pipeline.testing.fixtures import LEXICON, MARKER, build_fixture_data, needs_fixture_build
from pipeline.testing.tiny_model import build_tiny_model


@pytest.fixture(scope="module")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fixture_data(tmp_path_factory.mktemp("fixtures"))


@pytest.mark.parametrize(
    ("task", "lang", "expected"),
    [("udpos", "de", "google/xtreme/udpos.German:test"), ("tatoeba", "zh", "google/xtreme/tatoeba.cmn:validation"),
     ("mlqa", "ar", "google/xtreme/MLQA.ar.ar:test"), ("panx", "sw", "google/xtreme/PAN-X.sw:test"),
     ("xnli", "th", "google/xtreme/XNLI:test"), ("xquad", "hi", "google/xtreme/XQuAD.hi:validation")],
)
def test_evaluation_sources_name_the_hub_configs(task: str, lang: str, expected: str) -> None:
    data = target_data(get_target_task(task))
    assert data.eval["test"].for_language(lang, data.lang_codes).describe() == expected


def test_language_filters_pick_one_language_from_a_shared_config(data_root: Path) -> None:
    xnli = target_data(get_target_task("xnli"))
    ru = load_source(xnli.eval["test"].for_language("ru", xnli.lang_codes), data_root)
    assert len(ru) == 8 and set(ru.column_names) == {"text_a", "text_b", "label"}
    assert set(ru["label"]) <= {"entailment", "neutral", "contradiction"}
    tydiqa = target_data(get_target_task("tydiqa"))
    arabic = load_source(tydiqa.eval["test"].for_language("ar", tydiqa.lang_codes), data_root)
    assert arabic["id"] and all(i.startswith("arabic-") for i in arabic["id"])
    english_train = load_source(tydiqa.train[0], data_root)
    assert all(i.startswith("english-") for i in english_train["id"])


def test_nested_and_multiple_columns_map_to_the_head_fields(data_root: Path) -> None:
    squad = intermediate_data(get_intermediate_task("squad_v1"))
    rows = load_source(squad.train[0], data_root, limit=5)
    assert len(rows) == 5
    for context, texts, starts in zip(rows["context"], rows["answer_text"], rows["answer_start"]):
        assert context[starts[0] : starts[0] + len(texts[0])] == texts[0]
    hellaswag = intermediate_data(get_intermediate_task("hellaswag"))
    mc = load_source(hellaswag.train[0], data_root, limit=3)
    assert all(len(choices) == 4 for choices in mc["choices"]) and set(mc.column_names) == {"context", "choices", "label"}


def test_unreachable_dataset_fails_fast_with_how_to_provide_it() -> None:
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    pawsx = target_data(get_target_task("pawsx"))
    with pytest.raises(DataUnavailableError, match=r"google/xtreme/PAWS-X\.de:test.*<dir>/google/xtreme/PAWS-X\.de/test\.jsonl"):
        load_source(pawsx.eval["test"].for_language("de", {}), None)
    ccg = intermediate_data(get_intermediate_task("ccg"))
    with pytest.raises(DataUnavailableError, match="not on the Hugging Face hub in a form datasets can load; give a local directory"):
        load_source(ccg.train[0], None)
    with pytest.raises(ModelUnavailableError, match="cannot load model 'xlm-roberta-large'.*save_pretrained"):
        load_model("xlm-roberta-large", "sentence_pair_classification", 3)


def test_run_needs_local_copies_offline_and_takes_them_from_the_command_line(tmp_path: Path, data_root: Path) -> None:
    build_tiny_model(tmp_path / "models" / "tiny-xlmr")
    config = relocated_config(tmp_path, models=["tiny-xlmr"], intermediate=["none"], data_dir=None,
                              targets={"pawsx": {"languages": ["en", "de"]}}, seeds=[1], build_test_assets=False)

    def run(*extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pipeline", "run", str(config), "--store", str(tmp_path / "a.db"),
                               *extra], cwd=REPO, capture_output=True, text=True, env=os.environ.copy(), timeout=300)

    no_model = run()  # preflight stops it before anything loads
    assert no_model.returncode == 2 and "Traceback" not in no_model.stderr
    assert "first: model tiny-xlmr (hub): not in the local cache" in no_model.stderr.strip().splitlines()[-1]
    no_data = run("--model-dir", str(tmp_path / "models"), "--skip-preflight")  # the loader's own message
    assert no_data.returncode == 2 and "Traceback" not in no_data.stderr
    assert no_data.stderr.strip().splitlines()[-1].startswith("error: cannot load google/xtreme/PAWS-X.en:train")
    done = run("--model-dir", str(tmp_path / "models"), "--data-dir", str(data_root))
    assert done.returncode == 0, done.stderr[-2000:]
    rows = ResultsStore(tmp_path / "a.db").read_results()
    assert sorted(rows.language) == ["de", "en"] and set(rows.model) == {"tiny-xlmr-test"} and rows.test_artifact.all()


def test_intermediate_data_in_several_languages(data_root: Path, tmp_path: Path) -> None:
    spec = Intermediate(tasks=("xnli_translate_train",), languages=("ru", "de"))
    assert spec.store_id() == "xnli_translate_train" and spec.languages == ("de", "ru")
    with pytest.raises(ValueError, match=r"has no data in \['yo'\]"):
        Intermediate(tasks=("mnli",), languages=("yo",))
    config = load_config(relocated_config(tmp_path, data_dir=str(data_root)))
    model = build_tiny_model(tmp_path / "model")
    ctx = RunContext(config, str(model), 1, load_tokenizer(str(model)), choose(False, None), tmp_path / "runs")
    data = intermediate_data(get_intermediate_task("xnli_translate_train"))
    examples = read_examples(ctx, data, data.train, spec.languages, None)
    german = load_source(data.train[0].for_language("de", {}), data_root)
    russian = load_source(data.train[0].for_language("ru", {}), data_root)
    assert list(examples["text_a"]) == list(german["text_a"]) + list(russian["text_a"])
    dev = read_shares(ctx, data, data.dev, spec.languages, 6)  # a dev budget is shared, not filled by German
    german_dev = load_source(data.dev[0].for_language("de", {}), data_root)
    russian_dev = load_source(data.dev[0].for_language("ru", {}), data_root)
    assert list(dev["text_a"]) == list(german_dev["text_a"][:3]) + list(russian_dev["text_a"][:3])


def test_fixture_data_is_rebuilt_when_outdated_but_a_real_mirror_is_never_touched(tmp_path: Path) -> None:
    built = build_fixture_data(tmp_path / "fixtures")
    assert not needs_fixture_build(built) and needs_fixture_build(tmp_path / "missing")
    (built / MARKER).write_text('{"version": 1}')
    assert needs_fixture_build(built)
    (built / MARKER).unlink()  # a build from before the marker existed
    assert needs_fixture_build(built)
    mirror = tmp_path / "mirror" / "google" / "xtreme" / "XNLI"
    mirror.mkdir(parents=True)
    (mirror / "validation.jsonl").write_text('{"language": "en"}\n' * 1000)
    assert not needs_fixture_build(tmp_path / "mirror")


def test_the_fixture_lexicon_lets_every_fixture_language_code_switch(data_root: Path) -> None:
    lexicon = read_lexicon(data_root / LEXICON)
    for lang in ("de", "fr", "ru", "zh", "ar", "hi"):
        assert lexicon.target_languages(lang) == ("en",) and len(lexicon.translations(lang)) >= 20
    assert set(lexicon.target_languages("en")) == {"ar", "de", "fr", "hi", "ru", "zh"}


CCG_AUTO = """ID=wsj_0201.1 PARSER=GOLD NUMPARSE=1
(<T S[dcl] 0 2> (<T NP 0 2> (<L NP[nb]/N DT DT The NP[nb]_1/N_1>) (<L N NN NN teacher N>) ) (<T S[dcl]\\NP 0 2> \
(<L (S[dcl]\\NP)/NP VBZ VBZ writes (S[dcl]\\NP_2)/NP_3>) (<L N NN NN books N>) ) )
ID=wsj_0201.2 PARSER=GOLD NUMPARSE=1
(<T S[dcl] 0 2> (<L N NNP NNP Mary N>) (<L S[dcl]\\NP VBZ VBZ sings S[dcl]\\NP_4>) )
"""


def test_ccgbank_is_read_in_its_distribution_format_and_trains(tmp_path: Path, data_root: Path) -> None:
    ccgbank = tmp_path / "ccgbank_1_1"
    for section in ("02", "00"):
        (ccgbank / "data" / "AUTO" / section).mkdir(parents=True)
        (ccgbank / "data" / "AUTO" / section / f"wsj_{section}01.auto").write_text(CCG_AUTO)
    data = intermediate_data(get_intermediate_task("ccg"))
    train = load_source(data.train[0], ccgbank)
    assert list(train["tokens"]) == [["The", "teacher", "writes", "books"], ["Mary", "sings"]]
    assert list(train["tags"])[0] == ["NP[nb]/N", "N", "(S[dcl]\\NP)/NP", "N"]

    model = build_tiny_model(tmp_path / "model")
    settings = {"max_steps": 2, "batch_size": 2, "learning_rate": 1e-3}
    config = load_config(relocated_config(tmp_path, data_dir=str(data_root), data_dirs={"ccg": str(ccgbank)},
                                          intermediate=["ccg"], hyperparameters={"intermediate": settings}))
    ctx = RunContext(config, str(model), 1, load_tokenizer(str(model)), choose(False, None), tmp_path / "runs")
    encoder = intermediate_phase(ctx, config.intermediate[0])
    assert encoder.path.is_file() and "ccg dev (2 examples)" in encoder.policy
