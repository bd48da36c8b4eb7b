"""How often each task of a multi-task mixture is trained on.

Examples-proportional mixing with a size cap K (Raffel et al. 2019; Phang et al. 2020 use K = 2^17):
r_m = min(e_m, K) / sum_n min(e_n, K). Temperature mixing: r_m proportional to (e_m / sum e)^(1/T).
One epoch of a mixture is sum_m min(e_m, K) examples (all examples under temperature sampling).
"""

from __future__ import annotations

from collections.abc import Mapping

#: Phang et al. 2020 (following Raffel et al. 2019).
DEFAULT_CAP = 2**17


def proportional_weights(sizes: Mapping[str, int], cap: int = DEFAULT_CAP) -> dict[str, float]:
    """Sampling probability of each task, proportional to its size capped at ``cap``."""
    capped = {name: min(n, cap) for name, n in sizes.items()}
    total = sum(capped.values())
    if total <= 0:
        raise ValueError("a training mixture needs at least one example")
    return {name: n / total for name, n in capped.items()}


def temperature_weights(sizes: Mapping[str, int], temperature: float) -> dict[str, float]:
    """Sampling probability of each task, proportional to its share of examples to the power 1/T."""
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    total = sum(sizes.values())
    scaled = {name: (n / total) ** (1 / temperature) for name, n in sizes.items()}
    norm = sum(scaled.values())
    return {name: v / norm for name, v in scaled.items()}


def epoch_examples(sizes: Mapping[str, int], cap: int | None) -> int:
    """Examples in one epoch of the mixture (each task counted up to ``cap``, if any)."""
    return sum(min(n, cap) if cap is not None else n for n in sizes.values())
