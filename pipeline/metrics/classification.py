"""Accuracy: XNLI, PAWS-X, XCOPA, and Tatoeba once retrieval has produced indices.

Mirrors XTREME ``evaluate.py`` ``accuracy``: the share of positions where prediction == label.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def check_paired(predictions: Sequence[Any], references: Sequence[Any], what: str) -> None:
    """Raise ValueError unless both sequences are non-empty and equally long.

    Shared by every metric that scores position-aligned lists, so the messages read the same.
    """
    if len(predictions) == 0 or len(references) == 0:
        raise ValueError(f"{what}: nothing to score (got {len(predictions)} predictions, {len(references)} references)")
    if len(predictions) != len(references):
        raise ValueError(f"{what}: {len(predictions)} predictions but {len(references)} references; they must pair up")


def accuracy(predictions: Sequence[Any], labels: Sequence[Any]) -> float:
    """Percentage (0–100) of predictions equal to their label."""
    check_paired(predictions, labels, "accuracy")
    correct = sum(1 for p, gold in zip(predictions, labels) if p == gold)
    return 100.0 * correct / len(labels)
