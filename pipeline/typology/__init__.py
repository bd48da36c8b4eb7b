"""Typological distances between XTREME languages (URIEL via lang2vec, or URIEL+), cached for the dashboard.

Six distance types after Littell et al. 2017 ("URIEL and lang2vec", EACL): syntactic, phonological,
inventory, featural, genetic, geographic. ``distance``/``distance_table`` read the shipped table
``data/typology/distances.csv`` (built by ``python -m pipeline typology``) and compute what it lacks.
See ``lang2vec_source`` and ``urielplus_source`` for what each source compares, ``languages`` for
the code mapping, ``AGREEMENT.md`` for how far the two sources agree.
"""

from pipeline.typology.cache import COLUMNS, DEFAULT_CACHE, cached_languages, read_cache, write_cache
from pipeline.typology.distances import DISTANCE_TYPES, SOURCES, compute_table, distance, distance_table
from pipeline.typology.languages import LANGUAGES, Language, benchmark_languages, get_language, xtreme_code

__all__ = [
    "COLUMNS",
    "DEFAULT_CACHE",
    "DISTANCE_TYPES",
    "LANGUAGES",
    "SOURCES",
    "Language",
    "benchmark_languages",
    "cached_languages",
    "compute_table",
    "distance",
    "distance_table",
    "get_language",
    "read_cache",
    "write_cache",
    "xtreme_code",
]
