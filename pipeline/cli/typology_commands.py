"""`python -m pipeline typology`: (re)build the shipped tables of typological distances and lang2vec vectors.

Covers every benchmark language of the registry plus any language the store mentions (as a target
or an intermediate-training language), for both sources and all six distance types, and prints how
far the sources agree; beside it, the lang2vec vectors Lauscher et al.'s similarities are computed
from (``pipeline.typology.features``). Skips the work when the tables already cover those languages.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from pipeline.analysis.correlation import source_agreement
from pipeline.cli.common import UserError, add_store_argument
from pipeline.store import ResultsStore, default_store_location, is_url
from pipeline.tasks import LANGUAGE_MEAN
from pipeline.typology import (
    DEFAULT_CACHE,
    DISTANCE_TYPES,
    LANGUAGES,
    SOURCES,
    benchmark_languages,
    cached_languages,
    compute_table,
    write_cache,
)
from pipeline.typology.features import FEATURES_CACHE, compute_features, read_features, write_features


def _store_languages(store: str | None) -> set[str]:
    """Languages a store's rows name; none when the store file does not exist (nothing is created)."""
    location = store or default_store_location()
    if not is_url(location) and not Path(location).exists():
        return set()
    frame = ResultsStore(location).read_results()
    codes = set(frame["language"]) - {LANGUAGE_MEAN}
    for joined in frame["intermediate_languages"].dropna().unique():
        codes.update(c for c in str(joined).split(",") if c)
    return codes


def _typology(args: argparse.Namespace) -> int:
    extra = _store_languages(args.store) - set(benchmark_languages())
    unknown = sorted(extra - set(LANGUAGES))
    if unknown:
        print(f"skipped (no ISO 639-3 mapping in pipeline/typology/languages.py): {', '.join(unknown)}")
    langs = sorted(set(benchmark_languages()) | (extra - set(unknown)))
    covered = cached_languages(args.out)
    vectors_done = not args.force and set(langs) <= set(read_features(args.features_out)["language"])
    if not vectors_done:
        try:
            vectors = compute_features(langs)
        except ValueError as exc:
            raise UserError(str(exc)) from None
        print(f"lang2vec vectors -> {write_features(vectors, args.features_out)}")
    if not args.force and all(set(langs) <= covered.get((s, k), frozenset()) for s in SOURCES for k in DISTANCE_TYPES):
        print(f"{args.out} already covers all {len(langs)} languages (use --force to recompute)")
        return 0
    print(f"computing {len(DISTANCE_TYPES)} distance types x {len(SOURCES)} sources for {len(langs)} languages "
          "(URIEL+ integrates its databases first: ~1-2 min)")
    start = time.perf_counter()
    try:
        table = compute_table(langs, DISTANCE_TYPES, SOURCES)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    path = write_cache(table, args.out)
    print(f"{len(table)} rows -> {path} in {time.perf_counter() - start:.0f} s")
    unmeasured = table[table["value"].isna()].groupby(["source", "distance_type"]).size()
    if len(unmeasured):
        print("pairs without shared data (NaN):\n" + unmeasured.to_string())
    agreement = source_agreement(table)
    print("agreement of lang2vec and urielplus (Spearman over language pairs):\n" + agreement.to_string(index=False))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "typology",
        aliases=["typology-cache"],
        help="build the cached table of URIEL distances (lang2vec and URIEL+) between benchmark languages",
    )
    parser.add_argument("--out", default=str(DEFAULT_CACHE), help=f"output CSV (default: {DEFAULT_CACHE})")
    parser.add_argument("--features-out", default=str(FEATURES_CACHE),
                        help=f"output CSV of lang2vec vectors (default: {FEATURES_CACHE})")
    parser.add_argument("--force", action="store_true", help="recompute even if the tables cover every language")
    add_store_argument(parser)
    parser.set_defaults(handler=_typology)
