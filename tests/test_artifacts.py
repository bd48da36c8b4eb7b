"""Test artefacts never mix with findings by default; when shown, every chart, table, export and the report say so."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from pipeline.analysis.artifacts import ARTIFACT_MARK, ARTIFACT_NOTE, apply_artifact_rule, include_by_default
from pipeline.presentation.figures import label_test_artifacts
from pipeline.presentation.report import ReportItem, ReportSection, build_report
from pipeline.store import ResultsStore
from tests.test_app import on_page, open_app

TINY = "tiny-xlmr-test"


def tiny_xnli_rows() -> list[dict]:
    """What a tiny pipeline run stores: a tiny model's XNLI baseline on four languages (chance-level)."""
    return [{"run_id": "tiny-base", "source": "run", "model": TINY, "intermediate_task": "none",
             "target_task": "xnli", "language": lang, "metric": "accuracy", "value": 25.0 + i, "split": "test",
             "setting": "zero-shot", "seed": 1, "test_artifact": True} for i, lang in enumerate(["en", "de", "ru", "sw"])]


def test_the_switch_starts_on_only_for_a_store_of_nothing_but_test_artefacts() -> None:
    assert include_by_default(pd.Series([True, True]))
    assert not include_by_default(pd.Series([True, False])), "anything else in the store: off"
    assert not include_by_default(pd.Series([False]))
    assert not include_by_default(pd.Series([], dtype=bool)), "an empty store has nothing to include"


def test_the_rule_drops_artefacts_or_labels_their_model() -> None:
    rows = pd.DataFrame({"model_label": ["XLM-R", TINY], "test_artifact": [False, True]})
    assert apply_artifact_rule(rows, include=False)["model_label"].tolist() == ["XLM-R"]
    assert apply_artifact_rule(rows, include=True)["model_label"].tolist() == ["XLM-R", TINY + ARTIFACT_MARK]
    assert rows["model_label"].tolist() == ["XLM-R", TINY], "the cached frame is never modified"


def test_a_labelled_figure_keeps_its_title_and_gets_room_for_the_note() -> None:
    figure = label_test_artifacts(go.Figure(layout={"title": {"text": "XNLI"}, "margin": {"t": 10}}))
    assert ARTIFACT_NOTE in figure.layout.title.text and figure.layout.title.text.endswith("<br>XNLI")
    assert figure.layout.margin.t > 10


def test_the_report_labels_sections_with_test_artefacts() -> None:
    clean = ReportSection("Overview", [ReportItem("table", table=pd.DataFrame({"a": [1.0]}))])
    assert ARTIFACT_NOTE not in build_report("r", [clean])
    tainted = ReportSection("Languages", [ReportItem("table", table=pd.DataFrame({"a": [1.0]}))], test_artifacts=True)
    assert build_report("r", [clean, tainted]).count(ARTIFACT_NOTE) == 2  # the header and the section


def test_after_a_tiny_run_the_default_views_show_only_published_findings(store_path: Path) -> None:
    ResultsStore(store_path).insert_results(tiny_xnli_rows(), label="tiny run")
    app = open_app()
    assert app.toggle(key="artifacts").value is False
    assert not any(o.startswith("pipeline") for o in app.selectbox(key="grid").options)
    assert not app.warning
    app = on_page(app, "pages/languages.py")
    assert app.selectbox(key="task").value == "xnli"
    assert not any(TINY in series for series in app.selectbox(key="series").options)
    assert not any(TINY in series for series in app.dataframe[0].value["series"])
    assert not app.warning


def test_switched_on_every_chart_table_and_export_is_labelled(store_path: Path) -> None:
    ResultsStore(store_path).insert_results(tiny_xnli_rows(), label="tiny run")
    app = on_page(open_app(artifacts="1"), "pages/languages.py")
    app.selectbox(key="task").set_value("xnli").run()
    assert any("tiny test model" in w.value for w in app.warning)
    series = app.selectbox(key="series").options
    assert any(s.startswith(TINY + ARTIFACT_MARK) for s in series), series
    for chart in app.get("plotly_chart"):
        assert ARTIFACT_NOTE in chart.proto.spec
    assert any(ARTIFACT_NOTE in c.value for c in app.caption)


def test_a_store_of_only_test_artefacts_shows_them(tmp_path: Path) -> None:
    flags = ResultsStore(tmp_path / "only-tiny.db")
    flags.insert_results(tiny_xnli_rows(), label="tiny run")
    assert include_by_default(flags.read_results()["test_artifact"])
