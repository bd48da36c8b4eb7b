"""Correlation of transfer with typological distance: coefficients match scipy, refusals say why."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pipeline.analysis.correlation import (
    correlate,
    correlate_languages,
    correlation_grid,
    distances_to_source,
    fit_line,
    gain,
    grid_cells,
    partial_correlate_languages,
    partial_correlation,
    per_language,
    scatter_points,
    source_agreement,
    source_distances,
    transfer_gap,
    values_by_task,
)
from pipeline.typology import distance_table

RNG = np.random.default_rng(7)
X = RNG.normal(size=15)
Y = 0.6 * X + RNG.normal(size=15)
Z = 0.5 * X + 0.5 * Y + RNG.normal(size=15)


def test_coefficients_and_p_values_are_scipy_s() -> None:
    table = correlate(X, Y).table.set_index("method")
    for method, test in (("pearson", stats.pearsonr), ("spearman", stats.spearmanr), ("kendall", stats.kendalltau)):
        expected = test(X, Y)
        assert table.loc[method, "coefficient"] == pytest.approx(expected.statistic)
        assert table.loc[method, "p_value"] == pytest.approx(expected.pvalue)
        assert table.loc[method, "ci_low"] < table.loc[method, "coefficient"] < table.loc[method, "ci_high"]
    assert (table["n"] == 15).all()


def test_pearson_interval_is_fishers() -> None:
    row = correlate(X, Y, confidence=0.9).table.set_index("method").loc["pearson"]
    z, half = np.arctanh(row["coefficient"]), stats.norm.ppf(0.95) / np.sqrt(15 - 3)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((np.tanh(z - half), np.tanh(z + half)))


def test_bootstrap_intervals_are_reproducible_and_depend_on_the_seed() -> None:
    first, again, other = correlate(X, Y, seed=1).table, correlate(X, Y, seed=1).table, correlate(X, Y, seed=2).table
    pd.testing.assert_frame_equal(first, again)
    boot = first["ci_method"] == "bootstrap"
    assert not np.allclose(first.loc[boot, "ci_low"], other.loc[boot, "ci_low"])


def test_a_stronger_relation_gets_a_narrower_interval() -> None:
    weak = correlate(X, Y).table.set_index("method")
    strong = correlate(X, X + 0.1 * Y).table.set_index("method")
    width = lambda t: t["ci_high"] - t["ci_low"]  # noqa: E731
    assert (width(strong) < width(weak)).all()


@pytest.mark.parametrize(
    ("x", "y", "reason"),
    [
        ([0.1, 0.2, 0.3], [1.0, 2.0, 3.0], "only 3 language(s) have both a distance and a value; a correlation needs"),
        ([0.1, 0.2, np.nan, 0.4, 0.5], [1.0, 2.0, 3.0, np.nan, 5.0], "only 3 language(s)"),
        ([0.1, 0.2, 0.3, 0.4], [5.0, 5.0, 5.0, 5.0], "the value is the same (5) for all 4 languages"),
        ([1.0, 1.0, 1.0, 1.0, 1.0], [1.0, 2.0, 3.0, 4.0, 5.0], "the distance is the same (1) for all 5 languages"),
    ],
)
def test_refuses_with_a_reason_instead_of_a_number(x: list[float], y: list[float], reason: str) -> None:
    result = correlate(x, y)
    assert not result.ok and result.table.empty
    assert reason in result.refused


def test_partial_correlation_matches_the_textbook_formula() -> None:
    def by_formula(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
        r = np.corrcoef([a, b, c])
        return (r[0, 1] - r[0, 2] * r[1, 2]) / np.sqrt((1 - r[0, 2] ** 2) * (1 - r[1, 2] ** 2))

    pearson = partial_correlation(X, Y, Z).table.iloc[0]
    assert pearson["coefficient"] == pytest.approx(by_formula(X, Y, Z))
    t = pearson["coefficient"] * np.sqrt((15 - 3) / (1 - pearson["coefficient"] ** 2))
    assert pearson["p_value"] == pytest.approx(2 * stats.t.sf(abs(t), 15 - 3))
    ranks = [stats.rankdata(v) for v in (X, Y, Z)]
    spearman = partial_correlation(X, Y, Z, method="spearman").table.iloc[0]
    assert spearman["method"] == "partial_spearman"
    assert spearman["coefficient"] == pytest.approx(by_formula(*ranks))


def test_partial_correlation_refuses_a_constant_covariate() -> None:
    result = partial_correlation(X, Y, np.ones(15), names=("distance", "gap", "baseline score"))
    assert result.refused == "the baseline score is the same (1) for all 15 languages; nothing to correlate"


def test_distances_to_one_or_several_source_languages() -> None:
    table = distance_table(["en", "de", "fr", "ja", "zh"], "syntactic")
    from_en = distances_to_source(table, "en", "syntactic").set_index("language")["distance"]
    assert list(from_en.index) == ["de", "fr", "ja", "zh"]  # the source itself is left out
    lookup = table.set_index(["lang_a", "lang_b"])["value"]
    assert from_en["ja"] == lookup[("en", "ja")]
    for how, reduce in (("mean", np.mean), ("min", np.min)):
        both = distances_to_source(table, ["en", "de"], "syntactic", how=how).set_index("language")["distance"]
        assert list(both.index) == ["fr", "ja", "zh"]
        assert both["ja"] == pytest.approx(reduce([lookup[("en", "ja")], lookup[("de", "ja")]]))
    with pytest.raises(ValueError, match="no lang2vec syntactic distances from ko"):
        distances_to_source(table, "ko", "syntactic")


def _results(values: dict[str, list[float]], intermediate: str = "none") -> pd.DataFrame:
    """Store-shaped rows of one condition: a value per seed for each language."""
    rows = [
        {"model": "xlm-roberta-large", "intermediate_task": intermediate, "intermediate_languages": "en",
         "mlm_cotraining": False, "target_task": "xnli", "metric": "accuracy", "split": "test",
         "setting": "zero-shot", "perturbation": "none", "language": lang, "seed": seed, "value": v}
        for lang, vs in values.items()
        for seed, v in enumerate(vs)
    ]
    return pd.DataFrame(rows)


def test_gap_and_gain_inputs_from_store_rows() -> None:
    base = per_language(_results({"en": [88.0, 90.0], "de": [80.0, 82.0], "ja": [70.0, 74.0], "avg": [79.0, 80.0]}))
    assert base.set_index("language")["value"].to_dict() == {"de": 81.0, "en": 89.0, "ja": 72.0}
    gap = transfer_gap(base).set_index("language")["value"]
    assert gap.to_dict() == {"de": 8.0, "ja": 17.0}
    tuned = per_language(_results({"en": [90.0], "de": [84.0], "ja": [71.0]}, intermediate="mnli"))
    assert gain(tuned, base).set_index("language")["value"].to_dict() == {"de": 3.0, "en": 1.0, "ja": -1.0}
    with pytest.raises(ValueError, match="no score for the source language 'en'"):
        transfer_gap(base[base["language"] != "en"])


def test_rows_of_several_conditions_are_not_averaged_together() -> None:
    mixed = pd.concat([_results({"de": [80.0]}), _results({"de": [85.0]}, intermediate="mnli")])
    with pytest.raises(ValueError, match="select one value of: intermediate_task"):
        per_language(mixed)


def test_grid_corrects_p_values_across_cells_and_keeps_refusals() -> None:
    langs = [f"l{i}" for i in range(12)]
    values = pd.DataFrame({
        "target_task": ["a"] * 12 + ["b"] * 3,
        "language": langs + langs[:3],
        "value": np.r_[Y[:12], [1.0, 2.0, 3.0]],
    })
    distances = pd.concat([
        pd.DataFrame({"distance_type": kind, "language": langs, "distance": d})
        for kind, d in (("syntactic", X[:12]), ("genetic", Z[:12]))
    ])
    grid = correlation_grid(values, distances, ["target_task"], correction="holm")
    done = grid[grid["refused"].isna()]
    assert len(done) == 2 * 3 and set(done["target_task"]) == {"a"}
    direct = correlate_languages(
        values[values["target_task"] == "a"], distances[distances["distance_type"] == "syntactic"]
    ).table.set_index("method")
    for method, part in done.groupby("method"):
        cell = part.set_index("distance_type")
        assert cell.loc["syntactic", "coefficient"] == pytest.approx(direct.loc[method, "coefficient"])
        p = part["p_value"].to_numpy()  # Holm over the grid's two tests of this method
        low, high = np.argsort(p)
        expected = np.empty(2)
        expected[low] = min(1.0, 2 * p[low])
        expected[high] = min(1.0, max(2 * p[low], p[high]))
        np.testing.assert_allclose(part["p_adjusted"], expected)
    refused = grid[grid["refused"].notna()]
    assert set(refused["target_task"]) == {"b"} and refused["refused"].str.startswith("only 3 language(s)").all()
    named = correlation_grid(values, distances, ["target_task"], n_boot=100, value_name="gain")
    assert "only 3 language(s) have both a genetic distance and a gain; a correlation needs at least 4" in set(
        named["refused"])


def test_source_agreement_is_spearman_over_unordered_pairs() -> None:
    langs = ["en", "de", "fr", "ja", "zh"]
    table = distance_table(langs, ["syntactic", "genetic"], sources=["lang2vec", "urielplus"])
    agreement = source_agreement(table).set_index("distance_type")
    pairs = table[table["lang_a"] < table["lang_b"]].pivot(
        index=["distance_type", "lang_a", "lang_b"], columns="source", values="value"
    )
    syntactic = pairs.loc["syntactic"]
    assert agreement.loc["syntactic", "n_pairs"] == 10
    assert agreement.loc["syntactic", "spearman"] == pytest.approx(
        stats.spearmanr(syntactic["lang2vec"], syntactic["urielplus"]).statistic
    )


def test_refusal_names_what_is_correlated() -> None:
    values = pd.DataFrame({"language": ["de", "fr", "ja"], "value": [1.0, 2.0, 3.0]})
    distances = pd.DataFrame({"language": ["de", "fr", "ja", "zh"], "distance": [0.1, 0.2, 0.3, 0.4]})
    result = correlate_languages(values, distances, names=("syntactic distance", "transfer gap"))
    assert result.refused == ("only 3 language(s) have both a syntactic distance and a transfer gap; "
                              "a correlation needs at least 4")


def test_fit_line_is_least_squares_with_the_band_of_the_mean() -> None:
    band = fit_line(X, Y, n_points=41)
    slope, intercept = np.polyfit(X, Y, 1)
    np.testing.assert_allclose(band["fit"], intercept + slope * band["x"])
    assert band["x"].min() == pytest.approx(X.min()) and band["x"].max() == pytest.approx(X.max())
    width = band["high"] - band["low"]
    assert width.idxmin() == (band["x"] - X.mean()).abs().idxmin(), "narrowest at the centre of the data"
    # x symmetric around 0: the middle of a 3-point band is at mean(x), where the band is the
    # t-interval of the mean response, ± t(n−2) · s / sqrt(n).
    x = np.linspace(-1, 1, 15)
    y = 0.5 * x + RNG.normal(size=15)
    residual_sd = np.sqrt(((y - np.polyval(np.polyfit(x, y, 1), x)) ** 2).sum() / 13)
    middle = fit_line(x, y, confidence=0.9, n_points=3).iloc[1]
    assert middle["x"] == pytest.approx(0.0)
    assert middle["high"] - middle["fit"] == pytest.approx(stats.t.ppf(0.95, 13) * residual_sd / np.sqrt(15))
    with pytest.raises(ValueError, match="at least 3 points"):
        fit_line([0.1, 0.2, np.nan], [1.0, 2.0, 3.0])


def test_partial_correlation_over_the_languages_all_three_frames_share() -> None:
    langs = [f"l{i}" for i in range(15)]
    values = pd.DataFrame({"language": langs, "value": Y})
    distances = pd.DataFrame({"language": langs[::-1], "distance": X[::-1]})  # another order
    covariate = pd.DataFrame({"language": langs[:12], "covariate": Z[:12]})  # three languages lack it
    table = partial_correlate_languages(values, distances, covariate).table.set_index("method")
    assert list(table.index) == ["partial_pearson", "partial_spearman"] and (table["n"] == 12).all()
    direct = partial_correlation(X[:12], Y[:12], Z[:12], method="spearman").table.iloc[0]
    assert table.loc["partial_spearman", "coefficient"] == pytest.approx(direct["coefficient"])
    constant = covariate.assign(covariate=3.0)
    refused = partial_correlate_languages(values, distances, constant, names=("distance", "gap", "genetic distance"))
    assert refused.refused == "the genetic distance is the same (3) for all 12 languages; nothing to correlate"


def test_source_distances_cover_every_type_of_the_table() -> None:
    table = distance_table(["en", "de", "ja", "zh"], ["syntactic", "genetic"])
    long = source_distances(table, "en")
    assert list(long["distance_type"].unique()) == ["syntactic", "genetic"]
    genetic = long[long["distance_type"] == "genetic"].set_index("language")["distance"]
    pd.testing.assert_series_equal(genetic, distances_to_source(table, "en", "genetic").set_index("language")["distance"])
    assert source_distances(table, "en", source="urielplus").empty


def test_values_by_task_takes_each_task_s_own_metric() -> None:
    xnli = _results({"en": [88.0], "de": [80.0], "ja": [70.0]})
    mlqa = _results({"en": [80.0], "de": [60.0]}).assign(target_task="mlqa", metric="f1")
    mlqa_em = mlqa.assign(metric="em", value=[70.0, 50.0])
    rows = pd.concat([xnli, mlqa, mlqa_em], ignore_index=True)
    values = values_by_task(rows, "value", {"xnli": "accuracy", "mlqa": "em", "pawsx": "accuracy"})
    assert values.groupby("target_task")["value"].apply(list).to_dict() == {
        "mlqa": [50.0, 70.0], "xnli": [80.0, 88.0, 70.0]
    }
    without_source = values_by_task(rows, "value", {"xnli": "accuracy", "mlqa": "em"}, source_languages=["en"])
    assert without_source.groupby("target_task")["language"].apply(list).to_dict() == {"mlqa": ["de"],
                                                                                     "xnli": ["de", "ja"]}


def test_scatter_points_keep_languages_without_a_distance_and_name_them() -> None:
    values = pd.DataFrame({"language": ["de", "ja", "sw"], "value": [5.0, 15.0, 20.0]})
    distances = pd.DataFrame({"language": ["de", "ja"], "distance": [0.2, 0.6]})
    points = scatter_points(values, distances).set_index("language")
    assert np.isnan(points.loc["sw", "distance"]) and points.loc["ja", "distance"] == 0.6
    assert points.loc["ja", ["name", "family", "script"]].tolist() == ["Japanese", "Japonic", "Japanese (kanji, kana)"]
    assert points.loc["sw", "value"] == 20.0


def test_grid_cells_mark_significance_after_correction() -> None:
    langs = [f"l{i}" for i in range(12)]
    values = pd.DataFrame({"target_task": ["a"] * 12 + ["b"] * 3, "language": langs + langs[:3],
                           "value": np.r_[X[:12] + 0.01 * Y[:12], [1.0, 2.0, 3.0]]})
    distances = pd.concat([pd.DataFrame({"distance_type": kind, "language": langs, "distance": d})
                           for kind, d in (("syntactic", X[:12]), ("genetic", Z[:12]))])
    grid = correlation_grid(values, distances, ["target_task"], n_boot=200)
    cells = grid_cells(grid, "kendall", alpha=0.05)
    assert len(cells) == 2 + 2, "two tested cells of task a, two refused cells of task b"
    tested = cells[cells["refused"].isna()].set_index("distance_type")
    assert (tested["method"] == "kendall").all()
    assert tested["significant"].to_dict() == (tested["p_adjusted"] < 0.05).to_dict()
    assert tested.loc["syntactic", "significant"], "a near-perfect relation stays significant after Holm"
    assert not cells.loc[cells["refused"].notna(), "significant"].any()
    with pytest.raises(ValueError, match="method must be one of"):
        grid_cells(grid, "partial_pearson")
