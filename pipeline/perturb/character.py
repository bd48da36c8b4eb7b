"""Character noise: swap, insert, delete or substitute letters at rate p, staying inside the letter's script.

Each letter cluster (see ``text.clusters``) is picked with probability p and one of the allowed
operations is applied to it; other characters (spaces, digits, punctuation) are never touched. New
letters come from the same script and case as the letter they replace or follow, preferring letters the
text itself uses (a German text gets umlauts, a Hindi text Devanagari consonants); when the text has
fewer than ``MIN_POOL`` such letters, the script's basic alphabet is added.
"""

from __future__ import annotations

import random
import unicodedata

from pipeline.perturb.aligned import Aligned, Builder
from pipeline.perturb.context import Context
from pipeline.perturb.text import clusters, core_letters, is_letter, script_of

OPERATIONS: tuple[str, ...] = ("swap", "insert", "delete", "substitute")
MIN_POOL = 5

_Pools = dict[tuple[str, str], list[str]]


def _pools(alphabet: str) -> _Pools:
    """Distinct letters of ``alphabet`` by (script, category), in order of first use (so draws are reproducible)."""
    pools: _Pools = {}
    for char in dict.fromkeys(alphabet):
        script = script_of(char)
        if script is not None:
            pools.setdefault((script, unicodedata.category(char)), []).append(char)
    return pools


def _letter_like(char: str, pools: _Pools, rng: random.Random) -> str | None:
    """Another letter of ``char``'s script and case, or None if the script offers none."""
    script, category = script_of(char), unicodedata.category(char)
    if script is None:
        return None
    candidates = [c for c in pools.get((script, category), ()) if c != char]
    if len(candidates) < MIN_POOL:
        extra = [c for c in core_letters(script, category) if c != char and c not in candidates]
        candidates += extra
    return rng.choice(candidates) if candidates else None


def character_noise(
    text: str, rate: float, rng: random.Random, ctx: Context, operations: tuple[str, ...] = OPERATIONS
) -> Aligned:
    """Each letter cluster edited with probability ``rate`` by one of ``operations`` (chosen uniformly).

    ``swap`` exchanges the cluster with the next one when that is a letter too (else nothing happens);
    ``substitute`` replaces the base letter and keeps its marks; ``insert`` adds a letter after it.
    """
    unknown = set(operations) - set(OPERATIONS)
    if unknown or not operations:
        raise ValueError(f"character operations must be some of {', '.join(OPERATIONS)}, not {operations}")
    pools = _pools(text if ctx.alphabet is None else ctx.alphabet)
    spans = clusters(text)
    out = Builder(text)
    i = 0
    while i < len(spans):
        start, end = spans[i]
        base = text[start]
        i += 1
        if not is_letter(base) or rng.random() >= rate:
            out.copy(start, end)
            continue
        operation = operations[0] if len(operations) == 1 else rng.choice(operations)
        if operation == "delete":
            continue
        if operation == "swap":
            if i < len(spans) and is_letter(text[spans[i][0]]):
                out.copy(*spans[i])
                i += 1
            out.copy(start, end)
            continue
        new = _letter_like(base, pools, rng)
        if operation == "substitute" and new is not None:
            out.add(new, start)
            out.copy(start + 1, end)
            continue
        out.copy(start, end)
        if operation == "insert" and new is not None:
            out.add(new)
    return out.build()
