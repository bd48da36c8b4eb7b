"""Exports for papers and talks: LaTeX tables, colours, standalone HTML, static images, reports."""

from __future__ import annotations

import re
import shutil

import pandas as pd
import plotly.graph_objects as go
import pytest

from pipeline.presentation.figures import StaticExportUnavailable, to_html, to_static
from pipeline.presentation.latex import to_latex
from pipeline.presentation.palette import COLOURS, colour_map, colour_of
from pipeline.presentation.report import ReportItem, ReportSection, build_report


def test_latex_table_is_booktabs_with_best_in_bold_and_intervals() -> None:
    table = pd.DataFrame({"XNLI": [80.1, 79.3], "Tatoeba_acc": [31.0, 80.8]}, index=["Baseline", "ANLI+ & MLM"])
    ci = pd.DataFrame({"XNLI": [0.4, 0.25]}, index=table.index)
    latex = to_latex(table, caption="Gains (dev)", ci=ci)
    assert latex.count(r"\toprule") == 1 and r"\midrule" in latex and r"\bottomrule" in latex
    assert r"\textbf{80.1 $\pm$ 0.4}" in latex and r"\textbf{80.8}" in latex
    assert r"79.3 $\pm$ 0.2" in latex  # 0.25 rounds half to even at one digit
    assert r"ANLI+ \& MLM" in latex and r"Tatoeba\_acc" in latex
    assert r"\caption{Gains (dev)}" in latex


def test_latex_marks_missing_cells_and_can_prefer_lower_values() -> None:
    table = pd.DataFrame({"gap": [10.0, float("nan"), 7.5]}, index=["a", "b", "c"])
    latex = to_latex(table, higher_is_better=False)
    assert "b & --" in latex and r"\textbf{7.5}" in latex


def test_each_language_task_and_model_keeps_one_colour() -> None:
    assert colour_of("language", "sw") == colour_of("language", "sw")
    assert colour_map("language", ["de", "sw"])["sw"] == colour_of("language", "sw")
    assert colour_of("model", "xlm-roberta-large") in COLOURS
    assert colour_of("model", "someone/new-model") == colour_of("model", "someone/new-model")
    assert len({colour_of("task", t) for t in ["xnli", "pawsx", "udpos", "panx", "xquad"]}) == 5
    with pytest.raises(ValueError, match="language, task or model"):
        colour_of("colour", "x")


def figure() -> go.Figure:
    return go.Figure(go.Bar(x=["de", "sw"], y=[80.0, 60.0]))


def test_html_export_inlines_plotly_so_it_opens_offline() -> None:
    page = to_html(figure(), title="XNLI")
    assert "<title>XNLI</title>" in page
    assert not re.search(r"<script[^>]*\bsrc=", page), "no script may load from the network"
    assert len(page) > 1_000_000  # plotly.js itself is inside


def test_report_has_every_section_its_sources_and_plotly_once() -> None:
    sections = [
        ReportSection("Overview", [ReportItem("Main table", figure=figure(), caption="dev means")],
                      sources=["Phang et al. 2020, Table 2"], link="http://localhost:8501/?show=gain"),
        ReportSection("Languages", [ReportItem("Gap", table=pd.DataFrame({"gap": [1.5]}, index=["sw"]))]),
    ]
    page = build_report("My talk", sections)
    assert page.count("<h2>") == 2 and "Phang et al. 2020, Table 2" in page and "?show=gain" in page
    assert page.count("plotly.js v") == 1, "plotly.js must be inlined exactly once"
    assert "<td>1.5</td>" in page, "one decimal, the house format"


@pytest.mark.skipif(shutil.which("chromium") is None, reason="no Chromium here: PNG/SVG export cannot run")
def test_png_and_svg_export_through_the_system_chromium() -> None:
    assert to_static(figure(), "png")[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in to_static(figure(), "svg")[:500]


def test_static_export_refuses_unknown_formats() -> None:
    with pytest.raises(ValueError, match="png, svg"):
        to_static(figure(), "gif")
    assert issubclass(StaticExportUnavailable, RuntimeError)
