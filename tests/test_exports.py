"""Every page's chart exports straight into slides: 16:9-wide PNG, height following the rows, every label drawn.

Each page runs in a real AppTest on the shipped data (plus a tiny run's rows for the pages that need
runs); each chart it draws goes through the same export its PNG/SVG buttons use, rendered by kaleido
with Debian's Chromium.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import struct
from pathlib import Path

import plotly.graph_objects as go
import pytest

from pipeline.presentation.figures import ROW_HEIGHT, SLIDE_HEIGHT, SLIDE_WIDTH, export_figure, to_static
from pipeline.store import ResultsStore
from tests.test_app import on_page, open_app
from tests.test_research_pages import tiny_run_rows

pytestmark = pytest.mark.skipif(shutil.which("chromium") is None, reason="no Chromium here: PNG/SVG export cannot run")

#: Pages with a chart in their default view (robustness and training languages: on a tiny run's rows).
PAGES = ["pages/overview.py", "pages/languages.py", "pages/typology.py", "pages/scale.py", "pages/complexity.py",
         "pages/robustness.py", "pages/intermediate_languages.py"]


@pytest.fixture(scope="module")
def kaleido_server():
    import kaleido

    kaleido.start_sync_server(silence_warnings=True)
    yield
    kaleido.stop_sync_server(silence_warnings=True)


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


def svg_texts(svg: bytes) -> str:
    """The text the SVG draws, entities resolved."""
    return html.unescape(" ".join(re.findall(r"<text[^>]*>(.*?)</text>", svg.decode("utf-8"), flags=re.S)))


def category_labels(figure: go.Figure) -> set[str]:
    labels = set()
    for trace in figure.data:
        if trace.type in ("heatmap", "bar"):
            labels |= {v for axis in (trace.x, trace.y) if axis is not None and not isinstance(axis, dict)
                       for v in axis if isinstance(v, str)}
    return labels


@pytest.mark.parametrize("page", PAGES)
def test_each_chart_exports_for_a_slide_with_every_label(store_path: Path, kaleido_server, page: str) -> None:
    ResultsStore(store_path).insert_results(tiny_run_rows(["en", "de,en", "de,en,ru"]), label="tiny run")
    app = on_page(open_app(artifacts="1"), page)
    charts = app.get("plotly_chart")
    assert charts, f"{page} draws no chart in its default view"
    for chart in charts:
        figure = go.Figure(json.loads(chart.proto.spec))
        exported = export_figure(figure, title="A view title")
        width, height = png_size(to_static(exported, "png", scale=1))
        assert width == SLIDE_WIDTH and height >= SLIDE_HEIGHT, (page, width, height)
        rows = {str(v) for trace in figure.data if trace.type == "heatmap" for v in trace.y}
        assert height >= ROW_HEIGHT * len(rows), "a heatmap's height follows its rows"
        text = svg_texts(to_static(exported, "svg"))
        missing = [label for label in category_labels(figure) if label not in text]
        assert not missing, f"{page}: labels not drawn in the export: {missing}"
        for axis in (figure.layout.xaxis, figure.layout.yaxis):
            if axis.title.text:
                assert axis.title.text in text, f"{page}: axis title {axis.title.text!r} missing"
        assert "A view title" in text
