"""Bilingual word lists for code-switching: a tab-separated file, one translation per line.

Format (UTF-8)::

    # comments and blank lines are ignored
    src_lang<TAB>src_word<TAB>tgt_lang<TAB>tgt_word
    de<TAB>Haus<TAB>en<TAB>house

The header line ``src_lang	src_word	tgt_lang	tgt_word`` is optional. Languages are XTREME codes
(2–3 lower-case letters). Source words are matched case-insensitively; a word with several
translations gets one of them at random. Lines with missing fields, a bad language code or a
duplicate entry are refused with their line number, so a typo never silently shrinks the lexicon.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

HEADER = ("src_lang", "src_word", "tgt_lang", "tgt_word")
_LANG = re.compile(r"^[a-z]{2,3}$")


class Lexicon:
    """Translations indexed by (source language, target language) and case-folded source word."""

    def __init__(self, entries: Iterable[tuple[str, str, str, str]]) -> None:
        self.entries = tuple(entries)
        self._index: dict[tuple[str, str], dict[str, list[str]]] = {}
        for src_lang, src_word, tgt_lang, tgt_word in self.entries:
            self._index.setdefault((src_lang, tgt_lang), {}).setdefault(src_word.casefold(), []).append(tgt_word)

    def __len__(self) -> int:
        return len(self.entries)

    def target_languages(self, src_lang: str) -> tuple[str, ...]:
        """Languages the lexicon translates ``src_lang`` into, sorted."""
        return tuple(sorted(tgt for src, tgt in self._index if src == src_lang))

    def translations(self, src_lang: str, tgt_lang: str | None = None) -> dict[str, tuple[str, ...]]:
        """Case-folded ``src_lang`` word -> its translations (into ``tgt_lang``, or into any language)."""
        targets = [tgt_lang] if tgt_lang else self.target_languages(src_lang)
        merged: dict[str, list[str]] = {}
        for tgt in targets:
            for word, words in self._index.get((src_lang, tgt), {}).items():
                merged.setdefault(word, []).extend(words)
        return {word: tuple(words) for word, words in merged.items()}


def parse_lexicon(lines: Iterable[str], name: str = "lexicon") -> Lexicon:
    """A lexicon from TSV lines; a ValueError names every bad line."""
    entries: list[tuple[str, str, str, str]] = []
    seen: set[tuple[str, str, str, str]] = set()
    errors: list[str] = []
    for number, line in enumerate(lines, start=1):
        line = line.rstrip("\r\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = tuple(f.strip() for f in line.split("\t"))
        if fields == HEADER:
            continue
        if len(fields) != 4 or not all(fields):
            errors.append(f"{name} line {number}: expected 4 non-empty tab-separated fields {HEADER}, got {line!r}")
            continue
        bad = [code for code in (fields[0], fields[2]) if not _LANG.match(code)]
        if bad:
            errors.append(f"{name} line {number}: {', '.join(map(repr, bad))} is not a language code like 'de'")
            continue
        key = (fields[0], fields[1].casefold(), fields[2], fields[3])
        if key in seen:
            errors.append(f"{name} line {number}: duplicate entry {fields[1]!r} -> {fields[3]!r}")
            continue
        seen.add(key)
        entries.append((fields[0], fields[1], fields[2], fields[3]))
    if errors:
        raise ValueError("\n".join(errors))
    return Lexicon(entries)


def read_lexicon(path: str | Path) -> Lexicon:
    """The lexicon in the TSV file ``path`` (see the module docstring for the format)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no lexicon file at {path}")
    with path.open(encoding="utf-8") as fh:
        return parse_lexicon(fh, name=str(path))
