"""A real Streamlit script run of the app and of every page (streamlit.testing.v1.AppTest)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipeline.store import ResultsStore
from tests.backends import create_database, drop_database, skip_without
from tests.conftest import REPO

PAGES = ["pages/overview.py", "pages/languages.py", "pages/sources.py"]


def open_app(**link: str) -> AppTest:
    """The app run once, opened on a link with these URL parameters (e.g. ``artifacts="1"``)."""
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    app.query_params.update(link)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def on_page(app: AppTest, page: str) -> AppTest:
    app.switch_page(page).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def test_app_opens_on_the_published_main_table(store_path: Path) -> None:
    app = open_app()
    assert app.title[0].value == "Overview"
    assert app.selectbox(key="grid").value.startswith("phang2020_v1 · xlm-roberta-large · dev · zero-shot")
    assert len(app.get("plotly_chart")) == 1
    table = app.dataframe[0].value
    assert table.loc["ANLI+", "XNLI"] == 79.3
    assert table.loc["SQuAD v1.1", "Tatoeba"] == 77.9
    assert ResultsStore(store_path).count() == 1099, "the published results are imported on first start"


def test_overview_switches_to_gains_and_to_em(store_path: Path) -> None:
    app = open_app()
    app.radio(key="show").set_value("gain").run()
    gains = app.dataframe[0].value
    assert gains.loc["ANLI+", "XNLI"] == pytest.approx(-0.8)
    assert gains.loc["Baseline (no intermediate task)", "XNLI"] == 0
    app.radio(key="qa").set_value("em").run()
    assert app.dataframe[0].value.loc["ANLI+", "XQuAD"] < 0
    app.radio(key="show").set_value("absolute").run()
    assert app.dataframe[0].value.loc["Baseline (no intermediate task)", "XQuAD"] == 60.0
    app.radio(key="mlm").set_value("with").run()
    assert "HellaSwag + MLM" in app.dataframe[0].value.index
    assert "HellaSwag" not in app.dataframe[0].value.index


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_without_error(store_path: Path, page: str) -> None:
    app = on_page(open_app(), page)
    assert app.title, f"{page} has no title"
    assert not app.error


def test_languages_page_shows_heatmap_bars_and_transfer_gap(store_path: Path) -> None:
    app = on_page(open_app(), "pages/languages.py")
    app.selectbox(key="task").set_value("xnli").run()
    assert len(app.get("plotly_chart")) == 2
    gaps = app.dataframe[0].value
    assert {"series", "mean_gap", "n_languages"} <= set(gaps.columns)
    assert gaps["n_languages"].max() == 14
    app.radio(key="measure").set_value("transfer_gap").run()
    assert not app.exception and len(app.get("plotly_chart")) == 2


def test_a_filter_that_matches_nothing_is_explained(store_path: Path) -> None:
    app = open_app()
    app.multiselect(key="model").set_value(["mt5-small"]).run()
    app.multiselect(key="setting").set_value(["translate-test"]).run()
    assert "No results match the filters" in " ".join(texts(app.info))
    on_page(app, "pages/languages.py")
    assert "No per-language results match the filters" in " ".join(texts(app.info))


def test_filters_hold_across_pages(store_path: Path) -> None:
    app = open_app()
    app.multiselect(key="model").set_value(["xlm-roberta-base"]).run()
    on_page(app, "pages/sources.py")
    assert app.multiselect(key="model").value == ["xlm-roberta-base"]
    assert set(app.dataframe[1].value["model_label"]) == {"XLM-R"}


def test_intermediate_comparison_without_per_language_runs_says_why(store_path: Path) -> None:
    app = on_page(open_app(), "pages/languages.py")
    app.radio(key="compare").set_value("intermediate").run()
    assert "No per-language intermediate-task results" in " ".join(texts(app.info))


def test_pipeline_runs_with_one_language_and_test_artefacts_are_labelled(store_path: Path) -> None:
    ResultsStore(store_path).insert_results([
        {"run_id": "tiny", "source": "run", "model": "tiny-xlmr", "intermediate_task": "none", "target_task": "pawsx",
         "language": "de", "metric": "accuracy", "value": 51.0, "split": "test", "setting": "zero-shot",
         "seed": 1, "test_artifact": True},
    ])
    app = open_app(artifacts="1")
    app.multiselect(key="model").set_value(["tiny-xlmr"]).run()
    assert any("tiny test model" in w.value for w in app.warning)
    on_page(app, "pages/languages.py")
    assert "one language only" in " ".join(texts(app.info))


def test_the_dashboard_reads_a_postgresql_store_and_never_shows_its_password(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    skip_without("postgresql")
    secret = f"pw-{uuid.uuid4().hex}"
    url = create_database(password=secret)
    try:
        monkeypatch.setenv("ATLAS_STORE", url)
        monkeypatch.setenv("ATLAS_WORK_DIR", str(tmp_path / "work"))
        app = open_app()
        assert app.dataframe[0].value.loc["ANLI+", "XNLI"] == 79.3
        assert ResultsStore(url).count() == 1099, "the published results are imported into the database"
        app = on_page(app, "pages/sources.py")
        shown = " ".join(texts(app.caption) + texts(app.markdown) + texts(app.info) + texts(app.warning))
        assert "postgresql://" in shown and "***" in shown, "the store is named, without its password"
        assert secret not in shown
    finally:
        drop_database(url)
