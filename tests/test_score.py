"""Bring your own results: `score` on XTREME-layout folders, `import-jiant`, and the prediction export.

The fixture folders below are in the exact XTREME submission layout, two languages per task and every task
family; each expected score is worked out by hand in the comment beside it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.analysis.benchmark_summary import benchmark_groups, group_averages
from pipeline.analysis.stats import xtreme_average
from pipeline.cli import main
from pipeline.metrics import score_task
from pipeline.scoring import (
    Attribution,
    ScoringError,
    folder_rows,
    jiant_rows,
    read_jiant_run,
    score_folder,
    write_language,
)
from pipeline.scoring.report import summarise
from pipeline.store import ResultsStore, validate_rows
from pipeline.tasks import target_tasks
from tests.conftest import REPO


def _squad(questions: dict[str, list[str]], wrapped: bool = True) -> str:
    articles = [{"title": "t", "paragraphs": [{"context": "c", "qas": [
        {"id": qid, "question": "?", "answers": [{"text": t, "answer_start": 0} for t in texts]}
        for qid, texts in questions.items()]}]}]
    return json.dumps({"version": "1.1", "data": articles} if wrapped else articles, ensure_ascii=False)


PREDICTIONS = {
    "xnli/test-de.tsv": "entailment\nneutral\ncontradiction\nneutral\n",
    "xnli/test-en.tsv": "entailment\ncontradiction\n",
    "pawsx/test-de.tsv": "1\n0\n1\n",
    "pawsx/test-en.tsv": "0\n",
    "udpos/test-de.tsv": "NOUN\nVERB\nNOUN\n\nPRON\nVERB\n",
    "udpos/test-en.tsv": "DET\nNOUN\nNOUN\n",
    "panx/test-de.tsv": "B-PER\nI-PER\nO\nB-LOC\n\nB-ORG\nO\n",
    "panx/test-en.tsv": "O\nO\n",
    "xquad/test-de.json": json.dumps({"q1": "berlin.", "q2": "ein Hund", "qx": "extra"}),
    "xquad/test-en.json": json.dumps({"q1": "a cat", "q2": "three"}),
    "mlqa/test-de.json": json.dumps({"q1": "Hund", "q2": "1990"}),
    "mlqa/test-zh.json": json.dumps({"q1": "北京", "q2": "上海"}, ensure_ascii=False),
    "bucc2018/test-de.tsv": "de-1\ten-1\nde-2\ten-5\n",
    "bucc2018/test-fr.tsv": "fr-1\ten-1\nfr-2\ten-2\n",
    "tatoeba/test-de.tsv": "0\n1\n3\n",
    "tatoeba/test-fr.tsv": "5\n",
    "mewslix/test-de.jsonl": '{"id": "m1", "predictions": ["Q3", "Q1"]}\n{"id": "m2", "predictions": ["Q2"]}\n',
    "mewslix/test-en.jsonl": '{"id": "m1", "predictions": ["Q9"]}\n',
}
LABELS = {
    "xnli/test-de.tsv": "entailment\nneutral\nneutral\nneutral\n",
    "xnli/test-en.tsv": "entailment\nentailment\n",
    "pawsx/test-de.tsv": "1\n1\n1\n",
    "pawsx/test-en.tsv": "0\n",
    "udpos/test-de.tsv": "NOUN\nVERB\nADJ\n\nPRON\nVERB\n",
    "udpos/test-en.tsv": "DET\nNOUN\nVERB\n",
    "panx/test-de.tsv": "B-PER\nI-PER\nO\nB-LOC\n\nB-ORG\nI-ORG\n",
    "panx/test-en.tsv": "B-LOC\nO\n",
    "xquad/test-de.json": _squad({"q1": ["Berlin"], "q2": ["der Hund", "Hund"], "q3": ["1990"]}),
    "xquad/test-en.json": _squad({"q1": ["the cat"], "q2": ["two"]}, wrapped=False),
    "mlqa/test-de.json": _squad({"q1": ["der Hund"], "q2": ["im Jahr 1990"]}),
    "mlqa/test-zh.json": _squad({"q1": ["北京大学"], "q2": ["上海。"]}),
    "bucc2018/test-de.tsv": "de-1\ten-1\nde-2\ten-2\nde-3\ten-3\n",
    "bucc2018/test-fr.tsv": "fr-1\ten-1\nfr-2\ten-2\n",
    "tatoeba/test-de.tsv": "0\n1\n2\n",
    "tatoeba/test-fr.tsv": "5\n",
    "mewslix/test-de.jsonl": '{"id": "m1", "gold": ["Q1"]}\n{"id": "m2", "gold": "Q2"}\n',
    "mewslix/test-en.jsonl": '{"id": "m1", "gold": ["Q1"]}\n{"id": "m2", "gold": ["Q2"]}\n',
}
# (task, language) -> {metric: value}, by hand.
EXPECTED = {
    ("xnli", "de"): {"accuracy": 75.0},  # 3 of 4 labels equal
    ("xnli", "en"): {"accuracy": 50.0},
    ("pawsx", "de"): {"accuracy": 200 / 3},
    ("pawsx", "en"): {"accuracy": 100.0},
    # seqeval reads NOUN as prefix N + type OUN: chunks OUN, ERB, OUN | PRON, VERB vs OUN, ERB, DJ | RON, ERB:
    # 4 of 5 predicted and of 5 gold chunks are right.
    ("udpos", "de"): {"f1": 80.0},
    # "NOUN NOUN" is one chunk: predicted ET, OUN[1-2]; gold ET, OUN, ERB -> P 1/2, R 1/3, F1 0.4.
    ("udpos", "en"): {"f1": 40.0},
    ("panx", "de"): {"f1": 200 / 3},  # PER and LOC right, ORG span too short: 2 of 3 either way
    ("panx", "en"): {"f1": 0.0},  # no predicted entity
    # q1 "berlin." = "Berlin"; q2 "ein hund" vs "hund": F1 2/3 (German articles stay in SQuAD normalisation);
    # q3 has no prediction: 0. F1 (1 + 2/3) / 3, EM 1/3.
    ("xquad", "de"): {"f1": 500 / 9, "em": 100 / 3},
    ("xquad", "en"): {"f1": 50.0, "em": 50.0},  # "a cat" = "the cat"; "three" != "two"
    # MLQA drops German "der": "hund" = "hund"; "1990" vs "im jahr 1990": F1 1/2.
    ("mlqa", "de"): {"f1": 75.0, "em": 50.0},
    # Chinese is split per character: 北京 vs 北京大学 F1 2/3; "。" is Unicode punctuation: 上海 = 上海。.
    ("mlqa", "zh"): {"f1": 250 / 3, "em": 50.0},
    ("bucc", "de"): {"f1": 40.0},  # 1 right of 2 predicted, 3 gold: P 1/2, R 1/3
    ("bucc", "fr"): {"f1": 100.0},
    ("tatoeba", "de"): {"accuracy": 200 / 3},
    ("tatoeba", "fr"): {"accuracy": 100.0},
    ("mewslix", "de"): {"map@20": 75.0},  # reciprocal ranks 1/2 and 1
    ("mewslix", "en"): {"map@20": 0.0},  # wrong, and m2 missing
}
DETAILS = {
    ("udpos", "en"): {"precision": 50.0, "recall": 100 / 3},
    ("bucc", "de"): {"precision": 50.0, "recall": 100 / 3},
    ("panx", "en"): {"precision": 0.0, "recall": 0.0},
}


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    return write_tree(tmp_path / "predictions", PREDICTIONS), write_tree(tmp_path / "labels", LABELS)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=REPO, capture_output=True, text=True)


# ------------------------------------------------------------------------------------------- scoring a folder


def test_every_family_scores_as_computed_by_hand(folders: tuple[Path, Path]) -> None:
    scores, skipped = score_folder(*folders)
    assert skipped == []
    got = {(s.task_id, s.language): s.metrics for s in scores}
    assert got.keys() == EXPECTED.keys()
    for key, metrics in EXPECTED.items():
        assert {m: got[key][m] for m in metrics} == pytest.approx(metrics), key
    for key, values in DETAILS.items():  # precision and recall are stored metrics of tagging and BUCC
        assert {m: got[key][m] for m in values} == pytest.approx(values), key


def test_missing_and_extra_ids_are_reported(folders: tuple[Path, Path]) -> None:
    scores = {(s.task_id, s.language): s for s in score_folder(*folders)[0]}
    assert scores["xquad", "de"].warnings == (
        "1 of 3 questions have no prediction and score 0 (first: 'q3')",
        "1 predictions for question ids not in the labels were ignored",
    )
    assert scores["mewslix", "en"].warnings == ("1 of 2 mentions have no prediction and score 0 (first: 'm2')",)
    assert scores["xnli", "de"].warnings == ()


def test_rows_carry_the_folder_as_provenance_and_validate(folders: tuple[Path, Path]) -> None:
    scores, _ = score_folder(*folders)
    rows = validate_rows(folder_rows(scores, Attribution("my-model", "mnli", seed=3)))
    # Registry metrics, plus precision and recall for the 6 tagging and BUCC files.
    assert len(rows) == sum(len(m) for m in EXPECTED.values()) + 2 * 6
    assert {r["metric"] for r in rows if r["target_task"] == "bucc"} == {"f1", "precision", "recall"}
    assert {r["run_id"] for r in rows} == {rows[0]["run_id"]} and rows[0]["run_id"].startswith("score:")
    xquad = next(r for r in rows if r["target_task"] == "xquad" and r["language"] == "de" and r["metric"] == "em")
    assert str(folders[0].resolve() / "xquad" / "test-de.json") in xquad["provenance"]
    assert str(folders[1].resolve() / "xquad" / "test-de.json") in xquad["provenance"]
    assert "1 of 3 questions have no prediction" in xquad["notes"]
    assert (xquad["source_id"], xquad["intermediate_task"], xquad["seed"]) == ("scored", "mnli", 3)


def test_run_id_follows_the_prediction_files_content(folders: tuple[Path, Path]) -> None:
    first = folder_rows(score_folder(*folders)[0], Attribution("m"))[0]["run_id"]
    assert folder_rows(score_folder(*folders)[0], Attribution("m"))[0]["run_id"] == first
    (folders[0] / "pawsx" / "test-en.tsv").write_text("1\n", encoding="utf-8")
    assert folder_rows(score_folder(*folders)[0], Attribution("m"))[0]["run_id"] != first


def test_dev_split_reads_dev_files_and_skips_the_others(folders: tuple[Path, Path]) -> None:
    predictions, labels = folders
    (predictions / "xnli" / "dev-de.tsv").write_text("neutral\n", encoding="utf-8")
    (labels / "xnli" / "dev-de.tsv").write_text("neutral\n", encoding="utf-8")
    (predictions / "README.txt").write_text("notes", encoding="utf-8")
    scores, skipped = score_folder(predictions, labels, split="dev")
    assert [(s.task_id, s.language, s.metrics) for s in scores] == [("xnli", "de", {"accuracy": 100.0})]
    assert "README.txt" in skipped and "xnli/test-de.tsv" in skipped


# Each malformed variant: (files to write over the good fixture, files to delete, message fragments).
MALFORMED = {
    "labels file missing": ({}, ["labels/xnli/test-en.tsv"], ["missing labels file", "xnli/test-en.tsv"]),
    "line count": ({"predictions/xnli/test-de.tsv": "entailment\n" * 5},
                   [], ["xnli/test-de.tsv: the predictions have 5 lines but the labels", "have 4"]),
    "sentence length": ({"predictions/udpos/test-de.tsv": "NOUN\nVERB\nNOUN\n\nPRON\n"}, [],
                        ["udpos/test-de.tsv, sentence 2 (line 5): 1 predicted tags but 2 in the labels"]),
    "sentence count": ({"predictions/panx/test-en.tsv": "O\nO\n\nO\n"}, [],
                       ["panx/test-en.tsv: the predictions have 2 sentences (3 tag lines)", "have 1 (2 tag lines)"]),
    "unknown task": ({"predictions/xnlj/test-de.tsv": "a\n"}, [], ["'xnlj' is not a known task folder"]),
    "unknown language": ({"predictions/xnli/test-xx.tsv": "a\n"}, [],
                         ["xnli/test-xx.tsv: 'xx' is not a language of XNLI"]),
    "language of another task": ({"predictions/pawsx/test-sw.tsv": "1\n"}, [], ["'sw' is not a language of PAWS-X"]),
    "wrong extension": ({"predictions/xquad/test-es.tsv": "x\n"}, [], ["'xquad' files are .json files"]),
    "bad file name": ({"predictions/xnli/de.tsv": "x\n"}, [], ["xnli/de.tsv: unexpected file name"]),
    "broken json": ({"predictions/xquad/test-de.json": '{"q1": "x",\n "q2" "y"}'}, [],
                    ["xquad/test-de.json: not valid JSON (line 2, column 7"]),
    "json not a dict": ({"predictions/mlqa/test-de.json": '["x"]'}, [], ["must be a JSON object"]),
    "answer not text": ({"predictions/mlqa/test-de.json": '{"q1": 3}'}, [], ["question 'q1' is not a string"]),
    "squad without ids": ({"labels/xquad/test-en.json": '[{"paragraphs": [{"qas": [{"answers": []}]}]}]'}, [],
                          ["xquad/test-en.json: data[0].paragraphs[0].qas[0] needs 'id' (str; SQuAD format)"]),
    "bucc line": ({"predictions/bucc2018/test-fr.tsv": "fr-1\ten-1\nfr-2 en-2\n"}, [],
                  ["bucc2018/test-fr.tsv, line 2: expected 'source id<TAB>target id'"]),
    "jsonl line": ({"labels/mewslix/test-en.jsonl": '{"id": "m1", "gold": ["Q1"]}\n{"id": 2}\n'}, [],
                   ["mewslix/test-en.jsonl, line 2: expected"]),
    "not utf-8": ({}, [], ["xnli/test-en.tsv: not UTF-8 text"]),
    "empty labels": ({"labels/tatoeba/test-fr.tsv": "", "predictions/tatoeba/test-fr.tsv": ""}, [],
                     ["tatoeba/test-fr.tsv: accuracy: nothing to score"]),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_folders_name_the_file(tmp_path: Path, case: str) -> None:
    write_tree(tmp_path / "predictions", PREDICTIONS)
    write_tree(tmp_path / "labels", LABELS)
    overwrite, delete, fragments = MALFORMED[case]
    write_tree(tmp_path, overwrite)
    for name in delete:
        (tmp_path / name).unlink()
    if case == "not utf-8":
        (tmp_path / "predictions/xnli/test-en.tsv").write_bytes(b"entailment\n\xff\n")
    with pytest.raises(ScoringError) as error:
        score_folder(tmp_path / "predictions", tmp_path / "labels")
    for fragment in fragments:
        assert fragment in str(error.value)


def test_missing_folders_are_named(tmp_path: Path) -> None:
    write_tree(tmp_path / "labels", LABELS)
    with pytest.raises(ScoringError, match="the predictions folder .*nope does not exist"):
        score_folder(tmp_path / "nope", tmp_path / "labels")
    with pytest.raises(ScoringError, match="the labels folder .*gone does not exist"):
        score_folder(tmp_path / "labels", tmp_path / "gone")


# ----------------------------------------------------------------------------------- benchmark averages


def _complete_classification(tmp_path: Path) -> tuple[Path, Path]:
    """Every XTREME language of XNLI (3 of 4 right) and PAWS-X (1 of 2 right, English 2 of 2)."""
    predictions, labels = {}, {}
    for lang in target_tasks()["xnli"].languages_by_benchmark["xtreme"]:
        predictions[f"xnli/test-{lang}.tsv"], labels[f"xnli/test-{lang}.tsv"] = "a\nb\nc\nd\n", "a\nb\nc\nc\n"
    for lang in target_tasks()["pawsx"].languages_by_benchmark["xtreme"]:
        predictions[f"pawsx/test-{lang}.tsv"] = "1\n0\n"
        labels[f"pawsx/test-{lang}.tsv"] = "1\n0\n" if lang == "en" else "1\n1\n"
    return write_tree(tmp_path / "p", predictions), write_tree(tmp_path / "l", labels)


def test_cli_prints_and_writes_the_benchmark_summary(tmp_path: Path, store_path: Path) -> None:
    predictions, labels = _complete_classification(tmp_path)
    out = tmp_path / "summary.json"
    argv = ["score", "--predictions", str(predictions), "--labels", str(labels), "--model", "m", "--store",
            str(store_path), "--json", str(out)]
    assert main(argv) == 0
    summary = json.loads(out.read_text(encoding="utf-8"))
    tasks = {t["task"]: t for t in summary["tasks"]}
    assert tasks["xnli"]["score"] == pytest.approx(75.0)
    assert tasks["pawsx"]["score"] == pytest.approx((6 * 50 + 100) / 7)
    # Both classification tasks present: the group is their mean; the other groups and the overall are not given.
    assert summary["groups"]["classification"]["value"] == pytest.approx((75 + (6 * 50 + 100) / 7) / 2)
    assert summary["groups"]["question_answering"] == {"value": None, "note": "missing tasks: xquad, mlqa, tydiqa"}
    assert summary["overall"]["value"] is None and "missing tasks: udpos" in summary["overall"]["note"]
    # XTREME-R drops PAWS-X and has XCOPA in the classification group.
    assert main([*argv[:-1], str(tmp_path / "r.json"), "--benchmark", "xtreme-r"]) == 0
    summary_r = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    tasks_r = {t["task"]: t for t in summary_r["tasks"]}
    assert tasks_r["pawsx"]["in_benchmark"] is False and tasks_r["pawsx"]["score"] is None
    assert summary_r["groups"]["classification"] == {"value": None, "note": "missing tasks: xcopa"}
    assert ResultsStore(store_path).count() == 22  # the second run re-scored the same files


def test_summary_of_a_folder_without_benchmark_tasks(tmp_path: Path) -> None:
    only = {name: text for name, text in PREDICTIONS.items() if name.startswith("mewslix/")}
    predictions = write_tree(tmp_path / "p", only)
    labels = write_tree(tmp_path / "l", {name: LABELS[name] for name in only})
    scores, _ = score_folder(predictions, labels)
    summary = summarise(scores, validate_rows(folder_rows(scores, Attribution("m"))), "xtreme")
    assert [t["in_benchmark"] for t in summary["tasks"]] == [False]
    assert summary["overall"] == {"value": None, "note": "no xtreme task among the scored files"}


def test_group_averages_need_every_task_of_the_group() -> None:
    languages = {t.id: t.languages_by_benchmark["xtreme"] for t in target_tasks().values()
                 if "xtreme" in t.languages_by_benchmark}
    value = {task: 10.0 * (i + 1) for i, task in enumerate(languages)}  # task score by hand: 10, 20, …, 90
    rows = [{"run_id": "r", "source": "run", "model": "m", "intermediate_task": "none", "target_task": task,
             "language": lang, "metric": metric, "value": value[task], "split": "test", "setting": "zero-shot"}
            for task, langs in languages.items() for lang in langs
            for metric in (("f1", "em") if task in ("xquad", "mlqa", "tydiqa") else target_tasks()[task].metrics)]
    complete = xtreme_average(pd.DataFrame(validate_rows(rows)), "xtreme")
    groups = group_averages(complete).set_index("group")
    expected = {g: np.mean([value[t] for t in tasks]) for g, tasks in benchmark_groups("xtreme").items()}
    assert groups["value"].to_dict() == pytest.approx(expected)
    assert set(groups.index) == {"classification", "structured_prediction", "question_answering", "retrieval"}
    assert complete.loc[complete["target_task"] == "xtreme_avg", "value"].item() == pytest.approx(50.0)
    partial = [r for r in rows if not (r["target_task"] == "bucc" and r["language"] == "zh")]
    groups = group_averages(xtreme_average(pd.DataFrame(validate_rows(partial)), "xtreme")).set_index("group")
    assert np.isnan(groups.loc["retrieval", "value"]) and groups.loc["retrieval", "note"] == "no task score for: bucc"
    assert groups.loc["classification", "value"] == pytest.approx(expected["classification"])


# ------------------------------------------------------------------------------- the real CLI, as a process


def test_cli_happy_path_is_idempotent(folders: tuple[Path, Path], store_path: Path) -> None:
    argv = ["score", "--predictions", str(folders[0]), "--labels", str(folders[1]), "--model", "xlm-roberta-large",
            "--intermediate", "MNLI", "--store", str(store_path)]
    done = cli(*argv)
    assert done.returncode == 0, done.stderr
    assert "1 of 3 questions have no prediction and score 0" in done.stdout
    assert "task score: —  (2 of 15 languages: missing ar, bg" in done.stdout
    assert f"scored {len(EXPECTED)} file(s)" in done.stdout and "34 rows: 34 new" in done.stdout
    frame = ResultsStore(store_path).read_results()
    assert set(frame["intermediate_task"]) == {"mnli"} and set(frame["source_id"]) == {"scored"}
    stored = frame.set_index(["target_task", "language", "metric"])["value"]
    for (task, lang), metrics in EXPECTED.items():
        for metric, value in metrics.items():
            assert stored[task, lang, metric] == pytest.approx(value)
    again = cli(*argv)
    assert again.returncode == 0 and "34 rows: 0 new, 0 updated" in again.stdout


@pytest.mark.parametrize(("change", "message"), [
    (lambda p, l: (l / "xnli" / "test-en.tsv").unlink(), "missing labels file"),
    (lambda p, l: (p / "tatoeba" / "test-de.tsv").write_text("0\n1\n", encoding="utf-8"),
     "tatoeba/test-de.tsv: the predictions have 2 lines but the labels"),
])
def test_cli_errors_are_one_line_and_store_nothing(folders: tuple[Path, Path], store_path: Path, change, message):
    store = ResultsStore(store_path)
    change(*folders)
    done = cli("score", "--predictions", str(folders[0]), "--labels", str(folders[1]), "--model", "m",
               "--store", str(store_path))
    assert done.returncode == 2
    assert message in done.stderr and "nothing was stored" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert store.count() == 0 and store.data_version() == 0


def test_cli_refuses_an_unknown_intermediate_task(folders: tuple[Path, Path], store_path: Path) -> None:
    argv = ["score", "--predictions", str(folders[0]), "--labels", str(folders[1]), "--model", "m",
            "--intermediate", "mnlii", "--store", str(store_path)]
    assert main(argv) == 2
    assert ResultsStore(store_path).count() == 0


# ----------------------------------------------------------------------------------------------- jiant runs

JIANT_METRICS = {
    "aggregated": 0.71,
    "xnli_de": {"loss": 0.61, "metrics": {"major": 0.78, "minor": {"acc": 0.78}}},
    "udpos_de": {"loss": 0.2, "metrics": {"major": 0.85, "minor": {"precision": 0.9, "recall": 0.8, "f1": 0.85}}},
    "xquad_de": {"loss": 1.1, "metrics": {"major": 70.0, "minor": {"exact": 60.0, "f1": 80.0, "total": 1190}}},
    "mlqa_de_de": {"metrics": {"major": 58.0, "minor": {"exact_match": 50.0, "f1": 66.0}}},
    "mlqa_de_es": {"metrics": {"major": 40.0, "minor": {"exact_match": 30.0, "f1": 50.0}}},
    "bucc2018_de": {"metrics": {"major": 0.9, "minor": {"best-threshold": 1.05, "precision": 0.95, "recall": 0.86,
                                                        "F1": 0.9}}},
    "tatoeba_de": {"metrics": {"major": 0.6, "minor": {"acc": 0.6}}},
    "mnli": {"loss": 0.4, "metrics": {"major": 0.88, "minor": {"acc": 0.88}}},
}
JIANT_ARGS = {
    "jiant_task_container_config_path": "/exp/run_configs/xtreme.json", "output_dir": "/exp/runs/mnli__xtreme",
    "hf_pretrained_model_name_or_path": "xlm-roberta-large", "model_path": "/exp/runs/mnli/best_model.p",
    "model_config_path": "/exp/models/xlm-roberta-large/model/config.json", "model_load_mode": "partial",
    "do_train": True, "do_val": True, "seed": 7, "learning_rate": 3e-6,
}
# (task, language, metric) -> (value, split): fractions scaled to percent, QA kept; jiant's val phase is the
# benchmark's test data for XQuAD and Tatoeba.
JIANT_EXPECTED = {
    ("xnli", "de", "accuracy"): (78.0, "dev"),
    ("udpos", "de", "f1"): (85.0, "dev"),
    ("xquad", "de", "f1"): (80.0, "test"),
    ("xquad", "de", "em"): (60.0, "test"),
    ("mlqa", "de", "f1"): (66.0, "dev"),
    ("mlqa", "de", "em"): (50.0, "dev"),
    ("bucc", "de", "f1"): (90.0, "dev"),
    ("tatoeba", "de", "accuracy"): (60.0, "test"),
}


def jiant_run(root: Path, metrics: dict = JIANT_METRICS, args: dict | None = JIANT_ARGS) -> Path:
    root.mkdir(parents=True)
    (root / "val_metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    if args is not None:
        (root / "args.json").write_text(json.dumps(args, indent=2), encoding="utf-8")
    return root


def test_jiant_run_maps_tasks_languages_metrics_and_arguments(tmp_path: Path) -> None:
    run = read_jiant_run(jiant_run(tmp_path / "run"))
    assert (run.model, run.intermediate_task, run.seed) == ("xlm-roberta-large", "mnli", 7)
    assert run.skipped == ("mlqa_de_es: cross-lingual MLQA (context de, question es) has no store language",
                           "mnli: not an XTREME target task")
    rows = validate_rows(jiant_rows(run))
    got = {(r["target_task"], r["language"], r["metric"]): (round(r["value"], 9), r["split"]) for r in rows}
    assert got == JIANT_EXPECTED
    assert all(str((tmp_path / "run").resolve()) in r["provenance"] for r in rows)
    assert {r["source_id"] for r in rows} == {"jiant"}


def test_jiant_baseline_and_overrides(tmp_path: Path) -> None:
    pretrained = {"model_load_mode": "from_transformers", "model_path": "/exp/models/xlm-roberta-large/model/model.p"}
    baseline = read_jiant_run(jiant_run(tmp_path / "base", args={**JIANT_ARGS, **pretrained}))
    assert baseline.intermediate_task == "none"
    unknown = read_jiant_run(jiant_run(tmp_path / "odd", args={**JIANT_ARGS, "model_path": "/exp/ckpt/best.p"}))
    with pytest.raises(ScoringError, match="cannot tell the intermediate task from model_path '/exp/ckpt/best.p'"):
        jiant_rows(unknown)
    assert {r["intermediate_task"] for r in jiant_rows(unknown, intermediate_task="qqp")} == {"qqp"}
    no_args = read_jiant_run(jiant_run(tmp_path / "bare", args=None))
    with pytest.raises(ScoringError, match="names no model"):
        jiant_rows(no_args, intermediate_task="none")
    assert {r["model"] for r in jiant_rows(no_args, "xlm-roberta-base", "none")} == {"xlm-roberta-base"}


@pytest.mark.parametrize(("metrics", "message"), [
    ({"xnli_xx": {"metrics": {"minor": {"acc": 0.5}}}}, "'xx' is not a language of XNLI"),
    ({"xnli_de": {"loss": 0.3}}, "task 'xnli_de' has no metrics.minor object"),
    ({"panx_de": {"metrics": {"minor": {"acc": 0.5}}}}, "task 'panx_de' has no numeric f1 or F1 metric"),
    ({"mnli": {"metrics": {"minor": {"acc": 0.9}}}}, "no XTREME target task to import (mnli: not an XTREME"),
    ({"xnli_de": {"metrics": {"minor": {"acc": 78.0}}}}, "task 'xnli_de': acc = 78.0 is outside jiant's range"),
])
def test_jiant_problems_are_named(tmp_path: Path, metrics: dict, message: str) -> None:
    with pytest.raises(ScoringError) as error:
        read_jiant_run(jiant_run(tmp_path / "run", metrics=metrics))
    assert message in str(error.value)


def test_import_jiant_cli_is_all_or_nothing_and_idempotent(tmp_path: Path, store_path: Path) -> None:
    good = jiant_run(tmp_path / "good")
    bad = jiant_run(tmp_path / "bad", metrics={"xnli_de": {"loss": 0.3}})
    done = cli("import-jiant", str(good), str(bad), "--store", str(store_path))
    assert done.returncode == 2 and "bad/val_metrics.json: task 'xnli_de'" in done.stderr
    assert ResultsStore(store_path).count() == 0
    done = cli("import-jiant", str(good), "--store", str(store_path), "--test-artifact")
    assert done.returncode == 0, done.stderr
    assert "skipped mnli: not an XTREME target task" in done.stdout and "8 rows: 8 new" in done.stdout
    assert ResultsStore(store_path).read_results()["test_artifact"].all()
    assert main(["import-jiant", str(good), "--store", str(store_path), "--test-artifact"]) == 0
    assert ResultsStore(store_path).count() == 8


# ---------------------------------------------------------------------------------- exporting predictions


def test_exported_predictions_rescore_to_the_same_values(tmp_path: Path, store_path: Path) -> None:
    # The forms a pipeline evaluation hands to score_task, per family.
    outputs = {
        ("xnli", "de"): ([0, 1, 2, 2], [0, 1, 1, 2], ["entailment", "neutral", "contradiction"]),
        ("udpos", "en"): ([["DET", "NOUN"], ["VERB"]], [["DET", "NOUN"], ["NOUN"]], None),
        ("xquad", "de"): ({"a": "Berlin", "b": "ein Hund"}, {"a": ["Berlin"], "b": ["der Hund"], "c": ["x"]}, None),
        ("mlqa", "zh"): ({"a": "北京"}, {"a": ["北京大学"]}, None),
        ("bucc", "fr"): ({("fr-1", "en-1"), ("fr-2", "en-3")}, {("fr-1", "en-1"), ("fr-2", "en-2")}, None),
        ("tatoeba", "de"): ([0, 2, 1], [0, 1, 2], None),
        ("mewslix", "de"): ([["Q2", "Q1"], ["Q3"]], [{"Q1"}, {"Q3"}], None),
        ("xcopa", "et"): ([0, 1, 1], [0, 1, 0], None),
    }
    for (task, lang), (predictions, references, names) in outputs.items():
        write_language(tmp_path, task, lang, predictions, references, label_names=names)
    assert (tmp_path / "predictions" / "xnli" / "test-de.tsv").read_text() == (
        "entailment\nneutral\ncontradiction\ncontradiction\n")
    assert (tmp_path / "labels" / "bucc2018" / "test-fr.tsv").is_file()
    # XTREME-R's formats: one JSON object for Mewsli-X, {"label": ..} lines for XCOPA.
    assert json.loads((tmp_path / "labels" / "mewslix" / "test-de.json").read_text()) == {"m0": ["Q1"], "m1": ["Q3"]}
    assert (tmp_path / "predictions" / "xcopa" / "test-et.jsonl").read_text() == (
        '{"label": 0}\n{"label": 1}\n{"label": 1}\n')
    scores, _ = score_folder(tmp_path / "predictions", tmp_path / "labels")
    rows = validate_rows(folder_rows(scores, Attribution("m", test_artifact=True)))
    ResultsStore(store_path).insert_results(rows)
    stored = ResultsStore(store_path).read_results().set_index(["target_task", "language", "metric"])["value"]
    assert len(stored) == 14  # 10 task metrics, and precision and recall of UD-POS and BUCC
    for (task, lang), (predictions, references, _) in outputs.items():
        for metric, value in score_task(task, predictions, references, lang).items():
            assert stored[task, lang, metric] == pytest.approx(value), (task, lang, metric)
