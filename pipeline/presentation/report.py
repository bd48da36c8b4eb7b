"""A one-file HTML report of chosen views: figures (interactive, plotly.js inlined once), tables and
numbered source footnotes, so it opens offline and can be mailed to a collaborator."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime, timezone

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from pipeline.analysis.artifacts import ARTIFACT_NOTE


@dataclass
class ReportItem:
    """One figure or table of a view, with its caption."""

    title: str
    figure: go.Figure | None = None
    table: pd.DataFrame | None = None
    caption: str = ""


@dataclass
class ReportSection:
    """What one page showed: its items and the sources behind them."""

    title: str
    items: list[ReportItem] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    link: str = ""
    test_artifacts: bool = False  # the view showed tiny-model results: the report says so


_STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1100px;margin:2em auto;color:#222}
h1{font-size:1.8em} h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;font-size:.9em;margin:.5em 0} th,td{padding:.25em .6em;text-align:right}
th{border-bottom:1px solid #444} td:first-child,th:first-child{text-align:left}
.caption{color:#555;font-size:.9em} .sources{font-size:.8em;color:#444} .meta{color:#777;font-size:.85em}
.artifact{background:#fff3cd;border-left:4px solid #cc8a00;padding:.4em .8em}
"""


def build_report(title: str, sections: list[ReportSection], note: str = "") -> str:
    """The whole report as one HTML document."""
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
             f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>",
             f"<p class='meta'>Generated {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by Transfer Atlas. "
             f"{html.escape(note)}</p>"]
    if any(section.test_artifacts for section in sections):
        parts.append(f"<p class='artifact'>{html.escape(ARTIFACT_NOTE)} The sections concerned say so.</p>")
    plotly_inlined = False
    for section in sections:
        parts.append(f"<h2>{html.escape(section.title)}</h2>")
        if section.test_artifacts:
            parts.append(f"<p class='artifact'>{html.escape(ARTIFACT_NOTE)}</p>")
        if section.link:
            parts.append(f"<p class='meta'>View: <a href='{html.escape(section.link)}'>{html.escape(section.link)}</a></p>")
        for item in section.items:
            parts.append(f"<h3>{html.escape(item.title)}</h3>")
            if item.figure is not None:
                parts.append(pio.to_html(item.figure, include_plotlyjs=not plotly_inlined, full_html=False,
                                         config={"displaylogo": False}))
                plotly_inlined = True
            if item.table is not None:
                parts.append(item.table.to_html(na_rep="–", float_format=lambda v: f"{v:.2f}", border=0))
            if item.caption:
                parts.append(f"<p class='caption'>{html.escape(item.caption)}</p>")
        if section.sources:
            parts.append("<ol class='sources'>" + "".join(f"<li>{html.escape(s)}</li>" for s in section.sources) + "</ol>")
    parts.append("</body></html>")
    return "\n".join(parts)
