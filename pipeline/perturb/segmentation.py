"""Whitespace (segmentation) noise: words run together and split apart, in any script.

At strength s every segmentation decision is flipped with probability s/2: a space between two
characters is removed (the words merge) and a boundary between two letter clusters gets a space (the
word splits). In Chinese, Japanese or Thai, which write no spaces between words, that splits the text
at character boundaries; at s = 1 every boundary is a coin toss, so spacing carries no information.
"""

from __future__ import annotations

import random

from pipeline.perturb.aligned import Aligned, Builder
from pipeline.perturb.context import Context
from pipeline.perturb.text import clusters, is_letter


def whitespace_noise(text: str, strength: float, rng: random.Random, ctx: Context) -> Aligned:
    """Spaces between characters dropped, and spaces put between letters, each with probability ``strength / 2``."""
    flip = strength / 2
    spans = clusters(text)
    out = Builder(text)
    k = 0
    while k < len(spans):
        start, end = spans[k]
        if text[start].isspace():
            run_end = k
            while run_end + 1 < len(spans) and text[spans[run_end + 1][0]].isspace():
                run_end += 1
            between_words = k > 0 and run_end + 1 < len(spans)
            if not (between_words and rng.random() < flip):
                out.copy(start, spans[run_end][1])
            k = run_end + 1
            continue
        out.copy(start, end)
        k += 1
        if k < len(spans) and is_letter(text[start]) and is_letter(text[spans[k][0]]) and rng.random() < flip:
            out.add(" ")
    return out.build()
