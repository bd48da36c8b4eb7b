"""What a perturbation may know besides the text: its language, the letters to draw from, a lexicon."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from pipeline.perturb.aligned import Aligned
from pipeline.perturb.lexicon import Lexicon


@dataclass(frozen=True)
class Context:
    """``lang``: the text's language (XTREME code). ``alphabet``: text whose letters substitutes are drawn
    from (default: the text itself; a tagged sentence passes all its tokens so one-word tokens are not
    starved). ``lexicon``/``switch_to``: for code-switching (``switch_to=None``: any language the
    lexicon translates ``lang`` into)."""

    lang: str
    alphabet: str | None = None
    lexicon: Lexicon | None = None
    switch_to: str | None = None


#: A text perturbation: (text, strength, random stream, context) -> aligned perturbed text.
TextPerturbation = Callable[[str, float, random.Random, Context], Aligned]
