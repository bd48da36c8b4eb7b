"""Per-example attributes that error analysis buckets by, computed once when predictions are stored.

ExplainaBoard's attributes, made multilingual: the input's dominant writing system (script), its length in
words (whitespace words; characters for scripts written without spaces, such as Han or Thai) and in the
model's sub-word tokens, the gold answer's length (QA), and the gold entities of a tagged sentence (types and
the longest entity's length). Scripts are looked up in one table of code points, vectorised over a whole
batch of texts, so a million examples take seconds, not minutes.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from functools import cache

import numpy as np

#: Script of text with no letter at all (numbers, punctuation, empty).
NO_SCRIPT = "none"
#: Scripts written without spaces between words: their length in words is their number of characters.
UNSPACED = frozenset({"Han", "Kana", "Thai", "Lao", "Khmer", "Myanmar", "Tibetan"})
#: Characters of a text looked at to find its script (enough to see what dominates, and bounded).
_SCRIPT_PREFIX = 64
_RENAMED = {"Cjk": "Han", "Hiragana": "Kana", "Katakana": "Kana", "Fullwidth": None, "Halfwidth": None}


def _name_script(ch: str) -> str | None:
    """Script of a letter from its Unicode name (``DEVANAGARI LETTER KA`` -> ``Devanagari``)."""
    words = unicodedata.name(ch, "").split()
    while words:
        script = words[0].title()
        renamed = _RENAMED.get(script, script)
        if renamed is not None:
            return renamed
        words = words[1:]  # FULLWIDTH LATIN ... -> Latin
    return None


@cache
def _script_table() -> tuple[np.ndarray, tuple[str, ...]]:
    """Script index of every code point of the Basic Multilingual Plane (0: no letter; the last entry stands
    for every code point above it) and the script names."""
    names: dict[str, int] = {NO_SCRIPT: 0}
    table = np.zeros(0x10001, dtype=np.uint8)
    for cp in range(0x10000):
        ch = chr(cp)
        if ch.isalpha():
            script = _name_script(ch)
            if script is not None:
                table[cp] = names.setdefault(script, len(names))
    return table, tuple(names)


def scripts(texts: Sequence[str]) -> list[str]:
    """The dominant script of each text (most letters among its first characters), ``none`` without letters."""
    if not len(texts):
        return []
    table, names = _script_table()
    prefixes = [t[:_SCRIPT_PREFIX] for t in texts]
    lengths = np.fromiter((len(p) for p in prefixes), dtype=np.int64, count=len(prefixes))
    points = np.frombuffer("".join(prefixes).encode("utf-32-le"), dtype=np.uint32)
    cells = np.repeat(np.arange(len(texts)) * len(names), lengths)
    cells += table[np.minimum(points, 0x10000)]
    counts = np.bincount(cells, minlength=len(texts) * len(names)).reshape(len(texts), len(names))
    counts[:, 0] = 0
    best = counts.argmax(axis=1)
    return [names[i] for i in best]


def word_counts(texts: Sequence[str], text_scripts: Sequence[str]) -> list[int]:
    """Words per text: whitespace-separated words, or non-space characters for an unspaced script."""
    return [len(t) - t.count(" ") if s in UNSPACED else len(t.split()) for t, s in zip(texts, text_scripts)]


def entity_attributes(gold_entities: Sequence[tuple[str, int, int]]) -> tuple[str, int, int]:
    """(types ``LOC+PER`` or ``none``, longest entity in words, number of entities) of one sentence."""
    if not gold_entities:
        return NO_SCRIPT, 0, 0
    types = "+".join(sorted({kind for kind, _, _ in gold_entities}))
    return types, max(end - start + 1 for _, start, end in gold_entities), len(gold_entities)
