"""Deterministic synthetic sentences in several scripts (Latin, Cyrillic, CJK, Arabic, Devanagari).

The tiny tokenizer is trained on them and the fixture datasets are built from them, so tests exercise
multi-script tokenisation, character offsets in CJK contexts (no spaces) and right-to-left text.
"""

from __future__ import annotations

import random

#: A small content vocabulary per language; index i means roughly the same thing in every language,
#: which lets fixtures build translation pairs (Tatoeba, BUCC) by mapping word indices.
WORDS: dict[str, tuple[str, ...]] = {
    "en": ("the", "house", "river", "city", "green", "old", "teacher", "writes", "book", "small", "water", "runs",
           "morning", "friend", "market", "bread", "mountain", "quickly", "sees", "light", "road", "child", "sings",
           "village"),
    "de": ("das", "Haus", "Fluss", "Stadt", "grün", "alt", "Lehrer", "schreibt", "Buch", "klein", "Wasser", "läuft",
           "Morgen", "Freund", "Markt", "Brot", "Berg", "schnell", "sieht", "Licht", "Straße", "Kind", "singt",
           "Dorf"),
    "fr": ("la", "maison", "rivière", "ville", "vert", "vieux", "professeur", "écrit", "livre", "petit", "eau",
           "court", "matin", "ami", "marché", "pain", "montagne", "vite", "voit", "lumière", "route", "enfant",
           "chante", "village"),
    "ru": ("этот", "дом", "река", "город", "зелёный", "старый", "учитель", "пишет", "книга", "маленький", "вода",
           "бежит", "утро", "друг", "рынок", "хлеб", "гора", "быстро", "видит", "свет", "дорога", "ребёнок", "поёт",
           "деревня"),
    "zh": ("这", "房子", "河", "城市", "绿", "老", "老师", "写", "书", "小", "水", "跑", "早上", "朋友", "市场",
           "面包", "山", "快", "看见", "光", "路", "孩子", "唱", "村"),
    "ar": ("هذا", "بيت", "نهر", "مدينة", "أخضر", "قديم", "معلم", "يكتب", "كتاب", "صغير", "ماء", "يجري", "صباح",
           "صديق", "سوق", "خبز", "جبل", "بسرعة", "يرى", "ضوء", "طريق", "طفل", "يغني", "قرية"),
    "hi": ("यह", "घर", "नदी", "शहर", "हरा", "पुराना", "शिक्षक", "लिखता", "किताब", "छोटा", "पानी", "दौड़ता",
           "सुबह", "दोस्त", "बाज़ार", "रोटी", "पहाड़", "जल्दी", "देखता", "रोशनी", "सड़क", "बच्चा", "गाता", "गाँव"),
}

#: Languages written without spaces between words.
NO_SPACES = frozenset({"zh"})


def join(lang: str, words: list[str]) -> str:
    """Words of ``lang`` joined as that language writes them."""
    return ("" if lang in NO_SPACES else " ").join(words)


def word_indices(key: str, n_min: int = 4, n_max: int = 9) -> list[int]:
    """A deterministic list of word indices for ``key`` (string seeds are stable across runs)."""
    rng = random.Random(key)
    return [rng.randrange(len(WORDS["en"])) for _ in range(rng.randint(n_min, n_max))]


def words(lang: str, indices: list[int]) -> list[str]:
    """The words of ``lang`` at ``indices``."""
    return [WORDS[lang][i] for i in indices]


def sentence(lang: str, key: str, n_min: int = 4, n_max: int = 9) -> str:
    """A deterministic sentence in ``lang`` for ``key``."""
    return join(lang, words(lang, word_indices(key, n_min, n_max)))


def _pseudo_words(lang: str, n: int) -> list[str]:
    """Words made of ``lang``'s letters, so the tokenizer sees enough distinct pieces per script."""
    letters = sorted({ch for word in WORDS[lang] for ch in word})
    rng = random.Random(f"pseudo-{lang}")
    return ["".join(rng.choice(letters) for _ in range(rng.randint(2, 6))) for _ in range(n)]


def corpus(lines_per_language: int = 60) -> list[str]:
    """Training text for the tiny tokenizer: every word, random sentences and pseudo-words per script."""
    lines = [join(lang, list(ws)) for lang, ws in WORDS.items()]
    for lang in WORDS:
        lines += [sentence(lang, f"corpus-{lang}-{i}") for i in range(lines_per_language)]
        pseudo = _pseudo_words(lang, 8 * lines_per_language)
        lines += [" ".join(pseudo[i : i + 8]) for i in range(0, len(pseudo), 8)]
    return lines
