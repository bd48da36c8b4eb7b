"""Span F1 for the tagging tasks (PAN-X, UD-POS), through the ``seqeval`` package as XTREME does.

XTREME ``evaluate.py`` scores both PAN-X and UD-POS with ``seqeval.metrics.f1_score`` /
``precision_score`` / ``recall_score`` in the default (conlleval-like) mode. For PAN-X that is entity-level
F1 over IOB2 spans. UD-POS tags are handed to the same routine unchanged, so seqeval reads the first letter of
a POS tag as a chunk prefix and the rest as its type: ``NOUN`` is type ``OUN``, consecutive equal tags merge
into one chunk, ``SCONJ``/``SYM`` (prefix ``S``) are single-token chunks, and ``X`` gets type ``_`` — the type
of ``O`` and of the sentence break — so an ``X`` right before either is never closed and never counted.
The reported "POS F1" is therefore F1 over runs of equal tags, not token accuracy; we reproduce that exactly
and silence the "seems not to be NE tag" warnings it triggers.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

from pipeline.metrics.classification import check_paired


def seqeval_f1(pred_tags: Sequence[Sequence[str]], gold_tags: Sequence[Sequence[str]]) -> dict[str, float]:
    """Micro span F1, precision and recall (0–100) of per-sentence tag lists, via seqeval's default mode."""
    check_paired(pred_tags, gold_tags, "seqeval_f1 (sentences)")
    for i, (pred, gold) in enumerate(zip(pred_tags, gold_tags)):
        if len(pred) != len(gold):
            raise ValueError(f"seqeval_f1: sentence {i} has {len(pred)} predicted tags but {len(gold)} gold tags")
    # Imported here: seqeval pulls in scikit-learn (~1.6 s), which the other metrics never need.
    from seqeval.metrics import f1_score, precision_score, recall_score

    y_pred = [list(s) for s in pred_tags]
    y_true = [list(s) for s in gold_tags]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".* seems not to be NE tag\.")
        scores = {
            "f1": f1_score(y_true, y_pred, zero_division=0),
            "precision": precision_score(y_true, y_pred, zero_division=0),
            "recall": recall_score(y_true, y_pred, zero_division=0),
        }
    return {name: 100.0 * float(value) for name, value in scores.items()}
