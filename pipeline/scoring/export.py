"""Write one language's predictions and references in the XTREME layout, so a run can be re-scored or shared.

Inputs are the forms ``pipeline.metrics.score_task`` scores (what ``pipeline.evaluate.outputs`` returns):
label ids or strings (classification, Tatoeba indices), per-sentence tag lists, ``{id: answer}`` with
``{id: [gold answers]}``, BUCC pair sets, Mewsli-X rankings with gold id sets. Files go to
``<root>/predictions/<task>/<split>-<lang>.<ext>`` and ``<root>/labels/...``, in the formats XTREME's
``evaluate.py`` reads (XTREME-R's for XCOPA and Mewsli-X), so ``score`` and the official script read them back.
QA labels are written as minimal SQuAD JSON (ids and answers, no contexts: the scorer needs no more).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pipeline.metrics import scorer_name
from pipeline.scoring.layout import file_name, folder_name
from pipeline.tasks import get_target_task


def _named(values: Sequence[Any], label_names: Sequence[str] | None, nested: bool) -> Sequence[Any]:
    """Integer label ids replaced by their names (XTREME's files hold names, e.g. XNLI's ``entailment``)."""
    if label_names is None:
        return values

    def name(value: Any) -> Any:
        return label_names[value] if isinstance(value, int) and not isinstance(value, bool) else value

    return [[name(v) for v in row] for row in values] if nested else [name(v) for v in values]


def _lines(items: Sequence[Any]) -> str:
    return "".join(f"{item}\n" for item in items)


def _tags(sentences: Sequence[Sequence[str]]) -> str:
    return "\n".join(_lines(sentence) for sentence in sentences)


def _pairs(pairs: Any) -> str:
    return "".join(f"{src}\t{tgt}\n" for src, tgt in sorted(pairs))


def _answers(answers: dict[str, str]) -> str:
    return json.dumps(answers, ensure_ascii=False, indent=1) + "\n"


def _squad(golds: dict[str, Sequence[str]]) -> str:
    qas = [{"id": qid, "answers": [{"text": text} for text in texts]} for qid, texts in golds.items()]
    return json.dumps({"version": "1.1", "data": [{"title": "", "paragraphs": [{"context": "", "qas": qas}]}]},
                      ensure_ascii=False, indent=1) + "\n"


def _entity_ids(values: Sequence[Any]) -> str:
    """Mewsli-X's one JSON object ``{"m<i>": [entity ids]}`` (gold sets sorted, rankings kept in order)."""
    return json.dumps({f"m{i}": sorted(map(str, v)) if isinstance(v, (set, frozenset)) else [str(x) for x in v]
                       for i, v in enumerate(values)}, ensure_ascii=False) + "\n"


def _records(labels: Sequence[Any]) -> str:
    """XCOPA's JSON lines ``{"label": ..}``."""
    return "".join(json.dumps({"label": label}) + "\n" for label in labels)


#: (predictions writer, references writer) per (scorer, file extension).
_WRITERS: dict[tuple[str, str], tuple[Callable[[Any], str], Callable[[Any], str]]] = {
    ("accuracy", "tsv"): (_lines, _lines),
    ("accuracy", "jsonl"): (_records, _records),
    ("seqeval", "tsv"): (_tags, _tags),
    ("squad", "json"): (_answers, _squad),
    ("mlqa", "json"): (_answers, _squad),
    ("bucc", "tsv"): (_pairs, _pairs),
    ("map", "json"): (_entity_ids, _entity_ids),
}


def write_language(root: str | Path, task_id: str, language: str, predictions: Any, references: Any,
                   split: str = "test", label_names: Sequence[str] | None = None) -> tuple[Path, Path]:
    """Write ``root/predictions/...`` and ``root/labels/...`` for one language; returns both paths.

    ``label_names`` turns integer label ids into the names XTREME's files use (e.g. XNLI's ``entailment``).
    """
    task = get_target_task(task_id)
    if language not in task.languages:
        raise ValueError(f"{language!r} is not a language of {task.name}")
    scorer, name = scorer_name(task), file_name(task_id, split, language)
    extension = name.rsplit(".", 1)[1]
    if (scorer, extension) in (("accuracy", "tsv"), ("seqeval", "tsv")):
        predictions, references = (_named(v, label_names, scorer == "seqeval") for v in (predictions, references))
    write_predictions, write_references = _WRITERS[scorer, extension]
    paths = []
    for kind, text in (("predictions", write_predictions(predictions)), ("labels", write_references(references))):
        path = Path(root) / kind / folder_name(task_id) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths[0], paths[1]
