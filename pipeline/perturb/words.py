"""Word-level perturbations: swapping neighbouring words, and code-switching words through a lexicon."""

from __future__ import annotations

import random

from pipeline.perturb.aligned import Aligned, Builder
from pipeline.perturb.context import Context
from pipeline.perturb.text import NO_SPACE_LANGUAGES, clusters, word_spans


def swap_order(n: int, strength: float, rng: random.Random) -> list[int]:
    """A permutation of ``range(n)``: left to right, each unit swaps with its right neighbour with
    probability ``strength``; swapped pairs do not overlap, so a unit moves at most one place."""
    order = list(range(n))
    i = 0
    while i < n - 1:
        if rng.random() < strength:
            order[i], order[i + 1] = order[i + 1], order[i]
            i += 2
        else:
            i += 1
    return order


def word_swap(text: str, strength: float, rng: random.Random, ctx: Context) -> Aligned:
    """Neighbouring words exchanged (``swap_order``); what lies between words stays where it was.

    Words are ``text.word_spans``: in languages written without spaces, single characters.
    """
    spans = word_spans(text, ctx.lang)
    order = swap_order(len(spans), strength, rng)
    out = Builder(text)
    position = 0
    for slot, (start, end) in enumerate(spans):
        out.copy(position, start)
        out.copy(*spans[order[slot]])
        position = end
    out.copy(position, len(text))
    return out.build()


def _lexicon_matches(text: str, lang: str, table: dict[str, tuple[str, ...]]) -> list[tuple[int, int]]:
    """Spans of ``text`` the lexicon translates: whole words, or (without spaces) longest matches at cluster starts."""
    if lang not in NO_SPACE_LANGUAGES:
        return [(s, e) for s, e in word_spans(text, lang) if text[s:e].casefold() in table]
    boundaries = [start for start, _ in clusters(text)] + [len(text)]
    longest = max(map(len, table), default=0)
    matches: list[tuple[int, int]] = []
    b = 0
    while b < len(boundaries) - 1:
        start, match = boundaries[b], None
        j = b + 1
        while j < len(boundaries) and boundaries[j] - start <= longest:
            if text[start:boundaries[j]].casefold() in table:
                match = j
            j += 1
        if match is None:
            b += 1
        else:
            matches.append((start, boundaries[match]))
            b = match
    return matches


def _starts_sentence(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return not before or before[-1] in ".!?。！？"


def _cased_for(word: str, text: str, start: int) -> str:
    """``word`` with a capital when it starts a sentence of ``text``; otherwise as the lexicon writes it
    (a German noun's capital says nothing about its English translation)."""
    return word[:1].upper() + word[1:] if _starts_sentence(text, start) else word


def code_switch(text: str, strength: float, rng: random.Random, ctx: Context) -> Aligned:
    """Each word the lexicon translates (from ``ctx.lang``) replaced with probability ``strength``."""
    if ctx.lexicon is None:
        raise ValueError("code_switch needs a bilingual lexicon (see pipeline.perturb.lexicon for the format)")
    table = ctx.lexicon.translations(ctx.lang, ctx.switch_to)
    out = Builder(text)
    position = 0
    for start, end in _lexicon_matches(text, ctx.lang, table):
        if rng.random() < strength:
            out.copy(position, start)
            translation = rng.choice(table[text[start:end].casefold()])
            out.add(_cased_for(translation, text, start), start)
            position = end
    out.copy(position, len(text))
    return out.build()
