"""Diacritic and punctuation stripping, as people type on keyboards without the marks.

Diacritics are the combining marks that sit on a letter without changing which letter it is for a
reader who drops them: Latin/Greek/Cyrillic accents (é -> e, ά -> α, й -> и), Arabic harakat and
Hebrew niqqud, plus the stroke letters that do not decompose (ø, đ, ł, ħ). Indic vowel signs and
viramas are *not* diacritics (dropping them changes the word), nor are Thai vowels and tone marks.
"""

from __future__ import annotations

import random
import unicodedata

from pipeline.perturb.aligned import Aligned, Builder
from pipeline.perturb.context import Context
from pipeline.perturb.text import clusters

_DIACRITIC_RANGES = (
    (0x0300, 0x036F), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF), (0xFE20, 0xFE2F),  # combining marks
    (0x064B, 0x065F), (0x0670, 0x0670),  # Arabic harakat, superscript alef
    (0x0591, 0x05C7),  # Hebrew cantillation and points (non-marks in the block are punctuation, kept)
)
_STROKE_LETTERS = {"ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "ħ": "h", "Ħ": "H"}


def is_diacritic(char: str) -> bool:
    code = ord(char)
    return unicodedata.category(char) == "Mn" and any(low <= code <= high for low, high in _DIACRITIC_RANGES)


def strip_diacritics(text: str, rate: float, rng: random.Random, ctx: Context) -> Aligned:
    """Each cluster that carries a diacritic loses all of them with probability ``rate`` (result in NFC)."""
    out = Builder(text)
    for start, end in clusters(text):
        decomposed = unicodedata.normalize("NFD", text[start:end])
        bare = "".join(_STROKE_LETTERS.get(c, c) for c in decomposed if not is_diacritic(c))
        if bare != decomposed and rng.random() < rate:
            out.add(unicodedata.normalize("NFC", bare), start)
        else:
            out.copy(start, end)
    return out.build()


def strip_punctuation(text: str, rate: float, rng: random.Random, ctx: Context) -> Aligned:
    """Each punctuation character (Unicode category P*) removed with probability ``rate``."""
    out = Builder(text)
    for i, char in enumerate(text):
        if not (unicodedata.category(char).startswith("P") and rng.random() < rate):
            out.copy(i, i + 1)
    return out.build()
