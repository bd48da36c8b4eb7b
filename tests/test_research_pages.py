"""AppTest runs of the four research pages (Scale, Robustness, Languages in training, Task complexity).

On the shipped published results, and on store rows in the exact schema a tiny-cpu pipeline run writes
with perturbed evaluations and several nested intermediate-language sets.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.analysis.robustness import robustness_drops
from pipeline.analysis.scaling import fit_scaling, scaling_points
from pipeline.store import ResultsStore
from tests.test_app import on_page, open_app, texts

PAGES = ["pages/scale.py", "pages/robustness.py", "pages/intermediate_languages.py", "pages/complexity.py"]
TINY = "tiny-xlmr-test"
PERTURBATIONS = ("char_noise@0.1", "char_noise@0.3")


def tiny_run_rows(language_sets: list[str], seeds: tuple[int, ...] = (1, 2)) -> list[dict]:
    """A baseline and MNLI on each language set, per seed: XNLI evaluated clean and perturbed, as the pipeline writes."""
    rng = np.random.default_rng(0)
    rows = []
    for seed in seeds:
        baseline_id = f"tiny-none-{seed}"
        for languages in ["none", *language_sets]:
            is_baseline = languages == "none"
            k = 0 if is_baseline else len(languages.split(","))
            for target_language in ("en", "ru", "zh"):
                clean = 40 + 6 * (1 - np.exp(-0.7 * k)) + rng.normal(0, 0.3)
                for perturbation in ("none", *PERTURBATIONS):
                    strength = 0.0 if perturbation == "none" else float(perturbation.split("@")[1])
                    sensitivity = 25 if languages in ("none", "en") else 12
                    rows.append({
                        "run_id": baseline_id if is_baseline else f"tiny-{languages}-{seed}", "source": "run",
                        "provenance": "data/configs/tiny-cpu.yaml#test", "model": TINY, "model_params": 112_320,
                        "intermediate_task": "none" if is_baseline else "mnli",
                        "intermediate_languages": "en" if is_baseline else languages, "mlm_cotraining": False,
                        "target_task": "xnli", "language": target_language, "metric": "accuracy",
                        "value": clean - sensitivity * strength + rng.normal(0, 0.2), "split": "test",
                        "setting": "zero-shot", "seed": seed, "perturbation": perturbation,
                        "baseline_run_id": None if is_baseline else baseline_id, "test_artifact": True,
                    })
    return rows


def with_tiny_run(store_path: Path, language_sets: list[str]):
    ResultsStore(store_path).insert_results(tiny_run_rows(language_sets), label="tiny-cpu run")
    app = open_app(artifacts="1")
    app.multiselect(key="model").set_value([TINY]).run()
    return app


def all_text(app) -> str:
    return " ".join(texts(app.info) + texts(app.markdown) + texts(app.caption) + texts(app.warning))


# --------------------------------------------------------------------------- shipped data


@pytest.mark.parametrize("page", PAGES)
def test_research_pages_render_on_the_shipped_data(store_path: Path, page: str) -> None:
    app = on_page(open_app(), page)
    assert app.title and not app.error


def test_scale_opens_on_a_zero_shot_fit_with_its_whole_legend(store_path: Path) -> None:
    app = on_page(open_app(), "pages/scale.py")
    assert app.selectbox(key="sc_family").value == "mt5", "the family with the most zero-shot sizes"
    assert app.selectbox(key="sc_setting").value == "zero-shot" and app.selectbox(key="sc_task").value == "xnli"
    assert "slope" in all_text(app) and len(app.get("plotly_chart")) == 1
    app.radio(key="sc_quantity").set_value("mean_gap").run()
    assert app.selectbox(key="sc_family").value == "mt5", "a quantity never switches the family silently"
    assert "No mean transfer gap over non-english languages for mt5" in all_text(app)
    assert not app.get("plotly_chart")


def test_scale_fits_xlmr_on_xnli_with_its_slope_interval_and_labels_the_setting(store_path: Path) -> None:
    app = on_page(open_app(sc_family="xlm-roberta"), "pages/scale.py")
    assert app.selectbox(key="sc_family").value == "xlm-roberta"
    assert app.selectbox(key="sc_task").value == "xnli"
    setting = app.selectbox(key="sc_setting").value
    assert setting == "translate-train-all"
    assert "not zero-shot" in all_text(app) and setting in app.subheader[0].value
    rows = ResultsStore(store_path).read_results()
    fits = fit_scaling(scaling_points(rows[rows["setting"] == setting]))
    mean = fits[(fits["family"] == "xlm-roberta") & (fits["target_task"] == "xnli") & (fits["language"] == "avg")
                & (fits["intermediate_task"] == "none")].iloc[0]
    half = (mean["slope_high"] - mean["slope_low"]) / 2
    assert app.dataframe[0].value.loc["avg", "slope per 10× parameters"] == f"{mean['slope']:.3f} ± {half:.3f} (n=4)"
    assert f"95% CI {mean['slope_low']:+.2f} to {mean['slope_high']:+.2f}" in all_text(app)
    assert len(app.get("plotly_chart")) == 1

    app.radio(key="sc_quantity").set_value("mean_gap").run()
    assert not app.exception and app.dataframe[0].value.index.tolist() == ["avg"]


def test_scale_refuses_a_fit_with_fewer_than_three_sizes(store_path: Path) -> None:
    app = on_page(open_app(), "pages/scale.py")
    app.multiselect(key="model").set_value(["xlm-roberta-base", "xlm-roberta-large"]).run()
    assert not app.exception
    assert "a log-linear fit needs at least 3" in all_text(app)
    assert not app.dataframe, "no fit table without a fit"


def test_complexity_shows_profiles_and_rank_correlations_of_the_published_gains(store_path: Path) -> None:
    app = on_page(open_app(), "pages/complexity.py")
    profiles = app.dataframe[0].value
    assert profiles.loc["anli_plus", "train_size"] == 1104934 and profiles.loc["qqp", "label_space"] == 2
    assert "Gap change needs per-language results" in all_text(app)
    correlations = app.dataframe[1].value
    assert ("Training-set size (examples)", "Mean gain over target languages") in correlations.index
    assert {"spearman", "kendall"} == set(correlations.columns)
    assert app.selectbox(key="cx_condition").value == "xlm-roberta-large · phang2020_v1 · dev · zero-shot"
    assert len(app.get("plotly_chart")) == 1
    app.radio(key="cx_outcome").set_value("gap_change").run()
    assert not app.exception and "no task has a gap_change" in all_text(app)


@pytest.mark.parametrize(("page", "says"), [
    ("pages/robustness.py", "perturbation = <name>@<strength>"),
    ("pages/intermediate_languages.py", "nested language sets"),
])
def test_pages_that_need_pipeline_runs_say_which_run_produces_the_data(store_path: Path, page: str, says: str) -> None:
    app = on_page(open_app(), page)
    message = " ".join(texts(app.info))
    assert says in message and "python -m pipeline" in message and "data/configs/" in message
    assert not app.get("plotly_chart")


# --------------------------------------------------------------------------- a tiny-cpu run


def test_robustness_shows_drops_with_intervals_english_vs_other_training(store_path: Path) -> None:
    app = on_page(with_tiny_run(store_path, ["en", "de,en", "de,en,ru"]), "pages/robustness.py")
    assert any("tiny test model" in w.value for w in app.warning)
    assert len(app.get("plotly_chart")) == 1
    drops_table, differences_table = app.dataframe[0].value, app.dataframe[1].value
    assert list(drops_table.columns) == ["en", "de,en", "de,en,ru"]
    drops = robustness_drops(ResultsStore(store_path).read_results())
    german_strong = drops[(drops["language"] == "ru") & (drops["strength"] == 0.3)
                          & (drops["intermediate_languages"] == "de,en")].iloc[0]
    half = (german_strong["ci_high"] - german_strong["ci_low"]) / 2
    assert drops_table.loc[("ru", 0.3), "de,en"] == f"{german_strong['drop']:+.1f} ± {half:.1f} (n=2)"
    assert list(differences_table.columns) == ["de,en", "de,en,ru"]
    assert all("±" in cell for cell in differences_table.to_numpy().ravel())

    app.multiselect(key="rb_strength").set_value([0.1]).run()
    assert set(app.dataframe[0].value.index.get_level_values("strength")) == {0.1}


def test_languages_in_training_refuses_two_points_for_three_parameters(store_path: Path) -> None:
    app = on_page(with_tiny_run(store_path, ["en", "de,en"]), "pages/intermediate_languages.py")
    message = " ".join(texts(app.info))
    assert "only 2 distinct numbers of languages" in message and "3 parameters" in message
    assert len(app.get("plotly_chart")) == 1, "the points are still shown"
    app.selectbox(key="il_lang").set_value("ru").run()
    assert not app.exception and "only 2 distinct numbers of languages" in " ".join(texts(app.info))


def test_languages_in_training_fits_both_forms_with_a_threshold(store_path: Path) -> None:
    app = on_page(with_tiny_run(store_path, ["en", "de,en", "de,en,ru", "de,en,ru,zh", "ar,de,en,ru,zh"]),
                  "pages/intermediate_languages.py")
    assert len(app.get("plotly_chart")) == 1
    fits = app.dataframe[0].value
    assert set(fits.index) == {"exponential", "power"} and {"AICc", "Akaike weight", "threshold k"} <= set(fits.columns)
    assert "one more language adds less than 0.5 points" in all_text(app)


# --------------------------------------------------------------------------- one input condition per view


def mean_of(rows: list[dict], **where: object) -> float:
    return float(np.mean([r["value"] for r in rows if all(r[k] == v for k, v in where.items())]))


def test_overview_and_languages_show_clean_inputs_unless_a_perturbation_is_chosen(store_path: Path) -> None:
    """A sweep with perturbed evaluations: the main table and the language view never average clean and
    perturbed scores; they open on clean inputs and name a chosen perturbation in their titles."""
    rows = tiny_run_rows(["en"])
    app = with_tiny_run(store_path, ["en"])
    inputs = app.selectbox(key="inputs")
    assert inputs.value == "none" and inputs.options == ["clean", *(f"perturbed: {p}" for p in PERTURBATIONS)]
    mnli_clean = mean_of(rows, intermediate_task="mnli", perturbation="none")
    assert app.dataframe[0].value.loc["MNLI", "XNLI"] == pytest.approx(round(mnli_clean, 1))

    inputs.set_value("char_noise@0.3").run()
    mnli_noisy = mean_of(rows, intermediate_task="mnli", perturbation="char_noise@0.3")
    assert abs(mnli_noisy - mnli_clean) > 5, "the fixture's perturbation costs points"
    assert app.dataframe[0].value.loc["MNLI", "XNLI"] == pytest.approx(round(mnli_noisy, 1))
    assert "perturbed inputs (char_noise@0.3)" in " ".join(texts(app.caption))

    app = on_page(app, "pages/languages.py")  # the choice travels in the link, as every filter does
    app.radio(key="compare").set_value("intermediate").run()
    assert app.selectbox(key="inputs").value == "char_noise@0.3"
    assert "perturbed inputs (char_noise@0.3)" in " ".join(texts(app.subheader))
    gaps = app.dataframe[0].value.set_index("series")["mean_gap"]
    gap = np.mean([mean_of(rows, intermediate_task="mnli", perturbation="char_noise@0.3", language="en")
                   - mean_of(rows, intermediate_task="mnli", perturbation="char_noise@0.3", language=lang)
                   for lang in ("ru", "zh")])
    assert gaps.iloc[0] == pytest.approx(gap)
    app.selectbox(key="inputs").set_value("none").run()
    assert "perturbed" not in " ".join(texts(app.subheader))

    app = on_page(app, "pages/typology.py")  # the same choice, and the same key, on the Typology page
    assert app.selectbox(key="inputs").value == "none"
    linked = open_app(artifacts="1", model=TINY, inputs="no_such@0.5")  # a hand-edited link: clean inputs
    assert linked.selectbox(key="inputs").value == "none"
