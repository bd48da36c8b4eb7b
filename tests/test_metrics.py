"""Metrics against hand-computed cases, the seqeval package, and naive reference loops."""

from __future__ import annotations

import dataclasses
import logging
import math
import random
import warnings

import numpy as np
import pytest
from seqeval.metrics import f1_score, precision_score, recall_score
from sklearn.metrics import average_precision_score

from pipeline.metrics import (
    SCORERS,
    accuracy,
    average_precision_at_k,
    bucc_best_threshold,
    bucc_f1,
    map_at_k,
    margin_scores,
    mine_candidates,
    mlqa_f1_em,
    normalize_mlqa_answer,
    normalize_squad_answer,
    pairs_at_threshold,
    retrieval_accuracy,
    score_task,
    scorer_name,
    seqeval_f1,
    squad_f1_em,
    tatoeba_accuracy,
    top1_retrieval,
)
from pipeline.metrics import retrieval
from pipeline.tasks import get_target_task, target_tasks

# ---------------------------------------------------------------- accuracy


def test_accuracy_counts_equal_positions():
    assert accuracy([1, 0, 2, 2], [1, 1, 2, 0]) == 50.0
    assert accuracy(["entailment"], ["entailment"]) == 100.0


@pytest.mark.parametrize(("preds", "labels", "message"), [([], [], "nothing to score"), ([1, 2], [1], "pair up")])
def test_accuracy_rejects_empty_and_mismatched(preds, labels, message):
    with pytest.raises(ValueError, match=message):
        accuracy(preds, labels)


# ---------------------------------------------------------------- SQuAD / MLQA


def test_squad_normalisation_drops_case_ascii_punctuation_and_articles():
    assert normalize_squad_answer("  The Eiffel-Tower, in a  city! ") == "eiffeltower in city"
    # Only ASCII punctuation: SQuAD v1.1 keeps "¿" and "«»".
    assert normalize_squad_answer("¿«Casa»?") == "¿«casa»"


def test_squad_takes_best_gold_and_averages_over_questions():
    preds = {"q1": "Paris France", "q2": "The Eiffel Tower!"}
    refs = {"q1": ["Paris", "the capital Paris, France"], "q2": ["eiffel tower"]}
    # q1: vs "paris" P=1/2 R=1 -> 2/3; vs "capital paris france" P=1 R=2/3 -> 0.8; EM 0. q2: exact.
    scores = squad_f1_em(preds, refs)
    assert scores["f1"] == pytest.approx(100 * (0.8 + 1) / 2)
    assert scores["em"] == pytest.approx(50.0)


def test_squad_missing_prediction_scores_zero_and_warns(caplog):
    with caplog.at_level(logging.WARNING, logger="pipeline.metrics.qa"):
        scores = squad_f1_em({"q1": "blue", "unasked": "x"}, {"q1": ["blue"], "q2": ["red"]})
    assert scores == {"f1": 50.0, "em": 50.0}
    assert "1 of 2 questions have no prediction" in caplog.text


def test_squad_empty_normalised_answers_match_exactly_but_have_no_f1():
    # As in the official script: "the" and "a" both normalise to "", EM 1 but F1 0.
    assert squad_f1_em({"q": "the"}, {"q": ["a"]}) == {"f1": 0.0, "em": 100.0}


def test_squad_rejects_bad_references():
    with pytest.raises(ValueError, match="no reference questions"):
        squad_f1_em({"q": "a"}, {})
    with pytest.raises(ValueError, match="non-empty list of gold answers"):
        squad_f1_em({"q": "a"}, {"q": "a"})


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("en", "The cat and a dog", "cat and dog"),
        ("es", "Los gatos y las casas de una ciudad", "gatos y casas de ciudad"),
        ("de", "Eines der Häuser, einem Mann", "häuser mann"),
        ("vi", "Cái bàn của tôi", "bàn tôi"),
        ("ar", "الكتاب", "كتاب"),
        # The official Arabic pattern removes "ال" anywhere, also inside a word.
        ("ar", "مال", "م"),
        ("hi", "एक किताब", "एक किताब"),
        ("zh", "这本书", "这 本 书"),
    ],
)
def test_mlqa_articles_per_language(lang, text, expected):
    assert normalize_mlqa_answer(text, lang) == expected


def test_mlqa_removes_unicode_punctuation():
    assert normalize_mlqa_answer("¿Dónde está «el museo»?", "es") == "dónde está museo"
    assert normalize_mlqa_answer("„Das Haus“ — ja", "de") == "haus ja"
    scores = mlqa_f1_em({"q": "¿casa?"}, {"q": ["casa"]}, "es")
    assert scores == {"f1": 100.0, "em": 100.0}
    assert squad_f1_em({"q": "¿casa?"}, {"q": ["casa"]})["em"] == 0.0


def test_mlqa_chinese_mixed_segmentation():
    assert normalize_mlqa_answer("他在Beijing City工作。", "zh") == "他 在 beijing city 工 作"
    # pred tokens: 他 在 beijing city 工 作 (6); gold: beijing city (2) -> P=1/3, R=1, F1=0.5.
    assert mlqa_f1_em({"q": "他在Beijing City工作"}, {"q": ["Beijing city"]}, "zh")["f1"] == pytest.approx(50.0)
    # pred 北 京 大 学 vs gold 北 京: P=1/2, R=1 -> 2/3. SQuAD sees one token each, so no overlap.
    assert mlqa_f1_em({"q": "北京大学"}, {"q": ["北京"]}, "zh")["f1"] == pytest.approx(200 / 3)
    assert squad_f1_em({"q": "北京大学"}, {"q": ["北京"]})["f1"] == 0.0


@pytest.mark.parametrize("lang", ["fr", None])
def test_mlqa_needs_a_known_language(lang):
    with pytest.raises(ValueError, match="answer language"):
        mlqa_f1_em({"q": "a"}, {"q": ["a"]}, lang)


# ---------------------------------------------------------------- seqeval


def _seqeval_package(pred, gold):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "f1": 100 * f1_score(gold, pred),
            "precision": 100 * precision_score(gold, pred),
            "recall": 100 * recall_score(gold, pred),
        }


def test_entity_f1_differs_from_token_accuracy():
    gold = [["B-PER", "I-PER", "O", "B-LOC"]]
    pred = [["B-PER", "O", "O", "B-LOC"]]
    assert accuracy(pred[0], gold[0]) == 75.0
    # Entities: gold PER(0-1), LOC(3); predicted PER(0), LOC(3) -> one of two right each way.
    assert seqeval_f1(pred, gold) == {"f1": 50.0, "precision": 50.0, "recall": 50.0}
    assert seqeval_f1(pred, gold) == pytest.approx(_seqeval_package(pred, gold))


def test_seqeval_matches_package_on_random_iob_sequences():
    rng = random.Random(0)
    tags = ["O", "O", "O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]
    gold = [[rng.choice(tags) for _ in range(rng.randint(1, 12))] for _ in range(40)]
    pred = [[t if rng.random() < 0.7 else rng.choice(tags) for t in sent] for sent in gold]
    assert seqeval_f1(pred, gold) == pytest.approx(_seqeval_package(pred, gold))


def test_pos_tags_scored_as_xtreme_chunks_without_warnings():
    gold = [["NOUN", "NOUN", "VERB"], ["SCONJ", "SCONJ", "X"]]
    pred = [["NOUN", "VERB", "VERB"], ["SCONJ", "SCONJ", "X"]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores = seqeval_f1(pred, gold)
    # XTREME's (seqeval 0.0.x) chunks, a sentence break counting as one position; a tag's type is the whole tag:
    # gold NOUN(0-1) VERB(2) SCONJ(4) SCONJ(5) X(6), pred NOUN(0) VERB(1-2) SCONJ(4) SCONJ(5) X(6) ('S' starts a
    # one-token chunk). 3 of 5 match both ways, although token accuracy is 5/6.
    assert accuracy(sum(pred, []), sum(gold, [])) == pytest.approx(500 / 6)
    assert scores == pytest.approx({"f1": 60.0, "precision": 60.0, "recall": 60.0})
    # seqeval 1.x reads X as the type of O and CONJ for SCONJ, and would say 50: XTREME's own test disagrees.
    assert _seqeval_package(pred, gold)["f1"] == pytest.approx(50.0)


def test_seqeval_rejects_ragged_input():
    with pytest.raises(ValueError, match="sentence 0 has 1 predicted tags but 2 gold"):
        seqeval_f1([["O"]], [["O", "O"]])


# ---------------------------------------------------------------- BUCC


def test_bucc_f1_by_hand():
    pred = {("a", "x"), ("b", "y"), ("c", "z")}
    gold = {("a", "x"), ("b", "y"), ("d", "w"), ("e", "v")}
    scores = bucc_f1(pred, gold)
    assert scores["precision"] == pytest.approx(200 / 3)
    assert scores["recall"] == pytest.approx(50.0)
    assert scores["f1"] == pytest.approx(400 / 7)
    assert bucc_f1(set(), gold) == {"f1": 0.0, "precision": 0.0, "recall": 0.0}
    with pytest.raises(ValueError, match="gold alignment is empty"):
        bucc_f1(pred, set())


def test_bucc_threshold_maximises_f1_on_a_tiny_list():
    gold = {("s1", "t1"), ("s3", "t3"), ("s4", "t4"), ("s7", "t7")}
    candidates = [
        ("s5", "t5", 0.5),
        ("s4", "t4", 0.2),  # listed again below with a higher score, which wins
        ("s1", "t1", 0.9),
        ("s6", "t6", 0.4),
        ("s3", "t3", 0.7),
        ("s2", "t2", 0.8),
        ("s4", "t4", 0.6),
    ]
    # Prefix F1 by decreasing score: .4, 1/3, 4/7, .75 (s1 s2 s3 s4), 2/3, .6 -> cut between 0.6 and 0.5.
    threshold = bucc_best_threshold(candidates, gold)
    assert threshold == pytest.approx(0.55)
    predicted = pairs_at_threshold(candidates, threshold)
    assert predicted == {("s1", "t1"), ("s2", "t2"), ("s3", "t3"), ("s4", "t4")}
    assert bucc_f1(predicted, gold)["f1"] == pytest.approx(75.0)


def test_bucc_threshold_edges():
    gold = {("a", "x"), ("b", "y")}
    # Best prefix is the whole list: keep everything, including the last candidate.
    assert bucc_best_threshold([("a", "x", 0.9), ("b", "y", 0.3)], gold) == pytest.approx(0.3)
    # No gold candidate at all: XTREME's threshold 0.
    assert bucc_best_threshold([("c", "z", 0.9)], gold) == 0.0


def _naive_bucc_threshold(candidates, gold):
    """XTREME's bucc_optimize loop, with the last-item case handled as ours."""
    best = {}
    for s, t, score in candidates:
        best[(s, t)] = max(score, best.get((s, t), score))
    items = sorted(best.items(), key=lambda kv: -kv[1])
    threshold, best_f1, ncorrect = 0.0, 0.0, 0
    for i, (pair, score) in enumerate(items):
        ncorrect += pair in gold
        if ncorrect:
            p, r = ncorrect / (i + 1), ncorrect / len(gold)
            f1 = 2 * p * r / (p + r)
            if f1 > best_f1:
                best_f1 = f1
                threshold = (score + items[i + 1][1]) / 2 if i + 1 < len(items) else score
    return threshold


def test_bucc_threshold_matches_reference_loop_on_random_candidates():
    rng = random.Random(1)
    for _ in range(20):
        candidates = [(f"s{rng.randint(0, 30)}", f"t{rng.randint(0, 30)}", round(rng.random(), 2)) for _ in range(60)]
        gold = {(f"s{i}", f"t{i}") for i in range(0, 31, 2)} | {(c[0], c[1]) for c in candidates[:10]}
        assert bucc_best_threshold(candidates, gold) == pytest.approx(_naive_bucc_threshold(candidates, gold))


# ---------------------------------------------------------------- margin scoring and mining

_X3 = np.eye(3)
_Y3 = np.array([[1.0, 0.0, 0.0], [0.6, 0.8, 0.0], [0.0, 0.6, 0.8]])


def test_margin_scores_by_hand():
    # cos(x_i, y_j) = Y3[j, i]: rows [1, .6, 0], [0, .8, .6], [0, 0, .8]. With k=2 the forward means are
    # .8, .7, .4 and the backward means .5, .7, .7; e.g. x0 -> y0: 1 / ((.8 + .5) / 2) = 20/13.
    best, score = margin_scores(_X3, _Y3, k=2)
    assert best.tolist() == [0, 1, 2]
    assert score == pytest.approx([20 / 13, 8 / 7, 16 / 11])


def test_mine_candidates_by_hand():
    pairs = mine_candidates(_X3, _Y3, k=2)
    assert [(s, t) for s, t, _ in pairs] == [(0, 0), (2, 2), (1, 1)]
    assert [score for _, _, score in pairs] == pytest.approx([20 / 13, 16 / 11, 8 / 7])


def _cos(a, b):
    return sum(p * q for p, q in zip(a, b)) / math.sqrt(sum(p * p for p in a) * sum(q * q for q in b))


def _naive_margin(x, y, k):
    sims = [[_cos(a, b) for b in y] for a in x]
    cols = [[sims[i][j] for i in range(len(x))] for j in range(len(y))]
    fwd = [sum(sorted(row, reverse=True)[: min(k, len(y))]) / min(k, len(y)) for row in sims]
    bwd = [sum(sorted(col, reverse=True)[: min(k, len(x))]) / min(k, len(x)) for col in cols]
    best, scores = [], []
    for i, row in enumerate(sims):
        candidates = sorted(range(len(y)), key=lambda j: -row[j])[: min(k, len(y))]
        margins = {j: row[j] / ((fwd[i] + bwd[j]) / 2) for j in candidates}
        j = max(margins, key=margins.get)
        best.append(j)
        scores.append(margins[j])
    return best, scores


def test_margin_scores_match_naive_loop_on_random_data():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(7, 5)), rng.normal(size=(9, 5))
    for k in (1, 3, 20):
        best, score = margin_scores(x, y, k=k)
        ref_best, ref_score = _naive_margin(x.tolist(), y.tolist(), k)
        assert best.tolist() == ref_best
        assert score == pytest.approx(ref_score)


def test_mine_candidates_match_naive_max_strategy_on_random_data():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(8, 6)), rng.normal(size=(6, 6))
    fwd_best, fwd_score = _naive_margin(x.tolist(), y.tolist(), 4)
    bwd_best, bwd_score = _naive_margin(y.tolist(), x.tolist(), 4)
    pooled = [(i, j, s) for i, (j, s) in enumerate(zip(fwd_best, fwd_score))]
    pooled += [(i, j, s) for j, (i, s) in enumerate(zip(bwd_best, bwd_score))]
    expected, seen_src, seen_tgt = [], set(), set()
    for i, j, s in sorted(pooled, key=lambda c: -c[2]):
        if i not in seen_src and j not in seen_tgt:
            seen_src.add(i)
            seen_tgt.add(j)
            if s > 0:
                expected.append((i, j))
    assert [(s, t) for s, t, _ in mine_candidates(x, y, k=4)] == expected


# ---------------------------------------------------------------- top-1 retrieval (Tatoeba)


def test_top1_retrieval_matches_naive_loop_across_chunks(monkeypatch):
    rng = np.random.default_rng(4)
    src, tgt = rng.normal(size=(50, 16)).astype(np.float32), rng.normal(size=(60, 16)).astype(np.float32)
    expected = [max(range(len(tgt)), key=lambda j: _cos(s, tgt[j])) for s in src.tolist()]
    assert top1_retrieval(src, tgt).tolist() == expected
    monkeypatch.setattr(retrieval, "_CHUNK_BYTES", 64 * 4 * 7)  # 7 query rows per block
    assert top1_retrieval(src, tgt).tolist() == expected


def test_retrieval_accuracy_against_identity_alignment():
    rng = np.random.default_rng(5)
    src = rng.normal(size=(20, 8))
    tgt = src + rng.normal(scale=0.01, size=src.shape)
    tgt[[3, 7]] = tgt[[7, 3]]
    assert retrieval_accuracy(src, tgt) == pytest.approx(90.0)


def test_tatoeba_searches_from_english():
    foreign = np.array([[1.0, 0.0], [0.0, 1.0]])
    english = np.array([[1.0, 0.1], [1.0, 0.2]])
    # English -> foreign: both English rows are nearest to foreign 0; foreign -> English gets both right.
    assert tatoeba_accuracy(foreign, english) == 50.0
    assert retrieval_accuracy(foreign, english) == 100.0


def test_retrieval_rejects_bad_shapes():
    with pytest.raises(ValueError, match="embedding sizes differ"):
        top1_retrieval(np.ones((2, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError, match="non-empty 2-D"):
        top1_retrieval(np.ones((0, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="as many targets as sources"):
        retrieval_accuracy(np.ones((2, 3)), np.ones((3, 3)))


# ---------------------------------------------------------------- mAP@k (Mewsli-X)


def test_map_at_k_by_hand():
    # Reciprocal ranks 1/2, 0 (gold not retrieved), 1 -> 50.
    assert map_at_k([["a", "b", "c"], ["x", "y"], ["p"]], [{"b"}, {"z"}, {"p"}]) == pytest.approx(50.0)
    assert map_at_k([["a", "b", "c"]], [{"c"}], k=2) == 0.0
    assert map_at_k([[]], [{"c"}]) == 0.0
    # Two gold ids at ranks 1 and 3: (1/1 + 2/3) / 2; a repeated id counts once.
    assert average_precision_at_k(["a", "b", "c", "d"], {"a", "c"}) == pytest.approx(5 / 6)
    assert average_precision_at_k(["a", "a", "b"], {"a", "b"}) == pytest.approx(5 / 6)
    with pytest.raises(ValueError, match="at least one gold id"):
        map_at_k([["a"]], [set()])


def test_full_ranking_ap_matches_sklearn():
    rng = np.random.default_rng(6)
    scores = rng.permutation(30) / 30.0
    relevant = set(rng.choice(30, size=5, replace=False).tolist())
    ranked = np.argsort(-scores).tolist()
    y_true = [int(i in relevant) for i in range(30)]
    assert average_precision_at_k(ranked, relevant, k=None) == pytest.approx(average_precision_score(y_true, scores))


# ---------------------------------------------------------------- dispatch through the registry


def test_score_task_returns_registry_metrics():
    assert score_task("xnli", [0, 1, 2], [0, 1, 1]) == pytest.approx({"accuracy": 200 / 3})
    gold, pred = [["B-PER", "I-PER", "O", "B-LOC"]], [["B-PER", "O", "O", "B-LOC"]]
    # Tagging and BUCC: F1, then the stored detail metrics precision and recall.
    assert score_task("panx", pred, gold, lang="de") == {"f1": 50.0, "precision": 50.0, "recall": 50.0}
    assert score_task("tatoeba", [0, 1, 3], [0, 1, 2]) == pytest.approx({"accuracy": 200 / 3})
    assert score_task("bucc", {("a", "x")}, {("a", "x"), ("b", "y")}) == pytest.approx(
        {"f1": 200 / 3, "precision": 100.0, "recall": 50.0})
    assert score_task("mewslix", [["e2", "e1"]], [{"e1"}]) == {"map@20": 50.0}


def test_score_task_stored_metrics_in_registry_order():
    gold, pred = [["B-PER", "I-PER", "O", "B-LOC"]], [["B-PER", "O", "O", "B-LOC"]]
    # One of two predicted chunks is right (B-LOC), one of two gold chunks is found.
    assert score_task("panx", pred, gold, lang="de", extras=True) == {"f1": 50.0, "precision": 50.0, "recall": 50.0}
    scores = score_task("bucc", {("a", "x"), ("b", "z")}, {("a", "x"), ("b", "y"), ("c", "w")}, extras=True)
    assert list(scores) == ["f1", "precision", "recall"]
    assert scores == pytest.approx({"f1": 40.0, "precision": 50.0, "recall": 100 / 3})
    assert score_task("xnli", [0, 1], [0, 0], extras=True) == {"accuracy": 50.0}


def test_xquad_uses_squad_normalisation_in_every_language():
    assert score_task("xquad", {"q": "北京大学"}, {"q": ["北京"]}, lang="zh") == {"f1": 0.0, "em": 0.0}


def test_mlqa_scorer_named_in_a_registry_entry_gets_mlqa_normalisation():
    task = dataclasses.replace(get_target_task("mlqa"), extra={"scorer": "mlqa"})
    assert scorer_name(task) == "mlqa"
    scores = SCORERS["mlqa"]({"q": "北京大学"}, {"q": ["北京"]}, "zh", task.metrics)
    assert scores["f1"] == pytest.approx(200 / 3)


_SAMPLES = {
    "accuracy": ([1, 0], [1, 1]),
    "seqeval": ([["B-PER", "O"]], [["B-PER", "O"]]),
    "squad": ({"q": "a cat"}, {"q": ["cat"]}),
    "mlqa": ({"q": "a cat"}, {"q": ["cat"]}),
    "bucc": ({("a", "x")}, {("a", "x")}),
    "map": ([["e1"]], [{"e1"}]),
}


@pytest.mark.parametrize("task_id", sorted(target_tasks()))
def test_every_registry_task_scores_its_metrics(task_id):
    task = get_target_task(task_id)
    predictions, references = _SAMPLES[scorer_name(task)]
    lang = "en" if "en" in task.languages else task.languages[0]
    assert tuple(score_task(task_id, predictions, references, lang=lang)) == task.stored_metrics


def test_score_task_rejects_unknown_task_and_language():
    with pytest.raises(ValueError, match="unknown target task"):
        score_task("nope", [1], [1])
    with pytest.raises(ValueError, match="not a language of 'pawsx'"):
        score_task("pawsx", [1], [1], lang="sw")
    with pytest.raises(ValueError, match="no scorer for task"):
        scorer_name(dataclasses.replace(get_target_task("xnli"), extra={"scorer": "bleu"}))
