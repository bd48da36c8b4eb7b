"""Static and standalone exports of plotly figures that work offline.

PNG/SVG go through kaleido 1.x, which drives the system's Chromium (Debian ``chromium``); it never
downloads a browser. Where no browser can be started the caller gets a ``StaticExportUnavailable``
with the reason and can offer the standalone HTML export, which needs nothing.
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

from pipeline.analysis.artifacts import ARTIFACT_NOTE

STATIC_FORMATS = ("png", "svg")
#: A 16:9 slide at 1280 px wide; PNGs are rendered at 2× (2560 px) so they stay sharp when projected.
SLIDE_WIDTH, SLIDE_HEIGHT = 1280, 720
#: Type legible from the back of a room at that width, and the height each category row needs with it.
EXPORT_FONT_SIZE = 18
ROW_HEIGHT = 40
#: Room for the title, the axis titles and the tick labels around the rows.
FRAME_HEIGHT = 260


class StaticExportUnavailable(RuntimeError):
    """PNG/SVG export cannot run here (no Chromium for kaleido); HTML export still works."""


def to_static(figure: go.Figure, fmt: str, scale: float = 2.0) -> bytes:
    """The figure as PNG or SVG bytes (PNG at 2× scale for slides)."""
    if fmt not in STATIC_FORMATS:
        raise ValueError(f"format must be one of {', '.join(STATIC_FORMATS)}, not {fmt!r}")
    try:
        return pio.to_image(figure, format=fmt, scale=scale if fmt == "png" else 1.0)
    except (RuntimeError, OSError, ValueError) as exc:
        raise StaticExportUnavailable(
            f"PNG/SVG export needs Chromium (Debian package 'chromium'): {exc}. Download the HTML instead."
        ) from exc


def _categories(figure: go.Figure, axis: str) -> list[str]:
    """The distinct category labels the figure's heatmaps and bars put on ``axis`` ("x" or "y")."""
    seen: dict[str, None] = {}
    for trace in figure.data:
        if trace.type not in ("heatmap", "bar"):
            continue
        values = getattr(trace, axis)
        if values is None or isinstance(values, dict):  # absent, or numbers in plotly's binary form
            continue
        values = list(values)
        if values and all(isinstance(v, str) for v in values):
            seen.update(dict.fromkeys(values))
    return list(seen)


def export_figure(figure: go.Figure, title: str = "") -> go.Figure:
    """A copy of ``figure`` sized for its content and a 16:9 slide, every category label drawn.

    Rules: 1280 px wide; at least 720 px high, more when the rows need it (``ROW_HEIGHT`` per
    category row of a heatmap or bar chart, so a heatmap's height follows its rows); type at
    ``EXPORT_FONT_SIZE``; every category of a heatmap or bar axis labelled (plotly otherwise skips
    labels that crowd), margins grown to fit the labels (never clipped); the view's ``title`` on top.
    """
    copy = go.Figure(figure)
    rows = _categories(copy, "y")
    height = max(SLIDE_HEIGHT, FRAME_HEIGHT + ROW_HEIGHT * len(rows))
    copy.update_layout(width=SLIDE_WIDTH, height=height, font={"size": EXPORT_FONT_SIZE})
    for axis in ("x", "y"):
        labels = _categories(copy, axis)
        settings = {"automargin": True}
        if labels:
            settings |= {"tickmode": "array", "tickvals": labels, "ticktext": labels}
        copy.update_layout({f"{axis}axis": settings})
    if title:
        existing = copy.layout.title.text
        copy.update_layout(title={"text": f"{existing}<br>{title}" if existing else title, "x": 0, "xanchor": "left",
                                  "yref": "container", "y": 1, "yanchor": "top", "pad": {"t": 10}},
                           margin={"t": (copy.layout.margin.t or 0) + 50 + (30 if existing else 0)})
    return copy


def label_test_artifacts(figure: go.Figure) -> go.Figure:
    """The figure with ``ARTIFACT_NOTE`` as its first title line, in a top margin of its own, so no
    export of it passes for a finding."""
    title = figure.layout.title.text
    note = f"<span style='color:#9a5b00'>{ARTIFACT_NOTE}</span>"
    margin_top = figure.layout.margin.t if figure.layout.margin.t is not None else 80
    figure.update_layout(
        title={"text": note + (f"<br>{title}" if title else ""), "yref": "container", "y": 1, "yanchor": "top",
               "pad": {"t": 8}, "x": 0, "xanchor": "left", "font": {"size": 13}},
        margin={"t": margin_top + 36},
    )
    return figure


def to_html(figure: go.Figure, title: str = "") -> str:
    """A standalone interactive HTML page with plotly.js inlined, so it opens offline."""
    return pio.to_html(figure, include_plotlyjs=True, full_html=True, default_width="100%",
                       config={"displaylogo": False}, div_id=None).replace(
        "<head>", f"<head><meta charset='utf-8'><title>{title}</title>", 1)
