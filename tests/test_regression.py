"""Size covariate and multivariate model == hand computations (numpy lstsq, textbook formulas) on the shipped data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pipeline.analysis.correlation import partial_correlate_languages, source_distances
from pipeline.analysis.language_features import language_frame, target_values
from pipeline.analysis.regression import MIN_LANGUAGES, fit_ols, variance_inflation
from pipeline.published import published_rows
from pipeline.typology import benchmark_languages, distance_table
from pipeline.typology.pretraining import pretraining_sizes


@pytest.fixture(scope="module")
def xnli() -> pd.DataFrame:
    """XLM-R Large zero-shot XNLI gaps (published) beside the six lang2vec distances to English and CC-100 size."""
    rows = pd.DataFrame(published_rows())
    rows = rows[(rows["model"] == "xlm-roberta-large") & (rows["target_task"] == "xnli")
                & (rows["setting"] == "zero-shot") & (rows["language"] != "avg")]
    features = language_frame(source_distances(distance_table(sources="lang2vec"), "en"),
                              pretraining_sizes("xlm-roberta-large"), benchmark_languages())
    return features.merge(target_values(rows, "gap"), on="language")


def _hand_ols(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Coefficients, standard errors and R² of y on [1, x] by numpy lstsq and the textbook formulas."""
    design = np.column_stack([np.ones(len(x)), x])
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    residuals = y - design @ beta
    s2 = residuals @ residuals / (len(y) - design.shape[1])
    se = np.sqrt(s2 * np.diag(np.linalg.inv(design.T @ design)))
    return beta[1:], se[1:], 1 - residuals @ residuals / ((y - y.mean()) @ (y - y.mean()))


def test_partial_correlation_controlling_for_log_size_is_the_textbook_formula(xnli: pd.DataFrame) -> None:
    assert len(xnli) == 14 and xnli["log_size"].notna().all()
    result = partial_correlate_languages(
        xnli[["language", "value"]], xnli[["language", "syntactic"]].rename(columns={"syntactic": "distance"}),
        xnli[["language", "log_size"]].rename(columns={"log_size": "covariate"}))
    r = np.corrcoef(xnli[["syntactic", "value", "log_size"]].to_numpy(), rowvar=False)
    expected = (r[0, 1] - r[0, 2] * r[1, 2]) / np.sqrt((1 - r[0, 2] ** 2) * (1 - r[1, 2] ** 2))
    pearson = result.table.set_index("method").loc["partial_pearson"]
    assert pearson["coefficient"] == pytest.approx(expected)
    assert pearson["coefficient"] < r[0, 1], "part of the distance–gap correlation is corpus size"
    assert pearson["p_value"] == pytest.approx(2 * stats.t.sf(abs(expected) * np.sqrt(11 / (1 - expected ** 2)), 11))


def test_standardised_coefficients_intervals_and_r2_match_numpy(xnli: pd.DataFrame) -> None:
    features = ["syntactic", "geographic", "log_size"]
    result = fit_ols(xnli, "value", features, confidence=0.9)
    assert result.ok and result.n == 14 and not result.warnings
    z = xnli[[*features, "value"]].apply(lambda c: (c - c.mean()) / c.std(ddof=1))
    beta, se, r2 = _hand_ols(z[features].to_numpy(), z["value"].to_numpy())
    table = result.coefficients.set_index("feature").loc[features]
    np.testing.assert_allclose(table["coefficient"], beta)
    np.testing.assert_allclose(table["std_error"], se)
    half = stats.t.ppf(0.95, 14 - 3 - 1) * se
    np.testing.assert_allclose(table["ci_low"], beta - half)
    np.testing.assert_allclose(table["ci_high"], beta + half)
    raw, *_ = _hand_ols(xnli[features].to_numpy(), xnli["value"].to_numpy())
    np.testing.assert_allclose(table["raw_coefficient"], raw)
    assert result.r2 == pytest.approx(r2)
    assert result.adj_r2 == pytest.approx(1 - (1 - r2) * 13 / 10)


def test_one_feature_reduces_to_scipy_linregress(xnli: pd.DataFrame) -> None:
    result = fit_ols(xnli, "value", ["syntactic"])
    line = stats.linregress(xnli["syntactic"], xnli["value"])
    row = result.coefficients.iloc[0]
    assert row["coefficient"] == pytest.approx(line.rvalue) and row["p_value"] == pytest.approx(line.pvalue)
    assert row["raw_coefficient"] == pytest.approx(line.slope) and result.r2 == pytest.approx(line.rvalue ** 2)


def test_leave_one_language_out_r2_is_the_explicit_refit_loop(xnli: pd.DataFrame) -> None:
    features = ["syntactic", "log_size"]
    result = fit_ols(xnli, "value", features)
    x, y = xnli[features].to_numpy(), xnli["value"].to_numpy()
    press = 0.0
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        beta, *_ = np.linalg.lstsq(np.column_stack([np.ones(keep.sum()), x[keep]]), y[keep], rcond=None)
        press += (y[i] - beta[0] - x[i] @ beta[1:]) ** 2
    assert result.loo_r2 == pytest.approx(1 - press / ((y - y.mean()) @ (y - y.mean())))
    assert result.loo_r2 < result.r2


def test_vif_is_one_over_one_minus_the_auxiliary_r2_and_collinearity_warns(xnli: pd.DataFrame) -> None:
    features = ["syntactic", "inventory", "featural", "log_size"]  # featural concatenates syntax and inventory
    x = xnli[features].to_numpy()
    for j in range(4):
        *_, r2 = _hand_ols(np.delete(x, j, axis=1), x[:, j])
        assert variance_inflation(x)[j] == pytest.approx(1 / (1 - r2))
    result = fit_ols(xnli, "value", features)
    assert result.ok and "collinear features: syntactic (VIF" in result.warnings[0]
    assert "featural" in result.warnings[0] and "log_size" not in result.warnings[0]


def test_refused_with_the_reason_below_the_minimum(xnli: pd.DataFrame) -> None:
    few = fit_ols(xnli.head(MIN_LANGUAGES - 1), "value", ["syntactic"])
    assert not few.ok and few.refused.startswith(f"only {MIN_LANGUAGES - 1} language(s) have the value")
    every = fit_ols(xnli, "value", ["syntactic", "phonological", "inventory", "featural", "genetic", "geographic",
                                    "log_size"])
    assert every.ok, "seven features on 14 languages leave the 6 residual degrees of freedom needed"
    squeezed = fit_ols(xnli.head(10), "value", ["syntactic", "geographic", "log_size", "genetic", "inventory"])
    assert squeezed.refused.startswith("only 10 language(s)") and "need at least 11" in squeezed.refused
    constant = fit_ols(xnli.assign(flat=1.0), "value", ["syntactic", "flat"])
    assert constant.refused == "flat is the same for all 14 languages; it cannot enter a regression"
    twice = fit_ols(xnli.assign(double=2 * xnli["syntactic"]), "value", ["syntactic", "double"])
    assert twice.refused.startswith("the features syntactic, double are perfectly collinear")
    with pytest.raises(ValueError, match="no column.*typo"):
        fit_ols(xnli, "value", ["typo"])


def test_a_language_without_a_size_is_left_out_not_filled_in(xnli: pd.DataFrame) -> None:
    holed = xnli.assign(log_size=xnli["log_size"].where(xnli["language"] != "sw"))
    result = fit_ols(holed, "value", ["syntactic", "log_size"])
    assert result.n == 13 and "sw" not in result.languages
