"""Static and standalone exports of plotly figures that work offline.

PNG/SVG go through kaleido 1.x, which drives the system's Chromium (Debian ``chromium``); it never
downloads a browser. Where no browser can be started the caller gets a ``StaticExportUnavailable``
with the reason and can offer the standalone HTML export, which needs nothing.
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

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


def to_html(figure: go.Figure, title: str = "") -> str:
    """A standalone interactive HTML page with plotly.js inlined, so it opens offline."""
    return pio.to_html(figure, include_plotlyjs=True, full_html=True, default_width="100%",
                       config={"displaylogo": False}, div_id=None).replace(
        "<head>", f"<head><meta charset='utf-8'><title>{title}</title>", 1)
