"""``<name>@<strength>``: how a perturbation is written in configs and in the store's ``perturbation`` column.

The store accepts ``none`` or ``<name>@<strength>`` (``pipeline.store.validate``). Strengths are kept
to six decimals so that the same perturbation always gets the same text and rows of one condition
group together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.store.schema import CLEAN

__all__ = ["CLEAN", "PerturbationSpec", "format_perturbation", "parse_perturbation"]
_DECIMALS = 6
_SPEC = re.compile(r"^(?P<name>[a-z][a-z0-9_]*)@(?P<strength>[0-9]*\.?[0-9]+)$")


@dataclass(frozen=True)
class PerturbationSpec:
    """A named perturbation at a strength in [0, 1] (0 leaves every input unchanged)."""

    name: str
    strength: float

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.name):
            raise ValueError(f"perturbation name {self.name!r} must be lower-case letters, digits and '_'")
        if not 0.0 <= self.strength <= 1.0:
            raise ValueError(f"perturbation strength must lie in [0, 1], not {self.strength}")
        object.__setattr__(self, "strength", round(float(self.strength), _DECIMALS))

    def __str__(self) -> str:
        return format_perturbation(self)


def format_perturbation(spec: PerturbationSpec) -> str:
    """``name@strength`` with the strength in plain decimal notation (``char_noise@0.05``, never ``5e-02``)."""
    strength = f"{spec.strength:.{_DECIMALS}f}".rstrip("0").rstrip(".")
    return f"{spec.name}@{strength}"


def parse_perturbation(text: str) -> PerturbationSpec:
    """The spec written as ``name@strength``; a ValueError says what is wrong with anything else."""
    match = _SPEC.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a perturbation: write <name>@<strength>, e.g. char_noise@0.1")
    return PerturbationSpec(match["name"], float(match["strength"]))
