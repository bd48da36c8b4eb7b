"""Perturbed text that remembers where each of its characters came from.

Every perturbation returns an ``Aligned``: the new text and, per character, the index of the input
character it stands for (``INSERTED`` for characters that were added). That is what lets a QA answer
span follow its words through deletions, insertions and word swaps, and lets us refuse (rather than
guess) when an answer no longer exists as one piece.
"""

from __future__ import annotations

from dataclasses import dataclass

INSERTED = -1


@dataclass(frozen=True)
class Aligned:
    """``text`` with ``origin[i]`` = the input index of ``text[i]`` (``INSERTED`` if added)."""

    text: str
    origin: tuple[int, ...]

    @classmethod
    def unchanged(cls, text: str) -> Aligned:
        return cls(text, tuple(range(len(text))))

    def map_span(self, start: int, end: int) -> tuple[int, int] | None:
        """Where input characters ``[start, end)`` are now, or None if they are gone or no longer one piece.

        The new span runs from the first to the last character that came from inside the old one;
        it is refused if a character from outside (e.g. a word swapped in) lies between them.
        Characters inserted at either edge are left out; those inserted inside are kept.
        """
        inside = [i for i, o in enumerate(self.origin) if start <= o < end]
        if not inside:
            return None
        first, last = inside[0], inside[-1]
        if any(o != INSERTED and not start <= o < end for o in self.origin[first:last + 1]):
            return None
        return first, last + 1


class Builder:
    """Collects output pieces with their origins; ``copy`` keeps input characters, ``add`` inserts new ones."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._chars: list[str] = []
        self._origin: list[int] = []

    def copy(self, start: int, end: int) -> None:
        """Input characters ``[start, end)`` unchanged."""
        self._chars.append(self.source[start:end])
        self._origin.extend(range(start, end))

    def add(self, text: str, origin: int = INSERTED) -> None:
        """New characters standing for input index ``origin`` (a substitution) or for nothing (an insertion)."""
        self._chars.append(text)
        self._origin.extend([origin] * len(text))

    def build(self) -> Aligned:
        return Aligned("".join(self._chars), tuple(self._origin))
