"""Score vs number of intermediate languages: saturating fits, thresholds, refusals, and the sweep generator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.analysis.saturation import (
    CURVE_KEYS,
    compare_fits,
    curve,
    curves_with_several_k,
    fit_saturation,
    saturation_points,
)
from pipeline.sweeps import CC100_GIB, nested_language_sets
from pipeline.typology import distance_table

K = np.arange(1, 13, dtype=float)


@pytest.mark.parametrize(("form", "truth"), [("exponential", (80.0, 6.0, 0.45)), ("power", (75.0, 5.0, 0.8))])
def test_known_parameters_are_recovered_and_the_true_form_wins(form: str, truth: tuple[float, float, float]) -> None:
    values = curve(form, K, np.array(truth)) + np.random.default_rng(1).normal(0, 0.05, len(K))
    fits = [fit_saturation(K, values, f, n_boot=150) for f in ("exponential", "power")]
    fit = next(f for f in fits if f.form == form)
    assert fit.params == pytest.approx(truth, rel=0.08)
    table = fit.parameter_table()
    assert ((table["low"] <= np.array(truth)) & (np.array(truth) <= table["high"])).all()
    comparison = compare_fits(fits).set_index("form")
    assert comparison.loc[form, "delta_aic"] == 0 and comparison.loc[form, "r2"] > 0.99
    assert comparison["akaike_weight"].sum() == pytest.approx(1.0)


def test_threshold_matches_the_closed_form_and_its_interval_covers_it() -> None:
    a, b, c, eps = 80.0, 6.0, 0.45, 0.2
    # f(k+1) − f(k) = b·e^(−ck)·(1 − e^(−c)) < eps  <=>  k > ln(b(1 − e^(−c))/eps)/c
    exact = np.floor(np.log(b * (1 - np.exp(-c)) / eps) / c) + 1
    values = curve("exponential", K, np.array([a, b, c])) + np.random.default_rng(2).normal(0, 0.05, len(K))
    threshold = fit_saturation(K, values, n_boot=200).threshold(eps)
    assert threshold.k == exact and threshold.low <= exact <= threshold.high
    assert threshold.n_beyond_limit == 0


def test_a_falling_curve_is_fitted_and_is_below_any_positive_epsilon_at_once() -> None:
    values = curve("exponential", K, np.array([70.0, -3.0, 0.6]))
    fit = fit_saturation(K, values, n_boot=0)
    assert fit.params[1] == pytest.approx(-3.0, rel=1e-3) and fit.threshold(0.1).k == 1


def test_seeds_are_resampled_within_each_k_and_the_bootstrap_is_seeded() -> None:
    k = np.repeat([1.0, 2.0, 4.0, 8.0], 3)
    values = curve("exponential", k, np.array([70.0, 4.0, 0.4])) + np.random.default_rng(3).normal(0, 0.3, len(k))
    first, again = (fit_saturation(k, values, n_boot=120, rng_seed=5) for _ in range(2))
    assert first.resampling.startswith("within-k") and np.array_equal(first.replicates, again.replicates)
    other = fit_saturation(k, values, n_boot=120, rng_seed=6)
    assert not np.array_equal(first.replicates, other.replicates)
    band = first.band([1, 4, 8])
    assert (band["low"] <= band["fit"]).all() and (band["fit"] <= band["high"]).all()


def test_fewer_distinct_k_than_parameters_is_refused_and_exact_fits_get_no_interval() -> None:
    refused = fit_saturation([1, 1, 2, 2], [70, 71, 72, 72.5], "power")
    assert not refused.ok and "only 2 distinct numbers of languages" in refused.refused
    assert compare_fits([refused])["refused"].iloc[0] == refused.refused
    with pytest.raises(ValueError, match="no fit"):
        refused.threshold(0.1)
    exact = fit_saturation([1, 2, 3], [70.0, 72.0, 73.0])
    assert exact.ok and "passes through every point" in exact.note and exact.parameter_table()["low"].isna().all()


def test_saturation_points_count_languages_and_average_targets() -> None:
    def row(langs: str, language: str, value: float, seed: int) -> dict:
        return {"run_id": f"{langs}-{seed}", "model": "xlm-roberta-base", "intermediate_task": "mnli",
                "intermediate_languages": langs, "mlm_cotraining": False, "target_task": "xnli", "language": language,
                "metric": "accuracy", "split": "test", "setting": "zero-shot", "perturbation": "none", "seed": seed,
                "value": value}
    rows = [row("en", "de", 70, 1), row("en", "zh", 60, 1), row("de,en", "de", 74, 1), row("de,en", "zh", 62, 1),
            row("en,zh", "de", 71, 1), row("en,zh", "zh", 66, 1)]
    points = saturation_points(pd.DataFrame(rows)).set_index("intermediate_languages")
    assert points.loc["en", "k"] == 1 and points.loc["de,en", "value"] == 68 and points.loc["en,zh", "n_languages"] == 2
    assert points.loc["de,en", "n_sets_at_k"] == 2  # two different two-language sets pooled at k = 2


# --------------------------------------------------------------------------- sweeps

DISTANCES = {("en", "de"): 0.2, ("en", "nl"): 0.2, ("de", "nl"): 0.1, ("en", "zh"): 0.8, ("en", "ja"): 0.9,
             ("zh", "ja"): 0.5, ("en", "ar"): 0.7, ("ar", "zh"): 0.6, ("ar", "ja"): 0.85, ("de", "zh"): 0.8,
             ("de", "ja"): 0.9, ("de", "ar"): 0.7, ("nl", "zh"): 0.8, ("nl", "ja"): 0.9, ("nl", "ar"): 0.7}


def _table() -> pd.DataFrame:
    pairs = [(a, b, d) for (a, b), d in DISTANCES.items()] + [(b, a, d) for (a, b), d in DISTANCES.items()]
    return pd.DataFrame(pairs, columns=["lang_a", "lang_b", "value"])


def test_nested_sets_in_given_resource_and_diversity_order() -> None:
    langs = ["en", "de", "nl", "zh", "ja", "ar"]
    assert nested_language_sets(langs, k_max=3) == [("en",), ("en", "de"), ("en", "de", "nl")]
    by_size = nested_language_sets(["sw", "de", "en", "ru"], "resource")[-1]
    assert by_size == ("en", "ru", "de", "sw") and CC100_GIB["ru"] > CC100_GIB["de"] > CC100_GIB["sw"]
    assert nested_language_sets(["bb", "xx"], "resource", ranking={"bb": 1, "xx": 2}) == [("xx",), ("xx", "bb")]
    # farthest from en: ja; then the language farthest from {en, ja}: ar (0.7); then zh; de/nl tie -> listed first
    assert nested_language_sets(langs, "diversity", distances=_table())[-1] == ("en", "ja", "ar", "zh", "de", "nl")


def test_diversity_order_on_shipped_distances_maximises_the_nearest_distance_at_each_step() -> None:
    langs = ["en", "de", "nl", "zh", "ja", "ar", "hi", "sw"]
    order = nested_language_sets(langs, "diversity")[-1]
    square = distance_table(langs, "syntactic").pivot(index="lang_a", columns="lang_b", values="value")
    for step in range(1, len(order)):
        chosen, rest = list(order[:step]), [lang for lang in langs if lang not in order[:step]]
        nearest = {lang: square.loc[lang, chosen].min() for lang in rest}
        assert nearest[order[step]] == max(nearest.values())


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"languages": ["en", "en"]}, "more than once"),
    ({"languages": ["en", "German"]}, "not language codes"),
    ({"languages": ["en", "de"], "k_max": 3}, "k_max"),
    ({"languages": ["en", "yo"], "order": "resource"}, "no resource size for yo"),
    ({"languages": ["en", "de"], "order": "alphabetical"}, "order must be"),
    ({"languages": ["en", "xx"], "order": "diversity", "distances": pd.DataFrame(
        {"lang_a": ["en"], "lang_b": ["en"], "value": [0.0]})}, "no lang2vec syntactic distances for xx"),
])
def test_bad_sweep_requests_are_refused_clearly(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        nested_language_sets(**kwargs)


def test_only_curves_with_two_or_more_language_set_sizes_are_kept() -> None:
    base = dict.fromkeys(CURVE_KEYS, "x")
    points = pd.DataFrame([{**base, "model": "swept", "k": 1, "value": 70.0},
                           {**base, "model": "swept", "k": 3, "value": 74.0},
                           {**base, "model": "one-size", "k": 2, "value": 71.0},
                           {**base, "model": "one-size", "k": 2, "value": 71.5}])
    kept = curves_with_several_k(points)
    assert kept["model"].unique().tolist() == ["swept"]
    assert sorted(kept["k"]) == [1, 3]
