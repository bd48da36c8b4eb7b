"""What every page shares: the store, the cached results, the global filters and the footnotes.

Pages stay thin: they call these helpers for data and ``pipeline.analysis`` for every number.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from pages._view import mark_test_artifacts, url_multiselect, url_toggle
from pipeline.analysis.artifacts import ARTIFACT_NOTE, apply_artifact_rule, has_test_artifacts, include_by_default
from pipeline.analysis.tables import filter_results
from pipeline.published import published_rows
from pipeline.store import ResultsStore, default_store_path
from pipeline.tasks import LANGUAGE_MEAN

#: Sidebar filters that apply to every page: column -> label.
GLOBAL_FILTERS = {"source": "Source", "model": "Model", "setting": "Setting", "split": "Split"}
UNCERTAIN_MARK = "†"


@st.cache_resource(show_spinner="Opening the results store…")
def _open_store(path: str) -> ResultsStore:
    store = ResultsStore(path)
    store.insert_results(published_rows(), label="published")
    return store


def get_store() -> ResultsStore:
    """The store ($ATLAS_STORE or data/atlas.db), with the shipped published results imported.

    The import is idempotent, so it runs once per process and store file without harm.
    """
    return _open_store(str(default_store_path()))


@st.cache_resource(show_spinner="Loading results…", max_entries=2)
def _read(path: str, data_version: int) -> pd.DataFrame:
    # The arguments are the cache key: a new batch in the store bumps data_version. A resource, not
    # cache_data: every run shares this one frame instead of unpickling a copy (seconds and GBs at
    # 10^6 rows), so callers must treat it as read-only.
    return ResultsStore(path).read_results()


def load_results() -> pd.DataFrame:
    """Every stored row, re-read only when the store's data version changes. Read-only: derive, never modify."""
    store = get_store()
    return _read(str(store.path), store.data_version())


def _artifact_switch(results: pd.DataFrame) -> bool:
    """The global "include test artefacts" toggle: off unless the store holds nothing but test artefacts."""
    n_artifacts = int(results["test_artifact"].sum())
    return url_toggle(
        "Include test artefacts", key="artifacts", default=include_by_default(results["test_artifact"]),
        container=st.sidebar, disabled=n_artifacts == 0,
        help=f"{n_artifacts} stored rows come from the tiny test model (pipeline checks, not findings). "
             "They are left out unless this is on; when on, they are labelled in every chart, table and export.",
    )


def _render_global_filters(results: pd.DataFrame) -> dict[str, Any]:
    """Sidebar multiselects (empty = everything) whose values live in the URL and hold across pages."""
    st.sidebar.header("Filters")
    chosen: dict[str, Any] = {}
    for column, label in GLOBAL_FILTERS.items():
        options = sorted(results[column].dropna().unique().tolist())
        chosen[column] = url_multiselect(label, options, key=column, container=st.sidebar,
                                         placeholder=f"All ({len(options)})")
    chosen["uncertain"] = url_toggle(
        f"Include numbers flagged uncertain ({UNCERTAIN_MARK})", key="uncertain", default=True,
        container=st.sidebar, help="Rows the transcription flags as uncertain (superseded tables, disagreeing sources).",
    )
    return chosen


def current_results() -> pd.DataFrame:
    """Draw the global sidebar filters and return the stored rows that pass them (test artefacts
    only when the switch is on, then labelled)."""
    stored = load_results()
    results = apply_artifact_rule(stored, include=_artifact_switch(stored))
    chosen = _render_global_filters(results)
    filtered = filter_results(results, {column: chosen[column] for column in GLOBAL_FILTERS})
    if not chosen["uncertain"]:
        filtered = filtered[~filtered["uncertain"]]
    return filtered


def per_language_results(results: pd.DataFrame) -> pd.DataFrame:
    """The rows measured on one language (not a published mean); stops the page, saying why, if none."""
    rows = results[results["language"] != LANGUAGE_MEAN]
    if rows.empty:
        st.info("No per-language results match the filters in the sidebar. Clear a filter to see the published ones.")
        st.stop()
    return rows


def warn_if_test_artifacts(frame: pd.DataFrame) -> None:
    """Tiny-model runs exercise the pipeline: say so on the page and label every chart, table and
    export drawn after this call (and the page's report section) when ``frame`` holds any."""
    if has_test_artifacts(frame):
        st.warning(f"This view includes results of a tiny test model. {ARTIFACT_NOTE}", icon="🧪")
        mark_test_artifacts()


def sources_of(provenance: pd.Series) -> list[str]:
    """The distinct sources behind a column of (possibly '; '-joined) provenance strings."""
    return sorted({p for cell in provenance.dropna().unique() for p in str(cell).split("; ") if p})
