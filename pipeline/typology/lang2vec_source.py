"""Distances from lang2vec 1.1.2's shipped URIEL vectors (Littell et al. 2017).

The PyPI release has no ``distance()``; the later lang2vec ``distance(kind, langs)`` looks up
URIEL's precomputed matrices, which Littell et al. define as cosine distances over the kNN-imputed
typological vectors (syntactic, phonological, inventory; featural over all of them), a genealogical
distance from the Glottolog tree (genetic) and a distance on the Earth's surface (geographic). We
rebuild them from the vectors the wheel ships, one cosine per kind:

- syntactic / phonological / inventory: ``syntax_knn`` / ``phonology_knn`` / ``inventory_knn``
  (kNN-imputed, so every language has every feature);
- featural: the concatenation of those three vectors;
- genetic: ``fam``, one 0/1 entry per Glottolog family or subfamily the language descends from;
  cosine over it is 1 - shared ancestors / sqrt(depth_a * depth_b), 0 for languages under the same
  lowest node (Haitian Creole and French, Malay and Indonesian) and 1 for unrelated languages;
- geographic: ``geo``, the language's distance to 299 fixed points on the globe; cosine over it
  grows with great-circle distance (not proportionally: it saturates for far-apart pairs).

lang2vec quirks handled here: importing it takes ~3 s and warns about ``pkg_resources``; a ``fam``
query costs ~5 s whatever the number of languages, so each feature set is fetched once for all
languages; unknown codes raise a bare ``Exception``, turned into ValueError.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from functools import cache, lru_cache
from types import ModuleType

import numpy as np

from pipeline.typology.cosine import masked_cosine_distances

#: Distance type -> the lang2vec feature sets whose concatenation is compared.
FEATURE_SETS: dict[str, tuple[str, ...]] = {
    "syntactic": ("syntax_knn",),
    "phonological": ("phonology_knn",),
    "inventory": ("inventory_knn",),
    "featural": ("syntax_knn", "phonology_knn", "inventory_knn"),
    "genetic": ("fam",),
    "geographic": ("geo",),
}


@cache
def _lang2vec() -> ModuleType:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pkg_resources deprecation, raised at import
        import lang2vec.lang2vec as l2v
    return l2v


@lru_cache(maxsize=32)
def vectors(codes: tuple[str, ...], feature_set: str) -> tuple[np.ndarray, np.ndarray]:
    """(values, known) for ``codes`` (ISO 639-3) in one lang2vec call."""
    try:
        rows = _lang2vec().get_features(list(codes), feature_set)
    except Exception as exc:  # lang2vec raises a bare Exception for an unknown code
        raise ValueError(f"lang2vec has no {feature_set!r} vector for one of {', '.join(codes)}: {exc}") from None
    raw = [[np.nan if v == "--" else float(v) for v in rows[c]] for c in codes]
    values = np.array(raw, dtype=float)
    return np.nan_to_num(values), ~np.isnan(values)


def distance_matrix(codes: Sequence[str], distance_type: str) -> np.ndarray:
    """(n, n) distances of ``distance_type`` among lang2vec codes ``codes``."""
    parts = [vectors(tuple(codes), fs) for fs in FEATURE_SETS[distance_type]]
    values = np.hstack([v for v, _ in parts])
    known = np.hstack([k for _, k in parts])
    return masked_cosine_distances(values, known)
