"""A one-file HTML report of chosen views: figures (interactive, plotly.js inlined once), tables and
numbered source footnotes, so it opens offline and can be mailed to a collaborator."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from pipeline.analysis.artifacts import ARTIFACT_NOTE
from pipeline.presentation.numbers import formatted

#: A markdown backslash escape (captions are written for st.caption): the report prints the character.
_MARKDOWN_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|~])")


@dataclass
class ReportItem:
    """One figure or table of a view, with its caption."""

    title: str
    figure: go.Figure | None = None
    table: pd.DataFrame | None = None
    caption: str = ""
    digits: int = 1  # decimals of the table's statistics (scores and gains: 1; see presentation.numbers)
    index: bool = True  # whether the table's index holds row labels (else it is not printed)
    signed: bool = False  # a table of gains: +0.9


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


def plain(markdown: str) -> str:
    """A caption written for ``st.caption`` as plain text: backslash escapes resolved, ``**`` dropped."""
    return _MARKDOWN_ESCAPE.sub(r"\1", markdown.replace("**", ""))


def _table_html(item: ReportItem) -> str:
    """The table with the house number format, its row labels only where the index holds some."""
    table = formatted(item.table, item.digits, item.signed)
    labelled = item.index and not isinstance(item.table.index, pd.RangeIndex)
    return table.to_html(index=labelled, na_rep="–", border=0)


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
        previous_title = None
        for item in section.items:
            if item.title != previous_title:  # a chart and its table share a title: print it once
                parts.append(f"<h3>{html.escape(item.title)}</h3>")
            previous_title = item.title
            if item.figure is not None:
                parts.append(pio.to_html(item.figure, include_plotlyjs=not plotly_inlined, full_html=False,
                                         config={"displaylogo": False}))
                plotly_inlined = True
            if item.table is not None:
                parts.append(_table_html(item))
            if item.caption:
                parts.append(f"<p class='caption'>{html.escape(plain(item.caption))}</p>")
        if section.sources:
            parts.append("<ol class='sources'>" + "".join(f"<li>{html.escape(s)}</li>" for s in section.sources) + "</ol>")
    parts.append("</body></html>")
    return "\n".join(parts)
