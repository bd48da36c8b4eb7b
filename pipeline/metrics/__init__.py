"""Every XTREME / XTREME-R evaluation metric, implemented once.

All scores are floats on a 0–100 scale; inputs are plain lists, dicts, sets and numpy arrays. Empty or
mismatched inputs raise ValueError with a message naming the problem. Each function reproduces the official
scorer named beside it (google-research/xtreme ``evaluate.py`` and ``third_party/``; facebookresearch/MLQA).

Use ``score_task`` unless you need one metric's extras (precision/recall, thresholds):

    score_task(task_id, predictions, references, lang=None, extras=False) -> {metric: value}
        The registry's metrics for the task (e.g. ``{"f1": .., "em": ..}`` for XQuAD), chosen from the
        registry head / primary metric or its ``scorer`` key (see ``dispatch``), then its detail metrics
        (precision/recall for tagging and BUCC). Values go straight into the results store's
        ``metric``/``value`` columns. ``extras=True`` appends the scorer's other numbers (not stored).

Per-metric functions:

    accuracy(predictions, labels) -> float                              XNLI, PAWS-X, XCOPA, Tatoeba
    squad_f1_em({qid: answer}, {qid: [golds]}) -> {f1, em}              XQuAD, TyDiQA-GoldP (SQuAD v1.1)
    mlqa_f1_em({qid: answer}, {qid: [golds]}, lang) -> {f1, em}         MLQA (per-language normalisation)
    seqeval_f1(pred_tags, gold_tags) -> {f1, precision, recall}         PAN-X, UD-POS (seqeval on raw tags)
    bucc_f1(predicted_pairs, gold_pairs) -> {f1, precision, recall}     BUCC 2018
    bucc_best_threshold([(src, tgt, score)], gold_pairs) -> float       tune on dev ...
    pairs_at_threshold([(src, tgt, score)], threshold) -> set[pair]     ... extract on test
    mine_candidates(x, y, k=4) -> [(src_idx, tgt_idx, margin)]          BUCC mining ('max' ratio margin)
    margin_scores(x, y, k=4) -> (best tgt index, margin) per source     ratio margin (Artetxe & Schwenk 2019)
    top1_retrieval(src, tgt) -> indices; retrieval_accuracy(src, tgt)   exact cosine search, chunked
    tatoeba_accuracy(foreign, english) -> float                         English queries, as XTREME
    map_at_k(ranked, gold_sets, k=20) -> float                          Mewsli-X mAP@20 (= MRR@20)

Deliberate departures from the official code, all on inputs where it crashes or is unspecified: empty inputs
raise instead of dividing by zero; ``bucc_best_threshold`` returns the last score when the best prefix is the
whole candidate list (the script indexes past the end); similarity ties go to the lower index.
"""

from pipeline.metrics.bucc import bucc_best_threshold, bucc_f1, pairs_at_threshold
from pipeline.metrics.classification import accuracy
from pipeline.metrics.dispatch import METRICS_BY_HEAD, SCORERS, score_task, scorer_name
from pipeline.metrics.qa import (
    MLQA_LANGUAGES,
    mlqa_f1_em,
    normalize_mlqa_answer,
    normalize_squad_answer,
    squad_f1_em,
)
from pipeline.metrics.ranking import average_precision_at_k, map_at_k
from pipeline.metrics.retrieval import (
    margin_scores,
    mine_candidates,
    retrieval_accuracy,
    tatoeba_accuracy,
    top1_retrieval,
)
from pipeline.metrics.tagging import seqeval_f1

#: Bumped whenever a metric's definition or the stored metrics change, so cached scores are recomputed
#: (2: XTREME's seqeval 0.0.x chunk types for tagging; precision and recall stored for tagging and BUCC).
METRICS_VERSION = 2

__all__ = [
    "METRICS_BY_HEAD",
    "METRICS_VERSION",
    "MLQA_LANGUAGES",
    "SCORERS",
    "accuracy",
    "average_precision_at_k",
    "bucc_best_threshold",
    "bucc_f1",
    "margin_scores",
    "map_at_k",
    "mine_candidates",
    "mlqa_f1_em",
    "normalize_mlqa_answer",
    "normalize_squad_answer",
    "pairs_at_threshold",
    "retrieval_accuracy",
    "score_task",
    "scorer_name",
    "seqeval_f1",
    "squad_f1_em",
    "tatoeba_accuracy",
    "top1_retrieval",
]
