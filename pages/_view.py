"""The view kit every page uses: widgets whose state lives in the URL, charts and tables with their
downloads, presentation mode, and the report registry.

A page calls ``start_page`` first, draws its widgets with the ``url_*`` functions (so a copied link
reproduces the view), and shows every figure with ``show_chart`` and every table with ``show_table``
(so each can be downloaded and put in a report).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from pipeline.analysis.artifacts import ARTIFACT_NOTE
from pipeline.presentation.figures import (
    StaticExportUnavailable,
    export_figure,
    label_test_artifacts,
    to_html,
    to_static,
)
from pipeline.presentation.latex import to_latex
from pipeline.presentation.numbers import formatted, gain, printf_format, score
from pipeline.presentation.palette import COLOURS
from pipeline.presentation.report import ReportItem, ReportSection

PRESENT_KEY = "present"
_KEPT = "_kept_widget_values"
_ROWS_PER_PAGE = 500


# -- state in the URL ------------------------------------------------------------------------------

def _url_value(key: str, options: Sequence[Any], multi: bool) -> Any:
    """The URL's value for ``key`` if it is valid for these options; a warning (once) otherwise."""
    if key not in st.query_params:
        return None
    as_text = {str(o): o for o in options}
    raw = st.query_params.get_all(key) if multi else [st.query_params[key]]
    values = [v for part in raw for v in part.split(",") if v] if multi else raw
    unknown = [v for v in values if v not in as_text]
    if unknown:
        st.warning(f"Link parameter {key}={','.join(unknown)} ignored: not one of "
                   f"{', '.join(list(as_text)[:12])}{' …' if len(as_text) > 12 else ''}.", icon="🔗")
        values = [v for v in values if v in as_text]
        if not multi:
            return None
    return [as_text[v] for v in values] if multi else as_text[values[0]]


def _bind(key: str, options: Sequence[Any], default: Any, multi: bool = False, read_url: bool = True) -> None:
    """Set the widget's state before it is drawn: the value it had last (on any page), else the URL's,
    else ``default``.

    Streamlit resets a widget that another page drew last; re-assigning the kept value on every run
    is what makes a selection hold across pages. ``_keep`` (the widget's on_change) updates the copy.
    """
    kept = st.session_state.setdefault(_KEPT, {})
    if key in kept:
        value = kept[key]
    else:
        from_url = _url_value(key, options, multi) if read_url else None
        value = from_url if from_url is not None else default
    if multi:
        value = [v for v in (value or []) if v in options]
    elif value not in options:
        value = default if default in options else (options[0] if options else None)
    st.session_state[key] = value


def _keep(key: str) -> None:
    st.session_state.setdefault(_KEPT, {})[key] = st.session_state[key]


def _publish(key: str) -> None:
    value = st.session_state.get(key)
    st.session_state.setdefault(_KEPT, {})[key] = value
    if isinstance(value, list):
        st.query_params[key] = ",".join(str(v) for v in value)
    elif isinstance(value, bool):
        st.query_params[key] = "1" if value else "0"
    elif value is not None:
        st.query_params[key] = str(value)


def url_selectbox(label: str, options: Sequence[Any], key: str, default: Any = None, container: Any = st,
                  **kwargs: Any) -> Any:
    """A selectbox whose value is read from and written to the URL parameter ``key``."""
    options = list(options)
    _bind(key, options, default if default in options else (options[0] if options else None))
    value = container.selectbox(label, options, key=key, on_change=_keep, args=(key,), **kwargs)
    _publish(key)
    return value


def url_radio(label: str, options: Sequence[Any], key: str, default: Any = None, container: Any = st,
              **kwargs: Any) -> Any:
    """A radio whose value is read from and written to the URL parameter ``key``."""
    options = list(options)
    _bind(key, options, default if default in options else options[0])
    value = container.radio(label, options, key=key, on_change=_keep, args=(key,), **kwargs)
    _publish(key)
    return value


def url_multiselect(label: str, options: Sequence[Any], key: str, container: Any = st, default: Sequence[Any] = (),
                    **kwargs: Any) -> list[Any]:
    """A multiselect (empty = everything, unless the caller says otherwise) whose values live in the URL parameter
    ``key``; ``default`` is the first selection when neither the URL nor an earlier run chose one."""
    options = list(options)
    _bind(key, options, list(default), multi=True)
    value = container.multiselect(label, options, key=key, on_change=_keep, args=(key,), **kwargs)
    _publish(key)
    return value


def _url_flag(key: str, default: bool) -> bool:
    raw = st.query_params.get(key)
    if raw is not None and raw not in ("0", "1"):
        st.warning(f"Link parameter {key}={raw} ignored: use 1 or 0.", icon="🔗")
    return raw == "1" if raw in ("0", "1") else default


def url_toggle(label: str, key: str, default: bool = False, container: Any = st, **kwargs: Any) -> bool:
    """A toggle whose value lives in the URL parameter ``key`` (1/0)."""
    _bind(key, [True, False], _url_flag(key, default), read_url=False)
    value = container.toggle(label, key=key, on_change=_keep, args=(key,), **kwargs)
    _publish(key)
    return value


def share_link() -> str:
    """The link that reproduces this view: the page's address with every widget's state."""
    base = str(st.context.url or "").split("?")[0]
    return f"{base}?{urlencode({k: st.query_params[k] for k in st.query_params})}"


def significance_controls() -> tuple[bool, str, str]:
    """Dim-non-significant toggle, test and multiple-comparison correction, in one row."""
    mask_col, test_col, correction_col = st.columns(3)
    mask = url_toggle("Dim gains that are not significant", key="mask", container=mask_col)
    method = url_radio("Test", ["permutation", "paired_bootstrap"], key="test", container=test_col, horizontal=True,
                       format_func={"permutation": "Permutation", "paired_bootstrap": "Paired bootstrap"}.get)
    correction = url_radio("Correction", ["holm", "bh"], key="correction", container=correction_col,
                           horizontal=True, format_func={"holm": "Holm", "bh": "Benjamini–Hochberg"}.get)
    return mask, method, correction


def leave_legacy_page_mode() -> None:
    """Make sure the app's own navigation runs, even on a fresh server entered at a page's URL.

    Because the product keeps its views in ``pages/``, Streamlit starts in its old directory-based
    page mode until the first ``st.navigation`` call of the process: a shared link to
    ``/languages`` opened first on a fresh server would run that file alone (every file of
    ``pages/`` in the menu, no wide layout). That mode is recognisable by the helper modules of
    ``pages/`` being registered as pages. The page then runs the app's navigation itself (which
    ends that mode and draws the requested page in the same run, so no click is lost) and stops.
    """
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None:
        return
    registered = [str(info.get("script_path", "")) for info in ctx.pages_manager.get_pages().values()]
    if any(path.endswith(("_common.py", "_view.py")) for path in registered):
        from pages._navigation import run_app

        PagesManager.uses_pages_directory = False
        run_app()
        st.stop()


# -- presentation mode ------------------------------------------------------------------------------

_PRESENT_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"],
[data-testid="stSelectbox"], [data-testid="stRadio"], [data-testid="stMultiSelect"],
[data-testid="stCheckbox"], [data-testid="stDownloadButton"], [data-testid="stExpander"],
[data-testid="stCode"], [data-testid="stTextInput"] {display: none !important;}
html, body, [data-testid="stMarkdownContainer"] p {font-size: 22px;}
h1 {font-size: 2.6rem !important;}
</style>
"""


def is_presenting() -> bool:
    return bool(st.session_state.get(PRESENT_KEY, False))


def start_page(title: str, explanation: str) -> None:
    """Title, the line that says what is plotted, presentation mode and the page's report section."""
    leave_legacy_page_mode()
    presenting = url_toggle("Presentation mode", PRESENT_KEY, container=st.sidebar,
                            help="Hides the controls and enlarges text; the link keeps it (present=1).")
    if presenting:
        st.html(_PRESENT_CSS)
        if st.button("Exit presentation mode", key="exit_present", type="tertiary"):
            st.session_state[_KEPT][PRESENT_KEY] = False
            st.query_params[PRESENT_KEY] = "0"
            st.rerun()
    st.title(title)
    st.caption(explanation)
    st.session_state.setdefault("report", {})[title] = ReportSection(title=title)
    st.session_state["current_page"] = title


def _section() -> ReportSection:
    return st.session_state["report"][st.session_state["current_page"]]


def mark_test_artifacts() -> None:
    """From here on, this page's charts, tables, exports and report section are labelled as showing
    test artefacts."""
    _section().test_artifacts = True


def _artifact_labels(name: str, caption: str) -> tuple[str, str]:
    """The export file name and caption, labelled when the page shows test artefacts."""
    if not _section().test_artifacts:
        return name, caption
    return f"{name}-test-artefacts", f"{caption} {ARTIFACT_NOTE}".strip()


def finish_page(sources: Sequence[str]) -> None:
    """The numbered sources of the page (also kept for the report) and the link to this view."""
    section = _section()
    section.sources = list(sources)
    section.link = share_link()
    if sources:
        with st.expander(f"Sources ({len(sources)})"):
            st.markdown("\n".join(f"{i}. {s}" for i, s in enumerate(sources, start=1)))
    with st.expander("Share this view"):
        st.code(section.link, language=None)
        st.caption("Opening this link reproduces the view: filters, selections and toggles are in it.")


# -- charts and tables ---------------------------------------------------------------------------------

def styled(figure: go.Figure) -> go.Figure:
    """The house style: colour-blind-safe colours; larger type in presentation mode."""
    size = 20 if is_presenting() else 13
    figure.update_layout(template="plotly_white", colorway=list(COLOURS), font={"size": size})
    return figure


def _download_row(key: str, name: str, items: list[tuple[str, Callable[[], bytes | str], str, str]]) -> None:
    columns = st.columns(len(items) + 2)
    for column, (label, data, suffix, mime) in zip(columns, items):
        column.download_button(label, data=data, file_name=f"{name}.{suffix}", mime=mime, key=f"{key}_{suffix}",
                               on_click="ignore", type="tertiary", icon=":material/download:")


def _static(figure: go.Figure, fmt: str, title: str) -> Callable[[], bytes | str]:
    def render() -> bytes | str:
        try:
            return to_static(export_figure(figure, title), fmt)
        except StaticExportUnavailable as exc:
            return f"{exc}\n"

    return render


def show_chart(figure: go.Figure, name: str, key: str, title: str = "", caption: str = "") -> None:
    """Draw a figure with PNG / SVG / HTML downloads and add it to the page's report section."""
    styled(figure)
    if _section().test_artifacts:
        label_test_artifacts(figure)
    name, caption = _artifact_labels(name, caption)
    st.plotly_chart(figure, width="stretch", key=key)
    if caption:
        st.caption(caption)
    _download_row(key, name, [
        ("PNG", _static(figure, "png", title), "png", "image/png"),
        ("SVG", _static(figure, "svg", title), "svg", "image/svg+xml"),
        ("HTML", lambda: to_html(figure, title or name), "html", "text/html"),
    ])
    _section().items.append(ReportItem(title=title or name, figure=figure, caption=caption))


def _with_intervals(table: pd.DataFrame, ci: pd.DataFrame, n: pd.DataFrame | None, digits: int,
                    signed: bool) -> pd.DataFrame:
    """``mean ± half (n)`` strings; cells without an interval show the value and its n."""
    def cell(value: float, half: float, count: float) -> str:
        if value != value:
            return ""
        text = (gain if signed else score)(value, digits) + (f" ± {score(half, digits)}" if half == half else "")
        return text + (f" (n={int(count)})" if count == count else "")

    counts = n if n is not None else pd.DataFrame(float("nan"), index=table.index, columns=table.columns)
    return pd.DataFrame(
        [[cell(table.at[r, c], ci.at[r, c], counts.at[r, c]) for c in table.columns] for r in table.index],
        index=table.index, columns=table.columns,
    )


def _long_with_intervals(table: pd.DataFrame, ci: pd.DataFrame | None, n: pd.DataFrame | None) -> pd.DataFrame:
    """One row per cell: its row and column labels, value, interval half-width and n (empty where unknown)."""
    missing = pd.DataFrame(float("nan"), index=table.index, columns=table.columns)
    long = table.stack(future_stack=True).rename("value").to_frame()
    long["ci_half_width"] = (missing if ci is None else ci).stack(future_stack=True)
    long["n"] = (missing if n is None else n).stack(future_stack=True)
    return long.reset_index()


def _column_formats(table: pd.DataFrame, digits: int) -> dict[str, Any]:
    """Every numeric column written by the house rules (``pipeline.presentation.numbers``)."""
    formats = {}
    for column in table.columns:
        fmt = printf_format(table[column], digits)
        if fmt is not None:
            formats[column] = st.column_config.NumberColumn(format=fmt)
    return formats


def _csv(table: pd.DataFrame, index: bool, artifacts: bool) -> str:
    """The table as CSV; a leading ``#`` comment line labels test artefacts (``pandas.read_csv(comment="#")``)."""
    return (f"# {ARTIFACT_NOTE}\n" if artifacts else "") + table.to_csv(index=index)


def show_table(table: pd.DataFrame, name: str, key: str, title: str = "", caption: str = "",
               ci: pd.DataFrame | None = None, n: pd.DataFrame | None = None, index: bool = True,
               digits: int = 1, long_csv: bool = False, baseline_rows: Sequence[Any] = (),
               significant: pd.DataFrame | None = None, signed: bool = False,
               column_config: dict[str, Any] | None = None) -> None:
    """Draw a table (paginated when long) with CSV and LaTeX downloads; add it to the report.

    With ``ci`` (half-widths, same shape) cells read ``mean ± half (n)`` on screen and in LaTeX. The
    CSV is long (one row per cell with its value, half-width and n) with ``ci`` or ``long_csv``, so a
    grid exports the same layout whether or not it has intervals. LaTeX bold follows
    ``pipeline.presentation.latex.to_latex`` (``baseline_rows`` never bold; with ``significant``, only
    significant cells); ``signed`` writes a table of gains as ``+0.9``. ``column_config`` is passed to
    ``st.dataframe`` (e.g. link columns) over the house number formats.
    """
    name, caption = _artifact_labels(name, caption)
    artifacts = _section().test_artifacts
    if ci is not None:  # cells without an interval are NaN, whatever shape the caller's table had
        ci = ci.reindex_like(table)
        n = n.reindex_like(table) if n is not None else None
    shown = table if ci is None else _with_intervals(table, ci, n, digits, signed)
    long = ci is not None or long_csv
    csv_source = _long_with_intervals(table, ci, n) if long else table
    table_for_report = shown
    if len(table) > _ROWS_PER_PAGE:
        pages = (len(table) - 1) // _ROWS_PER_PAGE + 1
        page = st.number_input(f"Page (of {pages}, {_ROWS_PER_PAGE} rows each)", 1, pages, 1, key=f"{key}_page")
        shown = shown.iloc[(page - 1) * _ROWS_PER_PAGE : page * _ROWS_PER_PAGE]
    if is_presenting():  # a static table: every column on the slide, none scrolled out of sight
        static = formatted(shown, digits, signed)
        st.table(static if index else static.set_index(shown.columns[0]))
    else:
        st.dataframe(shown, width="stretch", hide_index=not index,
                     column_config=_column_formats(shown, digits) | (column_config or {}))
    if caption:
        st.caption(caption)
    latex_source = table if index else table.set_index(table.columns[0])
    _download_row(key, name, [
        ("CSV", lambda: _csv(csv_source, index and not long, artifacts), "csv", "text/csv"),
        ("LaTeX", lambda: to_latex(latex_source, caption=caption or title or name, digits=digits, ci=ci,
                                   baseline_rows=baseline_rows, significant=significant, signed=signed), "tex",
         "text/x-tex"),
    ])
    _section().items.append(ReportItem(title=title or name, table=table_for_report, caption=caption,
                                       digits=digits, index=index, signed=signed))
