"""Pairwise cosine distance over the features two languages both have: the one metric of every kind and source.

URIEL vectors may have unknown entries (lang2vec writes ``'--'``, URIEL+ ``-1``). Like URIEL+'s
``new_distance``, a pair is compared on the features known for *both* languages, so one matrix
product per kind replaces one library call per pair.
"""

from __future__ import annotations

import numpy as np


def masked_cosine_distances(values: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Symmetric (n, n) matrix of ``1 - cos`` between the rows of ``values`` on their shared known columns.

    Conventions where cosine is undefined: no shared known feature -> NaN (unknown, not far); a
    vector that is all zero on the shared features is identical to another all-zero one (0) and
    has nothing in common with any other (1) -- e.g. a language URIEL places in no family is
    genetically unrelated to every other language.
    """
    mask = known.astype(float)
    x = np.where(known, values, 0.0).astype(float)
    dot = x @ x.T
    sq = x * x
    norm_a = sq @ mask.T  # |a|^2 on the features a shares with b
    norm_b = norm_a.T
    shared = mask @ mask.T
    with np.errstate(divide="ignore", invalid="ignore"):
        dist = 1.0 - dot / np.sqrt(norm_a * norm_b)
    zero_a, zero_b = norm_a == 0, norm_b == 0
    dist = np.where(zero_a & zero_b, 0.0, np.where(zero_a | zero_b, 1.0, dist))
    dist = np.clip(dist, 0.0, 2.0)  # rounding noise only: URIEL vectors are non-negative, so dist <= 1
    dist[shared == 0] = np.nan
    np.fill_diagonal(dist, 0.0)  # a language is identical to itself, data or not
    return dist
