"""Span F1 for the tagging tasks (PAN-X, UD-POS) as XTREME's ``evaluate.py`` computed the published numbers.

``evaluate.py`` scores both tasks with ``seqeval.metrics`` f1/precision/recall in its default (conlleval-like)
mode, on the raw tags. Its own test (``evaluate_test.py``, July 2020) asserts the mock submission's averages
as seqeval 0.0.x computed them, and so were the XTREME leaderboard's: a chunk's prefix is a tag's first
character and its *type* is the text after the last ``-`` — the whole tag when there is none (``NOUN`` is
type ``NOUN``, ``O`` type ``O``). seqeval 1.x changed that type to the text after the first character
(``NOUN`` -> ``OUN``, ``X`` -> the type of ``O``), which moves UD-POS (the mock's average from 70.2175 to
70.3981) and leaves IOB2 entity tags (PAN-X) unchanged. We keep the 0.0.x types and take the chunk boundary
rules (``end_of_chunk``/``start_of_chunk``, the same in both versions) from the installed seqeval.

For UD-POS the reported "POS F1" is therefore F1 over runs of equal tags, with ``S``-initial tags (``SCONJ``,
``SYM``) single-token chunks and ``I``-initial ones (``INTJ``) continuing a run — not token accuracy.
Precision and recall are micro averages over chunks; all three are 0 when nothing matches.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pipeline.metrics.classification import check_paired

Chunk = tuple[str, int, int]


def chunks(sentences: Iterable[Sequence[str]]) -> set[Chunk]:
    """(type, first, last) chunks of the sentences joined with an ``O`` after each, as seqeval 0.0.x finds them."""
    # Imported here: seqeval pulls in scikit-learn (~1.6 s), which the other metrics never need.
    from seqeval.metrics.sequence_labeling import end_of_chunk, start_of_chunk

    tags = [tag for sentence in sentences for tag in (*sentence, "O")]
    found: set[Chunk] = set()
    prev_prefix, prev_type, begin = "O", "", 0
    for i, tag in enumerate([*tags, "O"]):
        prefix, type_ = tag[:1], tag.split("-")[-1]
        if end_of_chunk(prev_prefix, prefix, prev_type, type_):
            found.add((prev_type, begin, i - 1))
        if start_of_chunk(prev_prefix, prefix, prev_type, type_):
            begin = i
        prev_prefix, prev_type = prefix, type_
    return found


def seqeval_f1(pred_tags: Sequence[Sequence[str]], gold_tags: Sequence[Sequence[str]]) -> dict[str, float]:
    """Micro span F1, precision and recall (0–100) of per-sentence tag lists (see the module docstring)."""
    check_paired(pred_tags, gold_tags, "seqeval_f1 (sentences)")
    for i, (pred, gold) in enumerate(zip(pred_tags, gold_tags)):
        if len(pred) != len(gold):
            raise ValueError(f"seqeval_f1: sentence {i} has {len(pred)} predicted tags but {len(gold)} gold tags")
    predicted, true = chunks(pred_tags), chunks(gold_tags)
    correct = len(predicted & true)
    precision = correct / len(predicted) if predicted else 0.0
    recall = correct / len(true) if true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return {"f1": 100.0 * f1, "precision": 100.0 * precision, "recall": 100.0 * recall}
