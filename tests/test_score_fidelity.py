"""`score` gives the number XTREME's own evaluate.py gives, or refuses the folder naming file and line.

Every edge case is a hand-made folder whose official number is worked out by hand beside it, from how
evaluate.py reads files (never by running it). The last tests re-score XTREME's own mock submission
(tests/fixtures/xtreme_mock, Apache-2.0) to the averages its evaluate_test.py asserts.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.scoring import Attribution, ScoringError, folder_rows, score_folder
from pipeline.scoring.report import render, summarise
from pipeline.store import ResultsStore, validate_rows
from pipeline.tasks import get_target_task
from tests.test_score import write_tree

MOCK = Path(__file__).parent / "fixtures" / "xtreme_mock"
EXACT = {"abs": 1e-9, "rel": 0}


def scored(tmp_path: Path, predictions: dict[str, str], labels: dict[str, str]):
    """{(task, language): LanguageScore} of a hand-made folder pair."""
    scores, _ = score_folder(write_tree(tmp_path / "p", predictions), write_tree(tmp_path / "l", labels))
    return {(s.task_id, s.language): s for s in scores}


def refused(tmp_path: Path, predictions: dict[str, str], labels: dict[str, str]) -> str:
    with pytest.raises(ScoringError) as error:
        scored(tmp_path, predictions, labels)
    return str(error.value)


# ------------------------------------------------------------------ line files: official number, with a warning


def test_a_trailing_blank_line_is_an_example(tmp_path: Path) -> None:
    # read_label keeps the blank line: ['1', '0', ''] vs ['1', '1', ''] -> 2 of 3 right.
    got = scored(tmp_path, {"xnli/test-de.tsv": "1\n0\n\n"}, {"xnli/test-de.tsv": "1\n1\n\n"})["xnli", "de"]
    assert got.metrics["accuracy"] == pytest.approx(200 / 3, **EXACT)
    assert got.n_examples == 3
    assert any("test-de.tsv, line 3 blank: evaluate.py counts each as an example" in w for w in got.warnings)


def test_an_extra_trailing_blank_line_is_a_count_mismatch(tmp_path: Path) -> None:
    # 3 entries against 2: evaluate.py's length assertion fails.
    message = refused(tmp_path, {"pawsx/test-de.tsv": "1\n0\n\n"}, {"pawsx/test-de.tsv": "1\n0\n"})
    assert "pawsx/test-de.tsv: the predictions have 3 lines but the labels" in message and "have 2" in message


def test_a_bom_stays_in_the_first_label(tmp_path: Path) -> None:
    # '\ufeff0' != '0': 2 of 3 right, where stripping the BOM would give 100.
    got = scored(tmp_path, {"xnli/test-de.tsv": "\ufeff0\n0\n0"}, {"xnli/test-de.tsv": "0\n0\n0"})["xnli", "de"]
    assert got.metrics["accuracy"] == pytest.approx(200 / 3, **EXACT)
    assert any("line 1 starts with a UTF-8 byte-order mark" in w for w in got.warnings)


def test_crlf_cr_padding_and_no_final_newline_read_as_lines(tmp_path: Path) -> None:
    # Universal newlines and strip(): ['entailment', 'neutral', 'contradiction', 'x'] vs 4 labels, 2 equal.
    predictions = {"xnli/test-de.tsv": "entailment\r\n  neutral \t\r\ncontradiction\rx"}
    labels = {"xnli/test-de.tsv": "entailment\nneutral\nneutral\ny\n"}
    got = scored(tmp_path, predictions, labels)["xnli", "de"]
    assert got.metrics["accuracy"] == pytest.approx(50.0, **EXACT) and got.warnings == ()


def test_tatoeba_indices_compare_as_text(tmp_path: Path) -> None:
    # '01' != '1' as strings; ' 2 ' strips to '2': 1 of 2.
    got = scored(tmp_path, {"tatoeba/test-de.tsv": "01\n 2 \n"}, {"tatoeba/test-de.tsv": "1\n2\n"})
    assert got["tatoeba", "de"].metrics["accuracy"] == pytest.approx(50.0, **EXACT)


# -------------------------------------------------------------------------------------------------- BUCC


def test_bucc_blank_line_is_the_pair_of_one_empty_id(tmp_path: Path) -> None:
    # Predicted {(de-1, en-1), ('',), (de-2, en-5)}, gold {(de-1, en-1), (de-2, en-2)}: 1 right,
    # P 1/3, R 1/2, F1 2·(1/6)/(5/6) = 0.4.
    got = scored(tmp_path, {"bucc2018/test-de.tsv": "de-1\ten-1\n\nde-2\ten-5\n"},
                 {"bucc2018/test-de.tsv": "de-1\ten-1\nde-2\ten-2\n"})["bucc", "de"]
    assert got.metrics == pytest.approx({"f1": 40.0, "precision": 100 / 3, "recall": 50.0}, **EXACT)
    assert any("line 2 blank: evaluate.py counts a blank line as the pair ('',)" in w for w in got.warnings)


def test_bucc_blank_lines_on_both_sides_match(tmp_path: Path) -> None:
    # Predicted {(a, b), ('',)}, gold {(a, b), (c, d), ('',)}: 2 right, P 1, R 2/3, F1 0.8; duplicates collapse.
    got = scored(tmp_path, {"bucc2018/test-fr.tsv": "a\tb\n\na\tb\n"},
                 {"bucc2018/test-fr.tsv": "a\tb\r\nc\td\n\n"})["bucc", "fr"]
    assert got.metrics == pytest.approx({"f1": 80.0, "precision": 100.0, "recall": 200 / 3}, **EXACT)


def test_bucc_line_without_a_tab_is_refused(tmp_path: Path) -> None:
    message = refused(tmp_path, {"bucc2018/test-fr.tsv": "a\tb\nc d\n"}, {"bucc2018/test-fr.tsv": "a\tb\n"})
    assert "bucc2018/test-fr.tsv, line 2: expected 'source id<TAB>target id', got 'c d'" in message


# ---------------------------------------------------------------------------------------------- tagging


def test_blank_line_after_blank_line_is_an_empty_sentence(tmp_path: Path) -> None:
    # read_tag: [[B-PER], [], [B-LOC]] vs [[B-PER], [], [O]]; the final blank line closes the last sentence.
    # Entities: predicted PER, LOC; gold PER -> P 1/2, R 1, F1 2/3.
    got = scored(tmp_path, {"panx/test-de.tsv": "B-PER\n\n\nB-LOC\n\n"},
                 {"panx/test-de.tsv": "B-PER\n\n\nO\n\n"})["panx", "de"]
    assert got.metrics == pytest.approx({"f1": 200 / 3, "precision": 50.0, "recall": 100.0}, **EXACT)
    assert got.n_examples == 3
    assert any("line 3: a blank line after a blank line" in w for w in got.warnings)


def test_an_empty_sentence_on_one_side_only_is_refused(tmp_path: Path) -> None:
    # 3 sentences against 2: evaluate.py's length assertion fails (it used to be tolerated here).
    message = refused(tmp_path, {"panx/test-de.tsv": "B-PER\n\n\nO\n"}, {"panx/test-de.tsv": "B-PER\n\nO\n"})
    assert "panx/test-de.tsv: the predictions have 3 sentences" in message


def test_a_bom_stays_in_the_first_tag(tmp_path: Path) -> None:
    # seqeval reads '\ufeffB-PER' as prefix '\ufeff' and type 'PER': any prefix but O starts a chunk of a new
    # type, so the span (PER, 0, 0) still equals gold's and F1 is 100 — evaluate.py's number; the BOM is warned of.
    got = scored(tmp_path, {"panx/test-de.tsv": "\ufeffB-PER\nO\n"}, {"panx/test-de.tsv": "B-PER\nO\n"})
    assert got["panx", "de"].metrics["f1"] == pytest.approx(100.0, **EXACT)
    assert any("starts with a UTF-8 byte-order mark" in w for w in got["panx", "de"].warnings)


# --------------------------------------------------------------------------------------------------- JSON


def _squad_labels(qid: str, answer: str) -> dict[str, str]:
    return {"xquad/test-de.json": json.dumps([{"paragraphs": [{"qas": [{"id": qid, "answers": [{"text": answer}]}]}]}])}


def test_json_with_a_bom_is_refused(tmp_path: Path) -> None:
    labels = _squad_labels("q", "a")
    message = refused(tmp_path, {"xquad/test-de.json": "\ufeff" + json.dumps({"q": "a"})}, labels)
    assert "xquad/test-de.json: starts with a UTF-8 byte-order mark" in message


def test_duplicated_json_keys_keep_the_last_value(tmp_path: Path) -> None:
    labels = _squad_labels("q", "Bonn")
    got = scored(tmp_path, {"xquad/test-de.json": '{"q": "Berlin", "q": "bonn"}'}, labels)["xquad", "de"]
    assert got.metrics == pytest.approx({"f1": 100.0, "em": 100.0}, **EXACT)
    assert any("key 'q' appears more than once; evaluate.py keeps its last value" in w for w in got.warnings)


def test_a_data_key_in_predictions_is_refused(tmp_path: Path) -> None:
    labels = _squad_labels("data", "a")
    message = refused(tmp_path, {"xquad/test-de.json": '{"data": "a"}'}, labels)
    assert "top-level key 'data', which evaluate.py reads as the whole file" in message


# ---------------------------------------------------------------------------------- XTREME-R's formats


def test_xcopa_jsonl_labels_compare_as_json_values(tmp_path: Path) -> None:
    # read_xcopa: [1, 0.0, True, "1"] vs [1, 0, 1, 1]; Python equality: 1 == 1, 0.0 == 0, True == 1, "1" != 1.
    predictions = {"xcopa/test-et.jsonl": '{"label": 1}\n{"label": 0.0}\r\n{"label": true}\n{"label": "1"}'}
    labels = {"xcopa/test-et.jsonl": '{"idx": 0, "label": 1}\n{"label": 0}\n{"label": 1}\n{"label": 1}\n'}
    got = scored(tmp_path, predictions, labels)["xcopa", "et"]
    assert got.metrics["accuracy"] == pytest.approx(75.0, **EXACT)


@pytest.mark.parametrize(("text", "fragment"), [
    ('{"label": 1}\n\n{"label": 0}\n', "xcopa/test-et.jsonl, line 2: not a JSON record"),
    ('\ufeff{"label": 1}\n{"label": 0}\n', "xcopa/test-et.jsonl, line 1: not a JSON record (Unexpected UTF-8 BOM"),
    ('{"label": 1}\n{"choice": 0}\n', "xcopa/test-et.jsonl, line 2: expected a JSON object with a \"label\""),
])
def test_xcopa_lines_evaluate_py_cannot_read_are_refused(tmp_path: Path, text: str, fragment: str) -> None:
    message = refused(tmp_path, {"xcopa/test-et.jsonl": text}, {"xcopa/test-et.jsonl": '{"label": 1}\n{"label": 0}\n'})
    assert fragment in message


def test_xcopa_label_lines_are_read_too(tmp_path: Path) -> None:
    got = scored(tmp_path, {"xcopa/test-et.tsv": "1\n0\n"}, {"xcopa/test-et.tsv": "1\n1\n"})
    assert got["xcopa", "et"].metrics["accuracy"] == pytest.approx(50.0, **EXACT)


def test_mewslix_official_json_uses_the_first_gold_id_stripped(tmp_path: Path) -> None:
    # m1: gold " Q1 " -> "Q1" (Q2 is ignored), at rank 2 -> 1/2 (all gold ids would give AP 1);
    # m2: gold Q5 is 21st, outside the top 20 -> 0; m3: no prediction -> 0. Mean (1/2 + 0 + 0) / 3.
    predictions = {"mewslix/test-de.json": json.dumps({"m1": ["Q2", "Q1"], "m2": [f"Q{i}" for i in range(100, 120)]
                                                       + ["Q5"], "m9": ["Q1"]})}
    labels = {"mewslix/test-de.json": json.dumps({"m1": [" Q1 ", "Q2"], "m2": ["Q5"], "m3": ["Q7"]})}
    got = scored(tmp_path, predictions, labels)["mewslix", "de"]
    assert got.metrics["map@20"] == pytest.approx(50 / 3, **EXACT)
    assert got.warnings == ("1 of 3 mentions have no prediction and score 0 (first: 'm3')",
                            "1 predictions for mention ids not in the labels were ignored")


@pytest.mark.parametrize(("predictions", "labels", "fragment"), [
    ({"m1": ["Q1"]}, {"m1": "Q1"}, "the gold of mention 'm1' must be a non-empty list of entity ids, got 'Q1'"),
    ({"m1": ["Q1"]}, {"m1": []}, "the gold of mention 'm1' must be a non-empty list"),
    ({"m1": "Q1"}, {"m1": ["Q1"]}, "the prediction for mention 'm1' must be a list of entity ids"),
    ({"m1": ["Q1"]}, {}, "no mentions in the labels"),
    ({"m1": ["Q1"]}, [["Q1"]], "must be a JSON object, not a list"),
])
def test_mewslix_values_evaluate_py_would_misread_are_refused(tmp_path: Path, predictions, labels, fragment) -> None:
    message = refused(tmp_path, {"mewslix/test-de.json": json.dumps(predictions)},
                      {"mewslix/test-de.json": json.dumps(labels)})
    assert fragment in message


# ----------------------------------------------------------------------------- stored numbers and the CLI


def test_precision_recall_and_perturbation_are_stored(tmp_path: Path, store_path: Path) -> None:
    predictions = write_tree(tmp_path / "p", {"bucc2018/test-de.tsv": "a\tb\nc\td\n"})
    labels = write_tree(tmp_path / "l", {"bucc2018/test-de.tsv": "a\tb\n"})
    argv = ["score", "--predictions", str(predictions), "--labels", str(labels), "--model", "m",
            "--perturbation", "char_noise@0.10", "--store", str(store_path)]
    assert main(argv) == 0
    rows = ResultsStore(store_path).read_results().set_index("metric")
    assert rows["value"].to_dict() == pytest.approx({"f1": 200 / 3, "precision": 50.0, "recall": 100.0})
    assert set(rows["perturbation"]) == {"char_noise@0.1"}
    with pytest.raises(SystemExit, match="2"):
        main([*argv[:-4], "--perturbation", "noise", "--store", str(store_path)])


def test_xtreme_r_overall_is_never_official_without_lareqa(tmp_path: Path) -> None:
    # Every XTREME-R language of XCOPA, all right: its task score is 100; the other 9 official tasks are absent.
    languages = get_target_task("xcopa").languages_by_benchmark["xtreme-r"]
    files = {f"xcopa/test-{lang}.jsonl": '{"label": 1}\n' for lang in languages}
    scores = list(scored(tmp_path, files, files).values())
    summary = summarise(scores, validate_rows(folder_rows(scores, Attribution("m"))), "xtreme-r")
    assert summary["overall"]["value"] is None and "needs LAReQA" in summary["overall"]["note"]
    assert summary["partial"] == {"value": 100.0, "n_tasks": 1, "of": 10,
                                  "note": "partial, not comparable to the leaderboard"}
    assert ("xtreme-r mean of the 1 scored of 10 tasks: 100.00  (partial, not comparable to the leaderboard)"
            in render(summary))
    # evaluate.py's XTREME-R groups: XCOPA alone is 'multi_choice'; 'classification' also needs XNLI.
    assert summary["groups"]["multi_choice"] == {"value": 100.0, "note": ""}
    assert summary["groups"]["classification"]["value"] is None


# -------------------------------------------------------------------- XTREME's own mock submission

#: google-research/xtreme evaluate_test.py, TASK2AVG_SCORES (XTREME) and Mewsli-X's XTREME-R average.
OFFICIAL_XTREME = {
    "pawsx": {"accuracy": 51.42857142857143},
    "xnli": {"accuracy": 30.666666666666668},
    "panx": {"f1": 57.50793650793652, "precision": 54.729166666666664, "recall": 62.750000000000014},
    "udpos": {"f1": 70.21746048354693, "precision": 71.02232625883823, "recall": 69.54982073976082},
    "bucc": {"f1": 55.0, "precision": 55.0, "recall": 55.0},
    "tatoeba": {"accuracy": 53.611111111111114},
    "xquad": {"em": 77.27272727272727, "f1": 79.9586776859504},
    "mlqa": {"em": 57.142857142857146, "f1": 81.76870748299321},
    "tydiqa": {"em": 88.88888888888889, "f1": 97.22222222222223},
}
OFFICIAL_MEWSLIX = 14.39025156130419


def _summary(tmp_path: Path, store_path: Path, benchmark: str) -> dict:
    out = tmp_path / f"{benchmark}.json"
    assert main(["score", "--predictions", str(MOCK / "predictions"), "--labels", str(MOCK / "labels"), "--model",
                 "mock", "--benchmark", benchmark, "--test-artifact", "--store", str(store_path),
                 "--json", str(out)]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


def test_xtreme_mock_submission_scores_to_the_official_averages(tmp_path: Path, store_path: Path) -> None:
    summary = _summary(tmp_path, store_path, "xtreme")
    tasks = {t["task"]: t for t in summary["tasks"]}
    for task, averages in OFFICIAL_XTREME.items():
        assert tasks[task]["averages"] == pytest.approx(averages, **EXACT), task
    # evaluate.py's avg_metric per task ((EM + F1) / 2 for QA) and its all_task mean.
    metric = {t: (a["em"] + a["f1"]) / 2 if "em" in a else a.get("f1", a.get("accuracy"))
              for t, a in OFFICIAL_XTREME.items()}
    assert {t: tasks[t]["score"] for t in metric} == pytest.approx(metric, **EXACT)
    assert summary["overall"]["value"] == pytest.approx(sum(metric.values()) / 9, **EXACT)
    assert summary["partial"] is None


def test_mock_mewslix_scores_to_the_official_xtreme_r_average(tmp_path: Path, store_path: Path) -> None:
    summary = _summary(tmp_path, store_path, "xtreme-r")
    tasks = {t["task"]: t for t in summary["tasks"]}
    assert tasks["mewslix"]["score"] == pytest.approx(OFFICIAL_MEWSLIX, **EXACT)
    assert tasks["xnli"]["score"] == pytest.approx(OFFICIAL_XTREME["xnli"]["accuracy"], **EXACT)
    # The mock lacks XTREME-R's added languages and tasks: no official overall, a labelled partial mean.
    assert summary["overall"]["value"] is None
    assert summary["partial"]["note"] == "partial, not comparable to the leaderboard" and summary["partial"]["of"] == 10
