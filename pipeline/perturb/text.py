"""The units perturbations act on: grapheme clusters, letters of a script, words.

Editing code points one at a time would split a Devanagari consonant from its vowel sign or a Thai
consonant from its tone mark, producing text no writer could type; so character noise acts on
clusters (a base character and the combining marks after it). A letter's script is read from its
Unicode name (``DEVANAGARI LETTER NA`` -> ``DEVANAGARI``; CJK ideographs -> ``HAN``), which covers
every script Unicode names without a hand-kept block table.
"""

from __future__ import annotations

import unicodedata
from functools import cache

#: XTREME languages written without spaces between words; their "words" are clusters (see ``word_spans``).
NO_SPACE_LANGUAGES = frozenset({"zh", "ja", "th", "my", "km", "lo", "bo"})
#: Scripts of those languages: a letter of these scripts is a word unit of its own in text without spaces.
NO_SPACE_SCRIPTS = frozenset({"HAN", "HIRAGANA", "KATAKANA", "KANA", "THAI", "MYANMAR", "KHMER", "LAO", "TIBETAN"})
_NAME_ALIASES = {"CJK": "HAN", "KATAKANA-HIRAGANA": "KANA"}
_WIDTH_PREFIXES = ("FULLWIDTH", "HALFWIDTH")
#: The basic letters of common scripts: the substitutes used when a text has too few letters of its own.
_CORE_RANGES: dict[str, tuple[tuple[int, int], ...]] = {
    "LATIN": ((0x41, 0x5A), (0x61, 0x7A)),
    "CYRILLIC": ((0x410, 0x44F),),
    "GREEK": ((0x391, 0x3A9), (0x3B1, 0x3C9)),
    "ARMENIAN": ((0x531, 0x556), (0x561, 0x586)),
    "HEBREW": ((0x5D0, 0x5EA),),
    "ARABIC": ((0x621, 0x64A),),
    "DEVANAGARI": ((0x905, 0x939),),
    "BENGALI": ((0x985, 0x9B9),),
    "GURMUKHI": ((0xA05, 0xA39),),
    "GUJARATI": ((0xA85, 0xAB9),),
    "TAMIL": ((0xB85, 0xBB9),),
    "TELUGU": ((0xC05, 0xC39),),
    "KANNADA": ((0xC85, 0xCB9),),
    "MALAYALAM": ((0xD05, 0xD39),),
    "THAI": ((0xE01, 0xE2E),),
    "MYANMAR": ((0x1000, 0x102A),),
    "GEORGIAN": ((0x10D0, 0x10F0),),
    "ETHIOPIC": ((0x1200, 0x135A),),
    "HIRAGANA": ((0x3041, 0x3096),),
    "KATAKANA": ((0x30A1, 0x30FA),),
    "HAN": ((0x4E00, 0x9FFF),),
    "HANGUL": ((0xAC00, 0xD7A3),),
}


@cache
def script_of(char: str) -> str | None:
    """The script of a letter (``LATIN``, ``CYRILLIC``, ``HAN`` …); None for anything that is not a letter."""
    if not unicodedata.category(char).startswith("L"):
        return None
    words = unicodedata.name(char, "").split()
    if not words:
        return None
    first = words[1] if words[0] in _WIDTH_PREFIXES and len(words) > 1 else words[0]
    return _NAME_ALIASES.get(first, first)


def is_letter(char: str) -> bool:
    return unicodedata.category(char).startswith("L")


def is_mark(char: str) -> bool:
    return unicodedata.category(char).startswith("M")


def is_word_char(char: str) -> bool:
    """Letters, marks and digits: what a word is made of."""
    return unicodedata.category(char)[0] in "LMN"


def clusters(text: str) -> list[tuple[int, int]]:
    """``[start, end)`` of each cluster: a character and the combining marks (and joiners) after it."""
    spans: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or not (is_mark(text[i]) or text[i] in "\u200c\u200d" or text[i - 1] == "\u200d"):
            spans.append((start, i))
            start = i
    return spans


@cache
def core_letters(script: str, category: str) -> tuple[str, ...]:
    """The basic letters of ``script`` with Unicode category ``category`` (e.g. ``Ll``), or ()."""
    return tuple(
        chr(code)
        for low, high in _CORE_RANGES.get(script, ())
        for code in range(low, high + 1)
        if unicodedata.category(chr(code)) == category and script_of(chr(code)) == script
    )


def word_spans(text: str, lang: str) -> list[tuple[int, int]]:
    """``[start, end)`` of each word: a run of letters, marks and digits.

    In languages written without spaces (``NO_SPACE_LANGUAGES``) there is no segmenter here, so each
    cluster of a no-space script (a Chinese character, a Thai syllable-initial cluster) is a unit;
    runs of other letters (a Latin name inside Chinese text) stay whole words.
    """
    spans: list[tuple[int, int]] = []
    extendable = False  # the last span is a run of letters the next cluster may continue
    no_space = lang in NO_SPACE_LANGUAGES
    for start, end in clusters(text):
        if not is_word_char(text[start]):
            extendable = False
        elif no_space and script_of(text[start]) in NO_SPACE_SCRIPTS:
            spans.append((start, end))
            extendable = False
        elif extendable:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
            extendable = True
    return spans
