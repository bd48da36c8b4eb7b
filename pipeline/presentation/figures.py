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
