"""Score every (task, language) file of an XTREME-layout predictions folder with ``pipeline.metrics``.

Pairing follows the official scorer: position-aligned files (classification, XCOPA, Tatoeba, tagging) must
have as many examples as their labels, QA and Mewsli-X align by id, BUCC compares pair sets. A question (or
mention) in the labels without a prediction scores 0 and is reported; predictions for ids the labels lack are
ignored and reported. Mewsli-X is scored on the first gold id of each mention, whitespace-stripped, against
the top 20 predictions (XTREME-R's mean reciprocal rank, reported as mAP@20).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.metrics import score_task, scorer_name
from pipeline.scoring import readers
from pipeline.scoring.errors import ScoringError
from pipeline.scoring.layout import PairedFile, paired_files
from pipeline.tasks import get_target_task


@dataclass(frozen=True)
class LanguageScore:
    """The scores of one predictions file: stored metrics, extras (shown), and what was noticed."""

    files: PairedFile
    metrics: dict[str, float]
    extras: dict[str, float]
    n_examples: int
    warnings: tuple[str, ...] = ()

    @property
    def task_id(self) -> str:
        return self.files.task_id

    @property
    def language(self) -> str:
        return self.files.language


#: (predictions, references, number of examples, warnings) ready for ``score_task``.
Inputs = tuple[Any, Any, int, list[str]]


def _paired_lines(pair: PairedFile, read: Callable[[Path], tuple[list[Any], list[str]]]) -> Inputs:
    """Position-aligned entries; evaluate.py asserts that both files have as many."""
    (predictions, warned), (labels, label_warned) = map(read, (pair.prediction, pair.label))
    if len(predictions) != len(labels):
        raise ScoringError(f"{pair.name}: the predictions have {len(predictions)} lines but the labels "
                           f"{pair.label} have {len(labels)}")
    return predictions, labels, len(labels), [*warned, *label_warned]


def _lines(pair: PairedFile) -> Inputs:
    read = readers.read_xcopa if pair.extension == "jsonl" else readers.read_labels
    return _paired_lines(pair, read)


def _tags(pair: PairedFile) -> Inputs:
    predictions, labels = readers.read_tags(pair.prediction), readers.read_tags(pair.label)
    if len(predictions.tags) != len(labels.tags):
        raise ScoringError(
            f"{pair.name}: the predictions have {len(predictions.tags)} sentences ({predictions.n_tags} tag lines) "
            f"but the labels {pair.label} have {len(labels.tags)} ({labels.n_tags} tag lines)")
    for i, (pred, gold) in enumerate(zip(predictions.tags, labels.tags)):
        if len(pred) != len(gold):
            raise ScoringError(
                f"{pair.name}, sentence {i + 1} (line {predictions.first_lines[i]}): {len(pred)} predicted tags "
                f"but {len(gold)} in the labels (line {labels.first_lines[i]} of {pair.label})")
    return predictions.tags, labels.tags, len(labels.tags), [*predictions.warnings, *labels.warnings]


def _alignment_warnings(predicted: set[str], gold: list[str], unit: str) -> list[str]:
    missing = [key for key in gold if key not in predicted]
    extra = len(predicted - set(gold))
    warnings = []
    if missing:
        warnings.append(f"{len(missing)} of {len(gold)} {unit}s have no prediction and score 0 "
                        f"(first: {missing[0]!r})")
    if extra:
        warnings.append(f"{extra} predictions for {unit} ids not in the labels were ignored")
    return warnings


def _squad(pair: PairedFile) -> Inputs:
    predictions, warned = readers.read_answers(pair.prediction)
    labels, label_warned = readers.read_squad(pair.label)
    for qid in labels:
        if qid in predictions and not isinstance(predictions[qid], str):
            raise ScoringError(f"{pair.prediction}: the prediction for question {qid!r} is not a string: "
                               f"{predictions[qid]!r}")
    warnings = [*warned, *label_warned, *_alignment_warnings(set(predictions), list(labels), "question")]
    return predictions, labels, len(labels), warnings


def _pairs(pair: PairedFile) -> Inputs:
    (predictions, warned), (labels, label_warned) = map(readers.read_pairs, (pair.prediction, pair.label))
    if not labels:
        raise ScoringError(f"{pair.label}: no gold pairs (evaluate.py would score 0)")
    return predictions, labels, len(labels), [*warned, *label_warned]


def _first_gold(label: Path, mention: str, ids: Any) -> str:
    """The mention's gold entity as Mewsli-X's scorer takes it: the first id of its list, whitespace-stripped."""
    if not isinstance(ids, list) or not ids or not isinstance(ids[0], str):
        raise ScoringError(f"{label}: the gold of mention {mention!r} must be a non-empty list of entity ids, "
                           f"got {ids!r}")
    return ids[0].strip()


def _ranking(prediction: Path, mention: str, ids: Any) -> list[str]:
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ScoringError(f"{prediction}: the prediction for mention {mention!r} must be a list of entity ids "
                           f"(strings), got {ids!r}")
    return ids


def _rankings(pair: PairedFile) -> Inputs:
    predictions, warned = readers.entity_reader(pair.extension, "predictions")(pair.prediction)
    labels, label_warned = readers.entity_reader(pair.extension, "gold")(pair.label)
    if not labels:
        raise ScoringError(f"{pair.label}: no mentions in the labels (evaluate.py would score 0)")
    ranked = [_ranking(pair.prediction, key, predictions[key]) if key in predictions else [] for key in labels]
    gold = [{_first_gold(pair.label, key, ids)} for key, ids in labels.items()]
    warnings = [*warned, *label_warned, *_alignment_warnings(set(predictions), list(labels), "mention")]
    return ranked, gold, len(labels), warnings


#: How each scorer's inputs are read from a file pair.
_READERS: dict[str, Callable[[PairedFile], Inputs]] = {
    "accuracy": _lines,
    "seqeval": _tags,
    "squad": _squad,
    "mlqa": _squad,
    "bucc": _pairs,
    "map": _rankings,
}


def read_outputs(pair: PairedFile) -> Inputs:
    """(predictions, references, number of examples, warnings) of one file pair, as ``score_task`` takes them."""
    return _READERS[scorer_name(get_target_task(pair.task_id))](pair)


def score_pair(pair: PairedFile) -> LanguageScore:
    """Read and score one predictions file against its labels."""
    task = get_target_task(pair.task_id)
    predictions, references, n_examples, warnings = read_outputs(pair)
    try:
        scores = score_task(task.id, predictions, references, pair.language, extras=True)
    except ValueError as exc:
        raise ScoringError(f"{pair.name}: {exc}") from None
    metrics = {m: scores[m] for m in task.stored_metrics}
    extras = {m: v for m, v in scores.items() if m not in metrics}
    return LanguageScore(pair, metrics, extras, n_examples, tuple(warnings))


def score_folder(predictions: Path, labels: Path, split: str = "test") -> tuple[list[LanguageScore], list[str]]:
    """Scores of every predictions file of ``split`` (task, then language order) and the skipped entries."""
    pairs, skipped = paired_files(Path(predictions), Path(labels), split)
    return [score_pair(pair) for pair in pairs], skipped
