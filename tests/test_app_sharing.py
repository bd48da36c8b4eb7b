"""Views that leave the screen: links that reproduce a view, presentation mode, downloads, the report."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.conftest import REPO
from tests.test_app import on_page, open_app


def app_with_link(**params: str) -> AppTest:
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    app.query_params.update(params)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_a_link_reproduces_the_view(store_path: Path) -> None:
    first = open_app()
    first.radio(key="show").set_value("gain").run()
    first.radio(key="qa").set_value("em").run()
    first.multiselect(key="split").set_value(["dev"]).run()
    link = dict(first.query_params)
    assert link["show"] == "gain" and link["qa"] == "em" and link["split"] == "dev"

    second = app_with_link(**link)
    assert not second.warning, [w.value for w in second.warning]
    assert second.radio(key="show").value == "gain" and second.radio(key="qa").value == "em"
    assert second.multiselect(key="split").value == ["dev"]
    assert second.dataframe[0].value.equals(first.dataframe[0].value)


def test_a_bad_link_parameter_is_ignored_with_a_message(store_path: Path) -> None:
    app = app_with_link(show="sideways", model="no-such-model", present="maybe")
    warnings = " ".join(w.value for w in app.warning)
    assert "show=sideways ignored" in warnings and "model=no-such-model ignored" in warnings
    assert "present=maybe ignored" in warnings
    assert app.radio(key="show").value == "absolute" and app.multiselect(key="model").value == []
    assert app.title[0].value == "Overview"


def test_presentation_mode_from_the_link_hides_controls_and_can_be_left(store_path: Path) -> None:
    app = app_with_link(present="1")
    assert app.toggle(key="present").value is True
    assert not app.warning
    assert any("stSidebar" in str(getattr(e, "proto", "")) for e in app.get("html"))
    app.button(key="exit_present").click().run()
    assert app.toggle(key="present").value is False and app.query_params["present"] == "0"


def test_every_chart_and_table_offers_its_downloads(store_path: Path) -> None:
    app = open_app()
    labels = [b.proto.label for b in app.get("download_button")]
    assert labels == ["PNG", "SVG", "HTML", "CSV", "LaTeX"]


def test_report_collects_the_views_opened(store_path: Path) -> None:
    app = open_app()
    on_page(app, "pages/languages.py")
    on_page(app, "pages/report.py")
    assert app.multiselect(key="report_views").value == ["Overview", "Languages"]
    assert [b.proto.label for b in app.get("download_button")] == ["Download HTML report"]


def test_report_without_views_says_what_to_do(store_path: Path) -> None:
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    app.switch_page("pages/report.py").run()
    assert not app.exception
    assert "Open the pages you want in the report first" in app.info[0].value
