"""The official BUCC 2018 shared-task files: the full comparable corpora, distractors included.

A language pair's folder (``bucc2018/de-en/`` of the release, or any folder holding the files) has, per split
(``sample``, ``training``; ``test`` has no public gold), ``{src}-en.{split}.{src}`` and ``{src}-en.{split}.en``
with one ``<id><TAB><sentence>`` per line, and ``{src}-en.{split}.gold`` with ``<src id><TAB><en id>``.
XTREME evaluates on ``training`` (its "test") with the threshold tuned on ``sample`` (its "dev").

As XTREME's ``utils_retrieve`` does, identical sentences are embedded once, and a sentence that occurs under
several ids is dropped from the id mapping (its candidates are never extracted).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: XTREME's use of the BUCC splits: result split -> BUCC split.
SPLITS = {"test": "training", "dev": "sample"}


@dataclass(frozen=True)
class Side:
    """One language's sentences: the distinct texts to embed, and the id of each (None: under several ids)."""

    sentences: list[str]
    ids: list[str | None]


@dataclass(frozen=True)
class BuccCorpus:
    """One language pair and split: source and English sides and the gold (source id, English id) pairs."""

    source: Side
    english: Side
    gold: set[tuple[str, str]]
    folder: Path


def _folder(root: Path, lang: str) -> Path:
    for folder in (root / f"{lang}-en", root):
        if (folder / f"{lang}-en.sample.en").is_file() or (folder / f"{lang}-en.training.en").is_file():
            return folder
    raise ValueError(f"{root}: no BUCC 2018 files for {lang}-en (expected {lang}-en.{{sample,training}}."
                     f"{{{lang},en,gold}} in {root} or {root / f'{lang}-en'})")


def _lines(path: Path) -> list[tuple[int, list[str]]]:
    if not path.is_file():
        raise ValueError(f"missing BUCC file {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text (undecodable byte at offset {exc.start})") from None
    rows = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        fields = line.rstrip("\r").split("\t")
        if len(fields) != 2 or not fields[0].strip():
            raise ValueError(f"{path}, line {number}: expected '<id><TAB><text>', got {line[:80]!r}")
        rows.append((number, [fields[0].strip(), fields[1].strip()]))
    return rows


def _side(path: Path) -> Side:
    ids_of: dict[str, set[str]] = {}
    for _, (sentence_id, sentence) in _lines(path):
        ids_of.setdefault(sentence, set()).add(sentence_id)
    sentences = list(ids_of)
    return Side(sentences, [next(iter(ids)) if len(ids) == 1 else None for ids in ids_of.values()])


def read_bucc(root: str | Path, lang: str, split: str) -> BuccCorpus:
    """The ``split`` (``sample`` or ``training``) of ``{lang}-en`` from the official files under ``root``."""
    if split not in SPLITS.values():
        raise ValueError(f"unknown BUCC split {split!r}; one of {', '.join(SPLITS.values())}")
    folder = _folder(Path(root), lang)
    stem = folder / f"{lang}-en.{split}"
    source, english = _side(Path(f"{stem}.{lang}")), _side(Path(f"{stem}.en"))
    gold_path = Path(f"{stem}.gold")
    known_source = {i for i in source.ids if i is not None}
    known_english = {i for i in english.ids if i is not None}
    gold = set()
    for number, (source_id, english_id) in _lines(gold_path):
        if source_id not in known_source and english_id not in known_english:
            raise ValueError(f"{gold_path}, line {number}: neither {source_id!r} nor {english_id!r} is in the corpus")
        gold.add((source_id, english_id))
    if not gold:
        raise ValueError(f"{gold_path}: no gold pairs")
    return BuccCorpus(source, english, gold, folder)
