"""BUCC 2018 bitext mining: pair F1, the dev-tuned score threshold, and thresholded extraction.

Mirrors XTREME ``third_party/utils_retrieve.py`` (``bucc_optimize``, ``bucc_extract``, ``bucc_eval``) and
``evaluate.py`` ``bucc_f1``. Candidates are ``(src_id, tgt_id, score)``; a pair listed twice keeps its
highest score and its first position, as XTREME's candidate reader does.
"""

from __future__ import annotations

from collections.abc import Iterable, Set

import numpy as np

Pair = tuple[str, str]


def bucc_f1(predicted_pairs: Set[Pair], gold_pairs: Set[Pair]) -> dict[str, float]:
    """Pair-level F1, precision and recall (0–100); all 0 when no predicted pair is gold."""
    if not gold_pairs:
        raise ValueError("bucc_f1: the gold alignment is empty")
    correct = len(set(predicted_pairs) & set(gold_pairs))
    if correct == 0:
        return {"f1": 0.0, "precision": 0.0, "recall": 0.0}
    precision = correct / len(predicted_pairs)
    recall = correct / len(gold_pairs)
    return {"f1": 100 * 2 * precision * recall / (precision + recall), "precision": 100 * precision, "recall": 100 * recall}


def _best_scores(scored_candidates: Iterable[tuple[str, str, float]]) -> dict[Pair, float]:
    best: dict[Pair, float] = {}
    for src, tgt, score in scored_candidates:
        pair = (src, tgt)
        best[pair] = max(float(score), best.get(pair, float(score)))
    return best


def bucc_best_threshold(scored_candidates: Iterable[tuple[str, str, float]], gold_pairs: Set[Pair]) -> float:
    """The score threshold maximising F1 against ``gold_pairs`` (tune on dev, apply to test).

    Candidates are taken in decreasing score order (stable on ties); at the first prefix with the highest F1
    the threshold is the midpoint between its last score and the next one. If the best prefix is the whole
    list the threshold is its last score (XTREME's script indexes past the end there). With no gold pair
    among the candidates the threshold is 0, as in XTREME.
    """
    if not gold_pairs:
        raise ValueError("bucc_best_threshold: the gold alignment is empty")
    best = _best_scores(scored_candidates)
    if not best:
        raise ValueError("bucc_best_threshold: no scored candidates")
    pairs = list(best)
    scores = np.fromiter(best.values(), dtype=np.float64, count=len(best))
    order = np.argsort(-scores, kind="stable")
    sorted_scores = scores[order]
    is_gold = np.fromiter((pairs[i] in gold_pairs for i in order), dtype=bool, count=len(order))
    n_correct = np.cumsum(is_gold)
    if n_correct[-1] == 0:
        return 0.0
    n_extracted = np.arange(1, len(order) + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = n_correct / n_extracted
        recall = n_correct / len(gold_pairs)
        f1 = np.where(n_correct > 0, 2 * precision * recall / (precision + recall), -1.0)
    i = int(np.argmax(f1))
    if i + 1 == len(order):
        return float(sorted_scores[i])
    return float((sorted_scores[i] + sorted_scores[i + 1]) / 2)


def pairs_at_threshold(scored_candidates: Iterable[tuple[str, str, float]], threshold: float) -> set[Pair]:
    """Candidate pairs whose (best) score is at least ``threshold`` — the predicted bitext."""
    return {pair for pair, score in _best_scores(scored_candidates).items() if score >= threshold}
