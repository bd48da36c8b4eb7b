"""The six URIEL distance types between XTREME languages, from the shipped cache or computed live.

Every function takes XTREME's 2-letter codes (see ``languages.py``) and returns distances in
[0, 1] (0 = same; NaN = the source has no shared data for the pair, which happens for URIEL+'s
unimputed phonological and inventory features). ``source`` picks the data: ``lang2vec`` (URIEL as
lang2vec 1.1.2 ships it, kNN-imputed) or ``urielplus`` (URIEL+ with its added databases, observed
values only); the two modules of those names say exactly what is compared.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from pipeline.typology import lang2vec_source, urielplus_source
from pipeline.typology.cache import COLUMNS, read_cache
from pipeline.typology.languages import benchmark_languages, get_language

DISTANCE_TYPES: tuple[str, ...] = ("syntactic", "phonological", "inventory", "featural", "genetic", "geographic")
SOURCES: tuple[str, ...] = ("lang2vec", "urielplus")

_MATRIX: dict[str, Callable[[Sequence[str], str], np.ndarray]] = {
    "lang2vec": lambda codes, kind: lang2vec_source.distance_matrix(
        [get_language(c).lang2vec_code for c in codes], kind
    ),
    "urielplus": lambda codes, kind: urielplus_source.distance_matrix([get_language(c).iso639_3 for c in codes], kind),
}

PathLike = str | os.PathLike[str] | None


def _names(given: str | Iterable[str], known: tuple[str, ...], what: str) -> list[str]:
    names = [given] if isinstance(given, str) else list(dict.fromkeys(given))
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise ValueError(f"unknown {what} {', '.join(map(repr, unknown)) or '(none given)'}; known: {', '.join(known)}")
    return names


def _languages(langs: Iterable[str] | None) -> list[str]:
    codes = list(dict.fromkeys(benchmark_languages() if langs is None else langs))
    for code in codes:
        get_language(code)
    if not codes:
        raise ValueError("no languages given")
    return codes


def _long(codes: list[str], matrix: np.ndarray, distance_type: str, source: str) -> pd.DataFrame:
    n = len(codes)
    return pd.DataFrame(
        {
            "lang_a": np.repeat(codes, n),
            "lang_b": np.tile(codes, n),
            "distance_type": distance_type,
            "value": matrix.ravel(),
            "source": source,
        }
    )


def compute_table(
    langs: Iterable[str] | None = None,
    distance_types: str | Iterable[str] = DISTANCE_TYPES,
    sources: str | Iterable[str] = "lang2vec",
) -> pd.DataFrame:
    """All ordered pairs (diagonal included) computed live, ignoring the cache; columns ``COLUMNS``."""
    codes = _languages(langs)
    kinds = _names(distance_types, DISTANCE_TYPES, "distance type(s)")
    frames = [
        _long(codes, _MATRIX[source](codes, kind), kind, source)
        for source in _names(sources, SOURCES, "source(s)")
        for kind in kinds
    ]
    return pd.concat(frames, ignore_index=True)


def distance_table(
    langs: Iterable[str] | None = None,
    distance_types: str | Iterable[str] = DISTANCE_TYPES,
    sources: str | Iterable[str] = "lang2vec",
    cache_path: PathLike = None,
) -> pd.DataFrame:
    """Like ``compute_table`` (default: every benchmark language), read from the cache where it covers ``langs``."""
    codes = _languages(langs)
    kinds = _names(distance_types, DISTANCE_TYPES, "distance type(s)")
    cached = read_cache(cache_path)
    wanted = set(codes)
    frames = []
    for source in _names(sources, SOURCES, "source(s)"):
        for kind in kinds:
            group = cached.get((source, kind))
            available = set(group["lang_a"].unique()) if group is not None else set()
            if wanted == available:
                frames.append(group)
            elif wanted < available:
                frames.append(group[group["lang_a"].isin(wanted) & group["lang_b"].isin(wanted)])
            else:
                frames.append(_long(codes, _MATRIX[source](codes, kind), kind, source))
    return pd.concat(frames, ignore_index=True)[list(COLUMNS)]


def distance(
    lang_a: str, lang_b: str, distance_type: str, source: str = "lang2vec", cache_path: PathLike = None
) -> float:
    """The ``distance_type`` distance between two XTREME languages (NaN if ``source`` has no shared data)."""
    table = distance_table([lang_a, lang_b], distance_type, source, cache_path)
    row = table[(table["lang_a"] == lang_a) & (table["lang_b"] == lang_b)]
    return float(row["value"].iloc[0])
