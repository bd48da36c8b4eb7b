"""The perturbations by name, and the seeded random stream each text gets.

A text's random stream is derived from (seed, perturbation, language, the text itself) by a
cryptographic hash, never from Python's salted ``hash`` or from the text's position: the same text
is perturbed the same way in every process, in any order, in every example it appears in (an XQuAD
context shared by five questions is perturbed once, identically).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from functools import partial

from pipeline.perturb.aligned import Aligned
from pipeline.perturb.character import character_noise
from pipeline.perturb.context import Context, TextPerturbation
from pipeline.perturb.segmentation import whitespace_noise
from pipeline.perturb.spec import PerturbationSpec, parse_perturbation
from pipeline.perturb.strip import strip_diacritics, strip_punctuation
from pipeline.perturb.words import code_switch, word_swap


@dataclass(frozen=True)
class Perturbation:
    """A registered perturbation. ``moves_words``: it reorders words (tagging moves tags with them)."""

    name: str
    apply: TextPerturbation
    description: str
    moves_words: bool = False
    needs_lexicon: bool = False


PERTURBATIONS: dict[str, Perturbation] = {
    p.name: p
    for p in (
        Perturbation("char_noise", character_noise,
                     "each letter swapped, deleted, substituted or followed by an inserted letter with probability p"),
        Perturbation("char_swap", partial(character_noise, operations=("swap",)),
                     "each letter swapped with the next letter with probability p"),
        Perturbation("char_insert", partial(character_noise, operations=("insert",)),
                     "a same-script letter inserted after each letter with probability p"),
        Perturbation("char_delete", partial(character_noise, operations=("delete",)),
                     "each letter deleted with probability p"),
        Perturbation("char_substitute", partial(character_noise, operations=("substitute",)),
                     "each letter replaced by another letter of its script and case with probability p"),
        Perturbation("strip_diacritics", strip_diacritics,
                     "each letter with diacritics (accents, harakat, niqqud) loses them with probability p"),
        Perturbation("strip_punctuation", strip_punctuation, "each punctuation mark removed with probability p"),
        Perturbation("whitespace", whitespace_noise,
                     "each space dropped and each letter boundary split by a space with probability p/2"),
        Perturbation("word_swap", word_swap, "each word swapped with its right neighbour with probability p",
                     moves_words=True),
        Perturbation("code_switch", code_switch,
                     "each word found in the bilingual lexicon replaced by its translation with probability p",
                     needs_lexicon=True),
    )
}


def get_perturbation(name: str) -> Perturbation:
    """The registered perturbation ``name``; a ValueError lists the known names otherwise."""
    try:
        return PERTURBATIONS[name]
    except KeyError:
        raise ValueError(f"unknown perturbation {name!r}; known: {', '.join(PERTURBATIONS)}") from None


def check_perturbation(spec: PerturbationSpec | str) -> PerturbationSpec:
    """``spec`` (or its ``name@strength`` text) parsed and checked against the registry."""
    spec = parse_perturbation(spec) if isinstance(spec, str) else spec
    get_perturbation(spec.name)
    return spec


def text_rng(seed: int, spec: PerturbationSpec, lang: str, text: str) -> random.Random:
    """The random stream for perturbing ``text``: a function of its content, never of its position."""
    key = "\x1f".join((str(seed), str(spec), lang, text)).encode("utf-8")
    return random.Random(int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big"))


def perturb_text(text: str, spec: PerturbationSpec | str, ctx: Context, seed: int = 0) -> Aligned:
    """``text`` perturbed by ``spec`` (strength 0: unchanged), with the origin of every output character."""
    spec = check_perturbation(spec)
    if spec.strength == 0 or not text:
        return Aligned.unchanged(text)
    return get_perturbation(spec.name).apply(text, spec.strength, text_rng(seed, spec, ctx.lang, text), ctx)
