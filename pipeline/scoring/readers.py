"""Read XTREME-layout files the way the official scorer does, with errors that name the file and line.

google-research/xtreme ``evaluate.py`` reads: one stripped label per line (``read_label``: classification,
Tatoeba indices, BUCC ``src<TAB>tgt`` pairs); one tag per line with a blank line between sentences
(``read_tag``); SQuAD-format JSON with or without the top-level ``data`` key (``read_squad``), predictions as
``{question id: answer}``. Two leniencies, both score-neutral whenever the official script succeeds:
trailing blank lines are not examples, and several blank lines between sentences are one break (the script
would count empty sentences, which seqeval ignores). Mewsli-X (XTREME-R) is read as JSON lines:
predictions ``{"id": mention id, "predictions": [entity ids, best first]}``, labels
``{"id": mention id, "gold": [entity ids]}`` (or one id).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.scoring.errors import ScoringError


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScoringError(f"{path}: not UTF-8 text (undecodable byte at offset {exc.start})") from None
    except OSError as exc:
        raise ScoringError(f"{path}: cannot be read ({exc.strerror})") from None


def read_lines(path: Path) -> list[str]:
    """One stripped entry per line; blank lines inside the file count, trailing ones do not."""
    lines = [line.strip() for line in _text(path).split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


@dataclass(frozen=True)
class Sentences:
    """Tag sequences of a tagging file and the line each sentence starts on (1-based)."""

    tags: list[list[str]]
    first_lines: list[int]

    @property
    def n_tags(self) -> int:
        return sum(len(s) for s in self.tags)


def read_tags(path: Path) -> Sentences:
    """Sentences of one tag per line, separated by blank lines."""
    tags: list[list[str]] = []
    first_lines: list[int] = []
    current: list[str] = []
    for number, line in enumerate(_text(path).split("\n"), start=1):
        line = line.strip()
        if line:
            if not current:
                first_lines.append(number)
            current.append(line)
        elif current:
            tags.append(current)
            current = []
    if current:
        tags.append(current)
    return Sentences(tags, first_lines)


def read_pairs(path: Path) -> set[tuple[str, str]]:
    """BUCC ``src_id<TAB>tgt_id`` pairs, one per line (blank lines skipped)."""
    pairs = set()
    for number, line in enumerate(_text(path).split("\n"), start=1):
        line = line.strip()
        if not line:
            continue
        fields = line.split("\t")
        if len(fields) != 2 or not all(fields):
            raise ScoringError(f"{path}, line {number}: expected 'source id<TAB>target id', got {line!r}")
        pairs.add((fields[0], fields[1]))
    return pairs


def _json(path: Path) -> Any:
    try:
        return json.loads(_text(path))
    except json.JSONDecodeError as exc:
        raise ScoringError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None


def read_answers(path: Path) -> dict[str, str]:
    """QA predictions: a JSON object mapping question ids to answer text."""
    data = _json(path)
    if not isinstance(data, dict):
        raise ScoringError(f"{path}: QA predictions must be a JSON object {{question id: answer text}}, "
                           f"not a {type(data).__name__}")
    for qid, answer in data.items():
        if not isinstance(answer, str):
            raise ScoringError(f"{path}: the prediction for question {qid!r} is not a string: {answer!r}")
    return data


def _field(value: Any, key: str, kind: type, where: str, path: Path) -> Any:
    if not isinstance(value, dict) or not isinstance(value.get(key), kind):
        raise ScoringError(f"{path}: {where} needs {key!r} ({kind.__name__}; SQuAD format)")
    return value[key]


def read_squad(path: Path) -> dict[str, list[str]]:
    """QA labels: SQuAD-format JSON (``{"data": [articles]}`` or the article list) -> {id: [gold answers]}."""
    data = _json(path)
    articles = data.get("data") if isinstance(data, dict) else data
    if not isinstance(articles, list):
        raise ScoringError(f"{path}: QA labels must be SQuAD-format JSON: a list of articles or {{\"data\": [...]}}")
    golds: dict[str, list[str]] = {}
    for a, article in enumerate(articles):
        for p, paragraph in enumerate(_field(article, "paragraphs", list, f"data[{a}]", path)):
            for q, question in enumerate(_field(paragraph, "qas", list, f"data[{a}].paragraphs[{p}]", path)):
                where = f"data[{a}].paragraphs[{p}].qas[{q}]"
                qid = _field(question, "id", str, where, path)
                answers = _field(question, "answers", list, where, path)
                texts = [_field(ans, "text", str, f"{where}.answers[{i}]", path) for i, ans in enumerate(answers)]
                if not texts:
                    raise ScoringError(f"{path}: question {qid!r} ({where}) has no gold answer")
                if qid in golds:
                    raise ScoringError(f"{path}: question id {qid!r} appears twice")
                golds[qid] = texts
    if not golds:
        raise ScoringError(f"{path}: no questions in the labels")
    return golds


def _id_lists(path: Path, key: str) -> dict[str, list[str]]:
    """JSON lines ``{"id": .., key: [ids] or id}`` -> {id: [ids]}."""
    found: dict[str, list[str]] = {}
    for number, line in enumerate(_text(path).split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ScoringError(f"{path}, line {number}: not valid JSON ({exc.msg}, column {exc.colno})") from None
        values = record.get(key) if isinstance(record, dict) else None
        values = [values] if isinstance(values, str) else values
        if not isinstance(values, list) or not isinstance(record.get("id"), str):
            raise ScoringError(f"{path}, line {number}: expected {{\"id\": string, \"{key}\": [ids]}}")
        if record["id"] in found:
            raise ScoringError(f"{path}, line {number}: id {record['id']!r} appears twice")
        found[record["id"]] = [str(v) for v in values]
    return found


def read_rankings(path: Path) -> dict[str, list[str]]:
    """Mewsli-X predictions: {mention id: entity ids, best first}."""
    return _id_lists(path, "predictions")


def read_gold_ids(path: Path) -> dict[str, list[str]]:
    """Mewsli-X labels: {mention id: gold entity ids}."""
    return _id_lists(path, "gold")
