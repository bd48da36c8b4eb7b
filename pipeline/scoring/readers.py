"""Read XTREME-layout files exactly as the official scorer does, with errors and warnings naming file and line.

google-research/xtreme ``evaluate.py`` opens every file as UTF-8 text with universal newlines (CRLF and a
lone CR end a line too; a missing final newline changes nothing) and:

- ``read_label`` (classification, Tatoeba, BUCC): every line stripped of surrounding whitespace is an entry,
  blank lines included — a trailing blank line is an example with an empty label, and in BUCC a blank line is
  the pair ``('',)``. A byte-order mark is *not* removed: it stays in the first entry, which then never
  matches. Both are scored as the official script scores them, with a warning.
- ``read_tag`` (UD-POS, PAN-X): one tag per line; every blank line closes a sentence, so a blank line after a
  blank line (or at the start) makes an empty sentence that counts, while the last blank line does not.
- ``read_squad`` (QA and Mewsli-X ``.json``): ``json.load`` — a BOM is a crash, a duplicated key keeps its
  last value, and an object with a top-level key ``data`` is replaced by that value.
- ``read_xcopa`` (XCOPA ``.jsonl``): ``json.loads`` of every line's ``"label"`` — a blank line is a crash.

Where the official script crashes, or would silently score something that cannot be what was meant (a BUCC
line that is not two tab-separated ids, a ``data`` key hijacking the predictions), these readers raise
``ScoringError``; everything else reads to exactly the official values. Each reader returns its values and
the warnings to show beside the score.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.scoring.errors import ScoringError

BOM = "\ufeff"
#: Warnings about one file, shown beside its score and kept in the rows' notes.
Warnings = list[str]


def _text(path: Path) -> str:
    """The file decoded as strict UTF-8 (a BOM kept) with universal newlines, as ``open(path)`` reads it."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ScoringError(f"{path}: not UTF-8 text (undecodable byte at offset {exc.start})") from None
    except OSError as exc:
        raise ScoringError(f"{path}: cannot be read ({exc.strerror})") from None


def _lines(text: str) -> list[str]:
    """The lines iterating over the file yields (without their ends): no empty piece after a final newline."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def _numbers(numbers: list[int]) -> str:
    shown = ", ".join(map(str, numbers[:5])) + (", …" if len(numbers) > 5 else "")
    return f"line{'s' if len(numbers) > 1 else ''} {shown}"


def _bom_warning(path: Path, first: str) -> Warnings:
    if not first.startswith(BOM):
        return []
    return [f"{path.name}, line 1 starts with a UTF-8 byte-order mark, which evaluate.py keeps in the first "
            f"entry ({first.strip()!r}), so that entry never matches"]


def read_labels(path: Path) -> tuple[list[str], Warnings]:
    """``read_label``: one stripped entry per line; blank lines are entries (an empty label)."""
    lines = _lines(_text(path))
    values = [line.strip() for line in lines]
    warnings = _bom_warning(path, lines[0]) if lines else []
    blank = [number for number, value in enumerate(values, start=1) if not value]
    if blank:
        warnings.append(f"{path.name}, {_numbers(blank)} blank: evaluate.py counts each as an example with an "
                        f"empty label")
    return values, warnings


@dataclass(frozen=True)
class Sentences:
    """Tag sequences of a tagging file, the line each sentence starts on (1-based), and warnings."""

    tags: list[list[str]]
    first_lines: list[int]
    warnings: Warnings

    @property
    def n_tags(self) -> int:
        return sum(len(s) for s in self.tags)


def read_tags(path: Path) -> Sentences:
    """``read_tag``: one tag per line; each blank line closes a sentence, empty ones included."""
    lines = _lines(_text(path))
    tags: list[list[str]] = []
    first_lines: list[int] = []
    current: list[str] = []
    start = 1
    empty: list[int] = []
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if line:
            current.append(line)
            continue
        if not current:
            empty.append(number)
        tags.append(current)
        first_lines.append(start)
        current, start = [], number + 1
    if current:
        tags.append(current)
        first_lines.append(start)
    warnings = _bom_warning(path, lines[0]) if lines else []
    if empty:
        warnings.append(f"{path.name}, {_numbers(empty)}: a blank line after a blank line (or at the start) "
                        f"makes an empty sentence, which evaluate.py counts")
    return Sentences(tags, first_lines, warnings)


def read_pairs(path: Path) -> tuple[set[tuple[str, ...]], Warnings]:
    """BUCC ``source id<TAB>target id`` pairs as ``read_label`` + ``bucc_f1`` see them (a blank line: ``('',)``)."""
    lines = _lines(_text(path))
    pairs: set[tuple[str, ...]] = set()
    blank = []
    for number, line in enumerate(lines, start=1):
        fields = tuple(line.strip().split("\t"))
        if fields == ("",):
            blank.append(number)
        elif len(fields) != 2 or not all(fields):
            raise ScoringError(f"{path}, line {number}: expected 'source id<TAB>target id', got {line.strip()!r} "
                               "(evaluate.py would count it as a pair that never matches)")
        pairs.add(fields)
    warnings = _bom_warning(path, lines[0]) if lines else []
    if blank:
        warnings.append(f"{path.name}, {_numbers(blank)} blank: evaluate.py counts a blank line as the pair ('',)")
    return pairs, warnings


def _json_value(text: str, where: str, warnings: Warnings) -> Any:
    """``json.loads`` of ``text``; duplicated keys keep their last value (as json does) and are warned about."""
    def pairs_hook(items: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in items]
        repeated = sorted({key for key in keys if keys.count(key) > 1}) if len(set(keys)) < len(keys) else []
        if repeated:
            warnings.append(f"{where}: key {repeated[0]!r} appears more than once; evaluate.py keeps its last value")
        return dict(items)

    return json.loads(text, object_pairs_hook=pairs_hook)


def _json(path: Path) -> tuple[Any, Warnings]:
    """The file's JSON value as ``json.load`` reads it; a BOM or a syntax error is refused."""
    text = _text(path)
    if text.startswith(BOM):
        raise ScoringError(f"{path}: starts with a UTF-8 byte-order mark, on which evaluate.py's json.load fails")
    warnings: Warnings = []
    try:
        return _json_value(text, path.name, warnings), warnings
    except json.JSONDecodeError as exc:
        raise ScoringError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None


def _json_object(path: Path, what: str) -> tuple[dict[str, Any], Warnings]:
    """A top-level JSON object that ``read_squad`` hands on unchanged (no ``data`` key)."""
    data, warnings = _json(path)
    if not isinstance(data, dict):
        raise ScoringError(f"{path}: {what} must be a JSON object, not a {type(data).__name__}")
    if "data" in data:
        raise ScoringError(f"{path}: has a top-level key 'data', which evaluate.py reads as the whole file "
                           f"(SQuAD's wrapper); {what} cannot use that id")
    return data, warnings


def read_answers(path: Path) -> tuple[dict[str, Any], Warnings]:
    """QA predictions ``{question id: answer text}`` (answers are checked where a question uses them)."""
    return _json_object(path, "QA predictions {question id: answer text}")


def _field(value: Any, key: str, kind: type, where: str, path: Path) -> Any:
    if not isinstance(value, dict) or not isinstance(value.get(key), kind):
        raise ScoringError(f"{path}: {where} needs {key!r} ({kind.__name__}; SQuAD format)")
    return value[key]


def read_squad(path: Path) -> tuple[dict[str, list[str]], Warnings]:
    """QA labels: SQuAD JSON (``{"data": [articles]}`` or the article list) -> {id: [gold answers]}.

    A question listed twice would be counted twice by evaluate.py: refused, as is a question without a gold
    answer (evaluate.py crashes on it once it is answered).
    """
    data, warnings = _json(path)
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
                    raise ScoringError(f"{path}: question id {qid!r} appears twice (evaluate.py would count it twice)")
                golds[qid] = texts
    if not golds:
        raise ScoringError(f"{path}: no questions in the labels")
    return golds, warnings


def read_xcopa(path: Path) -> tuple[list[Any], Warnings]:
    """XTREME-R ``read_xcopa``: the ``"label"`` of the JSON record on every line, compared as JSON values."""
    labels = []
    warnings: Warnings = []
    for number, line in enumerate(_lines(_text(path)), start=1):
        where = f"{path}, line {number}"
        try:
            record = _json_value(line, f"{path.name}, line {number}", warnings)
        except json.JSONDecodeError as exc:
            raise ScoringError(f"{where}: not a JSON record ({exc.msg}, column {exc.colno}); evaluate.py's "
                               "json.loads fails on it") from None
        if not isinstance(record, dict) or "label" not in record:
            raise ScoringError(f"{where}: expected a JSON object with a \"label\"")
        labels.append(record["label"])
    return labels, warnings


def read_entity_ids(path: Path) -> tuple[dict[str, Any], Warnings]:
    """XTREME-R Mewsli-X ``.json``: one object ``{mention id: [entity ids]}`` (values checked where used)."""
    return _json_object(path, "Mewsli-X files ({mention id: [entity ids]})")


def _id_lists(path: Path, key: str) -> tuple[dict[str, Any], Warnings]:
    """Mewsli-X JSON lines ``{"id": .., key: [ids] or id}`` -> {id: [ids]} (blank lines skipped)."""
    found: dict[str, Any] = {}
    for number, line in enumerate(_lines(_text(path)), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line.lstrip(BOM) if number == 1 else line)
        except json.JSONDecodeError as exc:
            raise ScoringError(f"{path}, line {number}: not valid JSON ({exc.msg}, column {exc.colno})") from None
        values = record.get(key) if isinstance(record, dict) else None
        values = [values] if isinstance(values, str) else values
        if not isinstance(values, list) or not isinstance(record.get("id"), str):
            raise ScoringError(f"{path}, line {number}: expected {{\"id\": string, \"{key}\": [ids]}}")
        if record["id"] in found:
            raise ScoringError(f"{path}, line {number}: id {record['id']!r} appears twice")
        found[record["id"]] = values
    return found, []


def entity_reader(extension: str, key: str) -> Callable[[Path], tuple[dict[str, Any], Warnings]]:
    """The Mewsli-X reader of one file format: XTREME-R's ``.json`` object or JSON lines with ``key``."""
    return read_entity_ids if extension == "json" else lambda path: _id_lists(path, key)
