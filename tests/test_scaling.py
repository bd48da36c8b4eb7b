"""Score and transfer gap against model size: log-linear fits with t-intervals, refusals, no mixed settings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pipeline.analysis.scaling import fit_log_linear, fit_scaling, model_family, scaling_points
from pipeline.published.importer import published_rows

SIZES = np.array([1e8, 3e8, 1e9, 3e9, 1e10, 3e10])


def test_known_slope_is_recovered_and_matches_scipy_linregress() -> None:
    rng = np.random.default_rng(0)
    values = 40 + 6 * np.log10(SIZES) + rng.normal(0, 0.5, len(SIZES))
    fit = fit_log_linear(SIZES, values)
    reference = stats.linregress(np.log10(SIZES), values)
    t = stats.t.ppf(0.975, len(SIZES) - 2)
    assert fit.ok and fit.slope == pytest.approx(reference.slope) and fit.intercept == pytest.approx(reference.intercept)
    assert (fit.slope_low, fit.slope_high) == pytest.approx(
        (reference.slope - t * reference.stderr, reference.slope + t * reference.stderr))
    assert fit.slope_low < 6 < fit.slope_high and fit.p_value == pytest.approx(reference.pvalue)
    assert fit.r2 == pytest.approx(reference.rvalue**2)
    at_one = fit.band([1.0]).iloc[0]  # log10(1) = 0: the band is the intercept's interval
    assert (at_one["low"], at_one["high"]) == pytest.approx(
        (reference.intercept - t * reference.intercept_stderr, reference.intercept + t * reference.intercept_stderr))


def test_band_is_narrowest_at_the_mean_log_size() -> None:
    values = 70 - 2 * np.log10(SIZES) + np.array([0.3, -0.2, 0.1, -0.4, 0.2, 0.0])
    band = fit_log_linear(SIZES, values).band(np.logspace(8, 10.5, 101))
    widths = (band["high"] - band["low"]).to_numpy()
    centre = 10 ** np.log10(SIZES).mean()
    assert band["params"].iloc[int(np.argmin(widths))] == pytest.approx(centre, rel=0.05)


def test_fewer_than_three_sizes_is_refused_with_the_reason() -> None:
    fit = fit_log_linear([270e6, 270e6, 550e6, 550e6, np.nan], [70, 71, 75, 76, 80])
    assert not fit.ok and "only 2 model sizes" in fit.refused and np.isnan(fit.slope)
    with pytest.raises(ValueError, match="no fit"):
        fit.band([1e9])


def _row(model: str, params: float, value: float, setting: str = "zero-shot", language: str = "de") -> dict:
    return {"run_id": f"run-{model}-{setting}", "source_id": "pipeline", "model": model, "model_params": params,
            "setting": setting, "target_task": "xnli", "language": language, "metric": "accuracy", "split": "test",
            "intermediate_task": "none", "intermediate_languages": "en", "mlm_cotraining": False,
            "perturbation": "none", "seed": None, "value": value, "uncertain": False}


def test_settings_and_families_are_never_fitted_together() -> None:
    rows = [_row(f"xlm-roberta-{s}", p, v) for s, p, v in [("base", 2.7e8, 75), ("large", 5.5e8, 79), ("xl", 3.5e9, 82)]]
    rows += [_row(f"xlm-roberta-{s}", p, v, setting="translate-train-all") for s, p, v in [("xl", 3.5e9, 85), ("xxl", 1.07e10, 86)]]
    rows += [_row(f"mt5-{s}", p, v) for s, p, v in [("small", 3e8, 60), ("base", 5.8e8, 65)]]
    fits = fit_scaling(scaling_points(pd.DataFrame(rows)))
    assert len(fits) == 3
    zero_shot = fits[(fits["family"] == "xlm-roberta") & (fits["setting"] == "zero-shot")].iloc[0]
    assert pd.isna(zero_shot["refused"]) and zero_shot["n_sizes"] == 3
    assert zero_shot["slope"] == pytest.approx(fit_log_linear([2.7e8, 5.5e8, 3.5e9], [75, 79, 82]).slope)
    assert fits[fits["family"] == "mt5"]["refused"].iloc[0].startswith("only 2 model sizes")


def test_model_family_strips_size_words() -> None:
    assert [model_family(m) for m in ["xlm-roberta-xxl", "google/mt5-small", "bert-base-multilingual-cased"]] == [
        "xlm-roberta", "mt5", "bert-multilingual-cased"]


def test_published_xlmr_translate_train_all_gap_shrinks_with_size_on_shared_languages() -> None:
    results = pd.DataFrame(published_rows())
    points = scaling_points(results[results["target_task"] == "xnli"], "mean_gap")
    curve = points[(points["family"] == "xlm-roberta") & (points["setting"] == "translate-train-all")]
    assert sorted(curve["model"]) == ["xlm-roberta-base", "xlm-roberta-large", "xlm-roberta-xl", "xlm-roberta-xxl"]
    assert set(curve["n_languages"]) == {14}
    fit = fit_log_linear(curve["model_params"], curve["value"])
    assert fit.ok and fit.slope < 0
    gaps = scaling_points(results[results["target_task"] == "xnli"], "gap")
    xl = gaps[(gaps["model"] == "xlm-roberta-xl") & (gaps["setting"] == "translate-train-all")].set_index("language")
    assert "en" not in xl.index and xl.loc["de", "value"] == pytest.approx(91.1 - 87.0)  # fairseq README, XNLI
    assert xl.loc["sw", "value"] == pytest.approx(91.1 - 79.8)
