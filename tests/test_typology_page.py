"""The Typology page in a real Streamlit script run (AppTest) on the shipped published results."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pipeline.analysis.correlation import correlate_languages, distances_to_source, partial_correlate_languages
from pipeline.analysis.regression import fit_ols
from pipeline.published import published_rows
from pipeline.store import ResultsStore
from pipeline.tasks import get_target_task
from pipeline.typology import distance_table
from pipeline.typology.pretraining import pretraining_sizes
from tests.conftest import REPO

PAGE = "pages/typology.py"


def open_page(**link: str) -> AppTest:
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    app.query_params.update(link)
    app.switch_page(PAGE).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def correlations(app: AppTest) -> pd.DataFrame:
    """The coefficient table under the scatter (the page's first table)."""
    return app.dataframe[0].value.set_index("method")


def infos(app: AppTest) -> str:
    return " ".join(i.value for i in app.info)


def xnli_gaps(model: str = "xlm-roberta-large") -> pd.DataFrame:
    """``language, value``: the published zero-shot XNLI transfer gaps, computed here from the raw rows."""
    rows = pd.DataFrame(published_rows())
    rows = rows[(rows["model"] == model) & (rows["target_task"] == "xnli") & (rows["setting"] == "zero-shot")]
    scores = rows.groupby("language")["value"].mean()
    return (scores["en"] - scores.drop("en")).rename("value").rename_axis("language").reset_index()


def test_default_view_correlates_xnli_gaps_with_syntactic_distance(store_path: Path) -> None:
    app = open_page()
    assert app.title[0].value == "Typology" and not app.warning
    assert app.selectbox(key="typ_task").value == "xnli"
    assert app.selectbox(key="typ_model").value == "xlm-roberta-large"
    assert app.selectbox(key="typ_distance").value == "syntactic" and app.radio(key="typ_source").value == "lang2vec"
    table = correlations(app)
    assert list(table.index) == ["pearson", "spearman", "kendall"]
    assert (table["n"] == 14).all(), "XNLI's 15 languages minus English, the source"
    assert (table["ci_low"] < table["coefficient"]).all() and (table["coefficient"] < table["ci_high"]).all()
    distances = distances_to_source(distance_table(sources="lang2vec"), "en", "syntactic")
    expected = correlate_languages(xnli_gaps(), distances).table.set_index("method")
    pd.testing.assert_series_equal(table["coefficient"], expected["coefficient"].round(3))
    assert (table["p_value"] > 0).all() and (table["p_value"] < 0.001).all(), "strong, and shown as such"
    assert len(app.get("plotly_chart")) == 8, "scatter, heatmap; size axis, coefficients, Lauscher, predictor (3)"
    grid = app.dataframe[1].value
    assert {"xnli", "pawsx"} <= set(grid["target_task"]) and set(grid["distance_type"]) == {
        "syntactic", "phonological", "inventory", "featural", "genetic", "geographic"}
    assert len(app.dataframe[2].value) == 14, "the distance table lists every language of the scatter"


def test_switching_distance_source_type_and_task(store_path: Path) -> None:
    app = open_page()
    lang2vec = correlations(app)["coefficient"]
    app.radio(key="typ_source").set_value("urielplus").run()
    assert not app.exception
    assert (correlations(app)["n"] == 14).all()
    assert not correlations(app)["coefficient"].equals(lang2vec), "URIEL+ distances are not lang2vec's"
    app.selectbox(key="typ_distance").set_value("phonological").run()
    assert ("urielplus has no phonological distance between en and Arabic (ar), Urdu (ur): left out"
            in infos(app)), "languages URIEL+ cannot measure are dropped by name"
    assert (correlations(app)["n"] == 12).all()
    app.selectbox(key="typ_task").set_value("pawsx").run()
    assert not app.exception and "left out" not in infos(app)
    assert app.selectbox(key="typ_model").value == "xlm-roberta-large"
    assert (correlations(app)["n"] == 6).all(), "PAWS-X has 7 languages, English is the source"


def test_partial_correlation_and_correction_are_selectable(store_path: Path) -> None:
    app = open_page()
    covariates = app.selectbox(key="typ_covariate").options
    assert "score:xlm-roberta-large" not in covariates, "the gap of a baseline is its own score: circular"
    app.selectbox(key="typ_covariate").set_value("distance:geographic").run()
    table = correlations(app)
    assert list(table.index) == ["pearson", "spearman", "kendall", "partial_pearson", "partial_spearman"]
    app.selectbox(key="typ_covariate").set_value("score:xlm-roberta-base").run()
    assert correlations(app).loc["partial_pearson", "n"] == 14
    holm = app.dataframe[1].value["p_adjusted"].dropna()
    app.radio(key="typ_correction").set_value("bh").run()
    bh = app.dataframe[1].value["p_adjusted"].dropna()
    assert bh.index.equals(holm.index)
    assert (bh <= holm + 1e-9).all() and (bh < holm).any(), "BH is never stricter than Holm"


def test_a_link_reproduces_the_view(store_path: Path) -> None:
    first = open_page()
    first.selectbox(key="typ_task").set_value("pawsx").run()
    first.radio(key="typ_source").set_value("urielplus").run()
    first.selectbox(key="typ_distance").set_value("genetic").run()
    first.radio(key="typ_method").set_value("kendall").run()
    link = dict(first.query_params)
    assert link["typ_task"] == "pawsx" and link["typ_distance"] == "genetic" and link["typ_source"] == "urielplus"

    second = open_page(**link)
    assert not second.warning, [w.value for w in second.warning]
    assert second.selectbox(key="typ_task").value == "pawsx" and second.radio(key="typ_method").value == "kendall"
    for i in range(3):
        pd.testing.assert_frame_equal(second.dataframe[i].value, first.dataframe[i].value)


@pytest.mark.parametrize(
    ("link", "message"),
    [
        ({"typ_task": "conll_ner"},
         "No correlation for CoNLL 2002/2003 NER: only 3 language(s) have both a syntactic distance and a transfer gap; "
         "a correlation needs at least 4"),
        ({"typ_measure": "gain"}, "so there is no gain to relate to distance"),
    ],
)
def test_too_few_languages_or_no_gain_is_explained(store_path: Path, link: dict[str, str], message: str) -> None:
    app = open_page(**link)
    assert message in infos(app)
    assert not app.error


def test_gain_after_multilingual_intermediate_training_uses_its_languages_as_source(store_path: Path) -> None:
    """Pipeline-shaped rows: a baseline and an MNLI run trained on German and English, on every XNLI language."""
    languages = sorted(get_target_task("xnli").languages)
    base = {"source": "run", "model": "tiny-xlmr", "target_task": "xnli", "metric": "accuracy", "split": "test",
            "setting": "zero-shot", "seed": 1, "test_artifact": True}
    baseline = [{**base, "run_id": "base", "intermediate_task": "none", "language": lang, "value": 40.0 + i}
                for i, lang in enumerate(languages)]
    tuned = [{**base, "run_id": "mnli", "baseline_run_id": "base", "intermediate_task": "mnli",
              "intermediate_languages": "de,en", "language": lang, "value": 40.0 + i + (i * 7) % 5}
             for i, lang in enumerate(languages)]
    ResultsStore(store_path).insert_results(baseline + tuned, label="fixture")
    gains = pd.DataFrame({"language": languages, "value": [float((i * 7) % 5) for i in range(len(languages))]})

    app = open_page(typ_model="tiny-xlmr", typ_measure="gain", artifacts="1")
    assert any("tiny test model" in w.value for w in app.warning)
    assert app.selectbox(key="typ_inter").value == "mnli@de,en"
    assert app.selectbox(key="typ_source_lang").options == ["English", "German", "German + English"]
    assert (correlations(app)["n"] == 14).all()
    app.selectbox(key="typ_source_lang").set_value("de,en").run()
    app.radio(key="typ_how").set_value("min").run()
    assert not app.exception and (correlations(app)["n"] == 13).all(), "both source languages are left out"
    nearest = distances_to_source(distance_table(sources="lang2vec"), ["de", "en"], "syntactic", how="min")
    expected = correlate_languages(gains[~gains["language"].isin(["de", "en"])], nearest).table.set_index("method")
    pd.testing.assert_series_equal(correlations(app)["coefficient"], expected["coefficient"].round(3))


def table_with(app: AppTest, *columns: str) -> pd.DataFrame:
    """The first table on the page that has these columns."""
    return next(t.value for t in app.dataframe if set(columns) <= set(t.value.columns))


def test_size_covariate_multivariate_model_and_predictor_on_the_shipped_data(store_path: Path) -> None:
    app = open_page()
    sizes = pretraining_sizes("xlm-roberta-large")
    distances = distances_to_source(distance_table(sources="lang2vec"), "en", "syntactic")
    both = table_with(app, "relation").set_index(["relation", "method"])
    assert both.loc[("syntactic distance", "pearson"), "coefficient"] == pytest.approx(0.837, abs=1e-3)
    expected = partial_correlate_languages(xnli_gaps(), distances,
                                           sizes[["language", "log_size"]].set_axis(["language", "covariate"], axis=1))
    assert both.loc[("syntactic distance | log CC-100 size", "partial_pearson"), "coefficient"] == pytest.approx(
        expected.table.set_index("method").loc["partial_pearson", "coefficient"], abs=5e-4)
    assert app.multiselect(key="typ_mv_features").value == ["syntactic", "log_size"]
    fit = table_with(app, "statistic").set_index("statistic")["value"]
    frame = xnli_gaps().merge(distances.rename(columns={"distance": "syntactic"}), on="language").merge(
        sizes[["language", "log_size"]], on="language")
    ols = fit_ols(frame, "value", ["syntactic", "log_size"])
    assert fit["languages"] == 14 and fit["R²"] == pytest.approx(ols.r2) and fit["leave-one-language-out R²"] == (
        pytest.approx(ols.loo_r2))
    errors = table_with(app, "mae", "rmse").set_index("model")
    assert set(errors.index) == {"ridge on language features", "mean of the other languages",
                                 "log pretraining size alone (linear)"} and (errors["n"] == 14).all()
    predictions = table_with(app, "predicted", "low", "high")
    assert len(predictions) == 50 - 1 - 14 - 4, "every benchmark language without a number but the 4 without a size"
    unpredicted = ", ".join(f"{c} (no published pretraining size)" for c in ("ht", "qu", "wo", "yo"))
    assert f"No prediction, nothing imputed: {unpredicted}." in " ".join(c.value for c in app.caption)
    lauscher = table_with(app, "feature", "method")
    assert (lauscher.loc[lauscher["target_task"] == "xnli", "n"] == 15).all(), "English included, as they did"
    heatmap = app.get("plotly_chart")[4].proto.spec
    assert '"zmin":-1' in heatmap.replace(" ", "") and "corpus size (raw)" in heatmap


def test_collinear_features_warn_and_too_many_are_refused(store_path: Path) -> None:
    app = open_page(typ_mv_features="syntactic,inventory,featural")
    assert any("Collinear features: syntactic (VIF" in w.value for w in app.warning)
    app = open_page(typ_task="pawsx")
    assert "No model: only 6 language(s) have the value" in infos(app)
    app.radio(key="typ_target").set_value("score").run()
    app.radio(key="typ_predictor").set_value("boosting").run()
    assert not app.exception
    assert table_with(app, "mae").iloc[0]["model"] == "boosting on language features"
