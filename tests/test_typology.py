"""Typological distances: properties users rely on, the code mapping, the shipped cache and its fallback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.analysis.correlation import source_agreement
from pipeline.tasks import target_tasks
from pipeline.typology import (
    DEFAULT_CACHE,
    DISTANCE_TYPES,
    LANGUAGES,
    SOURCES,
    benchmark_languages,
    cached_languages,
    distance,
    distance_table,
    get_language,
    read_cache,
    write_cache,
)
from tests.conftest import REPO

#: Spearman floors for lang2vec vs URIEL+ agreement over all benchmark language pairs (AGREEMENT.md).
#: Genetic and geographic rest on the same Glottolog tree and coordinates in both sources (measured
#: > 0.99), so anything below 0.95 means languages were mapped to different codes. The typological
#: types differ by design (kNN-imputed vs observed-only features, URIEL+'s extra databases); their
#: floors are the measured values rounded down by about 0.1 so a wrong mapping or a broken vector
#: alignment (rho near 0) fails while a database update does not.
AGREEMENT_FLOORS = {
    "genetic": 0.95,
    "geographic": 0.95,
    "inventory": 0.8,
    "syntactic": 0.7,
    "featural": 0.55,
    "phonological": 0.5,
}


def _uniform_table(langs: list[str], value: float) -> pd.DataFrame:
    """A complete lang2vec table for ``langs`` in which every off-diagonal distance is ``value``."""
    rows = [
        (a, b, kind, 0.0 if a == b else value, "lang2vec") for kind in DISTANCE_TYPES for a in langs for b in langs
    ]
    return pd.DataFrame(rows, columns=["lang_a", "lang_b", "distance_type", "value", "source"])


@pytest.fixture(scope="module")
def shipped() -> pd.DataFrame:
    return distance_table(sources=SOURCES)


def test_every_registry_language_has_one_iso_code() -> None:
    for task in target_tasks().values():
        for code in task.languages:
            assert get_language(code).code == code
    iso = [lang.iso639_3 for lang in LANGUAGES.values()]
    assert len(set(iso)) == len(iso) and all(len(c) == 3 and c.isalpha() for c in iso)
    # The macrolanguage decisions: the individual language the benchmarks' text is in.
    decided = {"ar": "arb", "zh": "cmn", "sw": "swh", "fa": "pes", "ms": "zsm", "et": "ekk", "qu": "quy", "az": "azj"}
    assert {c: LANGUAGES[c].iso639_3 for c in decided} == decided


@pytest.mark.parametrize(
    ("code", "hint"),
    [
        ("cmn", "Did you mean 'zh'"),
        ("zho", "Did you mean 'zh'"),
        ("Swahili", "Did you mean 'sw'"),
        ("xx", "Known: af, ar, az"),
    ],
)
def test_unknown_code_names_the_code_and_near_matches(code: str, hint: str) -> None:
    with pytest.raises(ValueError, match="unknown language code") as info:
        distance(code, "en", "syntactic")
    assert repr(code) in str(info.value) and hint in str(info.value)


def test_unknown_distance_type_and_source_are_refused_with_the_known_names() -> None:
    with pytest.raises(ValueError, match="unknown distance type.*'typo'.*known: syntactic"):
        distance("de", "en", "typo")
    with pytest.raises(ValueError, match="unknown source.*'wals'.*known: lang2vec, urielplus"):
        distance("de", "en", "syntactic", source="wals")


def test_shipped_cache_covers_every_benchmark_language_for_every_type_and_source() -> None:
    covered = cached_languages()
    missing = {
        (source, kind): sorted(set(benchmark_languages()) - covered.get((source, kind), frozenset()))
        for source in SOURCES
        for kind in DISTANCE_TYPES
    }
    assert not any(missing.values()), f"rebuild with `python -m pipeline typology`: {missing}"


def test_distances_are_zero_on_the_diagonal_symmetric_and_in_range(shipped: pd.DataFrame) -> None:
    diagonal = shipped[shipped["lang_a"] == shipped["lang_b"]]
    assert (diagonal["value"] == 0).all()
    swapped = shipped.rename(columns={"lang_a": "lang_b", "lang_b": "lang_a"})
    both = shipped.merge(swapped, on=["source", "distance_type", "lang_a", "lang_b"], suffixes=("", "_swapped"))
    assert len(both) == len(shipped)
    np.testing.assert_array_equal(both["value"], both["value_swapped"])  # NaN matches NaN
    measured = shipped["value"].dropna()
    assert measured.between(0, 1).all()
    # Only URIEL+'s unimputed phonology and inventory leave pairs without shared data.
    assert set(shipped.loc[shipped["value"].isna(), "distance_type"]) <= {"phonological", "inventory"}
    assert (shipped.loc[shipped["value"].isna(), "source"] == "urielplus").all()


@pytest.mark.parametrize("source", SOURCES)
def test_related_and_neighbouring_languages_are_closer(source: str) -> None:
    assert distance("es", "pt", "genetic", source) < distance("es", "ja", "genetic", source)
    assert distance("de", "nl", "geographic", source) < distance("de", "ja", "geographic", source)
    assert distance("es", "ja", "genetic", source) == 1.0  # no shared ancestor


def test_sources_agree_on_benchmark_pairs_above_the_floors(shipped: pd.DataFrame) -> None:
    agreement = source_agreement(shipped).set_index("distance_type")
    assert set(agreement.index) == set(DISTANCE_TYPES)
    assert (agreement["n_pairs"] >= 500).all()
    for kind, floor in AGREEMENT_FLOORS.items():
        assert agreement.loc[kind, "spearman"] > floor, kind


def test_cache_is_read_first_and_uncovered_languages_are_computed_live(tmp_path: Path) -> None:
    cache = tmp_path / "distances.csv"
    # A cache for en/de whose values are recognisably not lang2vec's: the library must return them.
    fake = _uniform_table(["en", "de"], value=0.5)
    write_cache(fake, cache)
    assert distance("en", "de", "syntactic", cache_path=cache) == 0.5

    # ja and sw are not in it: computed live through lang2vec, and equal to the shipped table.
    langs = ["en", "de", "ja", "sw"]
    live = distance_table(langs, DISTANCE_TYPES, "lang2vec", cache_path=cache)
    shipped = distance_table(langs, DISTANCE_TYPES, "lang2vec")
    key = ["source", "distance_type", "lang_a", "lang_b"]
    merged = live.merge(shipped, on=key, suffixes=("_live", "_shipped"))
    assert len(merged) == len(DISTANCE_TYPES) * len(langs) ** 2
    np.testing.assert_allclose(merged["value_live"], merged["value_shipped"], atol=1e-6)


def test_cache_round_trips_and_a_rewritten_file_is_read_again(tmp_path: Path) -> None:
    cache = tmp_path / "distances.csv"
    write_cache(_uniform_table(["en", "fr"], value=0.25), cache)
    assert distance("en", "fr", "genetic", cache_path=cache) == 0.25
    write_cache(_uniform_table(["en", "fr", "de"], value=0.75), cache)
    assert distance("en", "fr", "genetic", cache_path=cache) == 0.75
    assert list(tmp_path.iterdir()) == [cache]  # no temporary file left behind


def test_a_file_that_is_not_a_distance_table_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "distances.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a distance table.*typology --force"):
        read_cache(bad)


def test_cli_leaves_an_up_to_date_table_alone_and_creates_no_store(tmp_path: Path) -> None:
    out = tmp_path / "distances.csv"
    out.write_bytes(Path(DEFAULT_CACHE).read_bytes())
    store = tmp_path / "absent.db"
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "typology", "--out", str(out), "--store", str(store)],
        cwd=REPO, capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr
    assert f"already covers all {len(benchmark_languages())} languages" in done.stdout
    assert not store.exists()

