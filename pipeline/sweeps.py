"""Sweeps over the number of intermediate-training languages: nested language sets of size 1…k.

Nested sets (each adds one language to the previous) make the score-vs-k curve a curve: the change
from k to k + 1 is the effect of one language, not of swapping the whole set. Three orders:

- ``given``: the languages in the order listed (e.g. by hand);
- ``resource``: largest pretraining corpus first, from ``CC100_GIB`` (or a ``ranking`` you pass), so
  the sweep asks "do the languages the model knows best help most?";
- ``diversity``: greedy max-min typological distance (farthest-point sampling): start from the first
  language listed, then repeatedly add the language whose distance to its *nearest* chosen language
  is largest, so each step covers the most new typological ground. Distances come from
  ``pipeline.typology`` (URIEL via lang2vec, shipped cache) unless a table is passed.

Ties keep the order the languages were listed in, so a sweep is reproducible.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

ORDERS: tuple[str, ...] = ("given", "resource", "diversity")
_LANG = re.compile(r"^[a-z]{2,3}$")

#: Size in GiB of each XTREME/XTREME-R language's data in CC-100, XLM-R's pretraining corpus
#: (Conneau et al. 2020, "Unsupervised Cross-lingual Representation Learning at Scale", Appendix A,
#: Table 6, as transcribed in github:mayhewsw/multilingual-data-stats@7397902:cc-100/cc-100.csv).
#: zh sums Simplified (46.9) and Traditional (16.6); my sums its two listed Burmese rows (1.6, 0.4).
#: Yoruba, Quechua and Haitian Creole are not in CC-100 and are left out: pass a ``ranking`` for them.
CC100_GIB: dict[str, float] = {
    "en": 300.8, "ru": 278.0, "id": 148.3, "vi": 137.3, "fa": 111.6, "uk": 84.6, "th": 71.7, "ja": 69.3,
    "de": 66.6, "zh": 63.5, "ro": 61.4, "hu": 58.4, "bg": 57.5, "fr": 56.8, "fi": 54.3, "ko": 54.2, "es": 53.3,
    "pt": 49.1, "el": 46.9, "pl": 44.6, "he": 31.6, "it": 30.2, "nl": 29.3, "ar": 28.0, "tr": 20.9, "hi": 20.2,
    "lt": 13.7, "ta": 12.2, "ka": 9.1, "ms": 8.5, "bn": 8.4, "ml": 7.6, "az": 6.5, "kk": 6.4, "et": 6.1,
    "ur": 5.7, "te": 4.7, "tl": 3.1, "mr": 2.8, "eu": 2.0, "my": 2.0, "gu": 1.9, "sw": 1.6, "af": 1.3,
    "pa": 0.8, "jv": 0.2,
}


def _check_languages(languages: Sequence[str], k_max: int | None) -> tuple[list[str], int]:
    langs = list(languages)
    bad = [lang for lang in langs if not isinstance(lang, str) or not _LANG.match(lang)]
    if bad:
        raise ValueError(f"not language codes like 'de': {', '.join(map(repr, bad))}")
    repeated = sorted({lang for lang in langs if langs.count(lang) > 1})
    if repeated:
        raise ValueError(f"languages listed more than once: {', '.join(repeated)}")
    if not langs:
        raise ValueError("no languages to sweep over")
    k = len(langs) if k_max is None else k_max
    if int(k) != k or not 1 <= k <= len(langs):
        raise ValueError(f"k_max must be a whole number from 1 to {len(langs)} (the number of languages), not {k_max}")
    return langs, int(k)


def _by_resource(langs: list[str], ranking: Mapping[str, float] | None) -> list[str]:
    sizes = CC100_GIB if ranking is None else ranking
    unknown = [lang for lang in langs if lang not in sizes]
    if unknown:
        where = "the ranking given" if ranking is not None else "CC100_GIB (CC-100, XLM-R's corpus)"
        raise ValueError(f"no resource size for {', '.join(unknown)} in {where}; pass ranking={{language: size}}")
    return sorted(langs, key=lambda lang: -sizes[lang])  # stable: ties keep the listed order


def _distance_matrix(langs: list[str], distances: pd.DataFrame | None, distance_type: str, source: str) -> np.ndarray:
    if distances is None:
        try:
            from pipeline.typology import distance_table
        except ImportError as exc:
            raise RuntimeError(
                "the 'diversity' order needs typological distances: pipeline.typology is not available "
                f"({exc}); pass a distances table (lang_a, lang_b, value) instead"
            ) from None
        distances = distance_table(langs, distance_type, source)
    rows = distances
    if "distance_type" in rows.columns:
        rows = rows[rows["distance_type"] == distance_type]
    if "source" in rows.columns:
        rows = rows[rows["source"] == source]
    square = rows.pivot_table(index="lang_a", columns="lang_b", values="value", aggfunc="mean")
    missing = [lang for lang in langs if lang not in square.index or lang not in square.columns]
    if missing:
        raise ValueError(f"the distance table has no {source} {distance_type} distances for {', '.join(missing)}")
    return square.loc[langs, langs].to_numpy(dtype=float)


def _by_diversity(langs: list[str], k: int, matrix: np.ndarray) -> list[str]:
    """Farthest-point order from ``langs[0]``; a NaN distance is unknown and never counts as far."""
    chosen = [0]
    nearest = np.where(np.isnan(matrix[0]), -np.inf, matrix[0])
    while len(chosen) < k:
        nearest[chosen] = -np.inf
        pick = int(np.argmax(nearest))  # first maximum: ties keep the listed order
        chosen.append(pick)
        nearest = np.minimum(nearest, np.where(np.isnan(matrix[pick]), np.inf, matrix[pick]))
    return [langs[i] for i in chosen]


def nested_language_sets(
    languages: Sequence[str],
    order: str = "given",
    k_max: int | None = None,
    *,
    ranking: Mapping[str, float] | None = None,
    distances: pd.DataFrame | None = None,
    distance_type: str = "syntactic",
    source: str = "lang2vec",
) -> list[tuple[str, ...]]:
    """Nested language sets of size 1…``k_max`` (default: all), each the previous plus one language.

    ``ranking`` (language -> corpus size) replaces ``CC100_GIB`` for ``order='resource'``;
    ``distances`` (long table ``lang_a, lang_b, value`` [, ``distance_type``, ``source``]) replaces
    ``pipeline.typology`` for ``order='diversity'``. Sets list languages in the order they were added.
    """
    if order not in ORDERS:
        raise ValueError(f"order must be one of {', '.join(ORDERS)}, not {order!r}")
    langs, k = _check_languages(languages, k_max)
    if order == "resource":
        langs = _by_resource(langs, ranking)
    elif order == "diversity":
        langs = _by_diversity(langs, k, _distance_matrix(langs, distances, distance_type, source))
    return [tuple(langs[:size]) for size in range(1, k + 1)]
