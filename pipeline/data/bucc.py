"""The official BUCC 2018 shared-task files: the full comparable corpora, distractors included.

A language pair's folder (``bucc2018/de-en/`` of the release, or any folder holding the files) has, per split
(``sample``, ``training``; ``test`` has no public gold), ``{src}-en.{split}.{src}`` and ``{src}-en.{split}.en``
with one ``<id><TAB><sentence>`` per line, and ``{src}-en.{split}.gold`` with ``<src id><TAB><en id>``.
XTREME evaluates on ``training`` (its "test") with the threshold tuned on ``sample`` (its "dev").

As XTREME's ``utils_retrieve`` does, identical sentences are embedded once, and a sentence that occurs under
several ids is dropped from the id mapping (its candidates are never extracted).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
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


def pair_folder(root: str | Path, lang: str) -> Path:
    """The folder under ``root`` holding ``{lang}-en``'s files (``root/{lang}-en`` or ``root`` itself)."""
    root = Path(root)
    for folder in (root / f"{lang}-en", root):
        if (folder / f"{lang}-en.sample.en").is_file() or (folder / f"{lang}-en.training.en").is_file():
            return folder
    raise ValueError(f"{root}: no BUCC 2018 files for {lang}-en (expected {lang}-en.{{sample,training}}."
                     f"{{{lang},en,gold}} in {root} or {root / f'{lang}-en'})")


def split_files(folder: Path, lang: str, split: str) -> tuple[Path, Path, Path]:
    """The source-side, English-side and gold files of one split, as ``read_bucc`` opens them."""
    stem = folder / f"{lang}-en.{split}"
    return Path(f"{stem}.{lang}"), Path(f"{stem}.en"), Path(f"{stem}.gold")


def _numbered(path: Path, lines: Iterable[str]) -> Iterator[tuple[int, tuple[str, str]]]:
    """(line number, (id, text)) of each non-blank line (gold files: source id, English id)."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        line = line.rstrip("\r\n")
        fields = line.split("\t")
        if len(fields) != 2 or not fields[0].strip():
            raise ValueError(f"{path}, line {number}: expected '<id><TAB><text>', got {line[:80]!r}")
        yield number, (fields[0].strip(), fields[1].strip())


def read_lines(path: Path, limit: int | None = None) -> list[tuple[int, tuple[str, str]]]:
    """The numbered (id, text) lines of a BUCC file, the first ``limit`` of them (None: all); ValueError naming
    the file, and the line where it can, when it is missing, unreadable, not UTF-8 or not ``<id><TAB><text>``."""
    if not path.is_file():
        raise ValueError(f"missing BUCC file {path}")
    try:
        with path.open(encoding="utf-8") as fh:
            return list(islice(_numbered(path, fh), limit))
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise ValueError(f"{path}: unreadable ({exc.strerror or type(exc).__name__})") from None


def _side(path: Path) -> Side:
    ids_of: dict[str, set[str]] = {}
    for _, (sentence_id, sentence) in read_lines(path):
        ids_of.setdefault(sentence, set()).add(sentence_id)
    sentences = list(ids_of)
    return Side(sentences, [next(iter(ids)) if len(ids) == 1 else None for ids in ids_of.values()])


def read_bucc(root: str | Path, lang: str, split: str) -> BuccCorpus:
    """The ``split`` (``sample`` or ``training``) of ``{lang}-en`` from the official files under ``root``."""
    if split not in SPLITS.values():
        raise ValueError(f"unknown BUCC split {split!r}; one of {', '.join(SPLITS.values())}")
    folder = pair_folder(root, lang)
    source_path, english_path, gold_path = split_files(folder, lang, split)
    source, english = _side(source_path), _side(english_path)
    known_source = {i for i in source.ids if i is not None}
    known_english = {i for i in english.ids if i is not None}
    gold = set()
    for number, (source_id, english_id) in read_lines(gold_path):
        if source_id not in known_source and english_id not in known_english:
            raise ValueError(f"{gold_path}, line {number}: neither {source_id!r} nor {english_id!r} is in the corpus")
        gold.add((source_id, english_id))
    if not gold:
        raise ValueError(f"{gold_path}: no gold pairs")
    return BuccCorpus(source, english, gold, folder)
