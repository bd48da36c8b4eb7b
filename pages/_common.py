"""What every page shares: the store, the cached results, the global filters and the footnotes.

Pages stay thin: they call these helpers for data and ``pipeline.analysis`` for every number.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pipeline.analysis.tables import filter_results
from pipeline.published import published_rows
from pipeline.store import ResultsStore, default_store_path

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


@st.cache_data(show_spinner="Loading results…", max_entries=4)
def _read(path: str, data_version: int) -> pd.DataFrame:
    # The arguments are the cache key: a new batch in the store bumps data_version.
    return ResultsStore(path).read_results()


def load_results() -> pd.DataFrame:
    """Every stored row, re-read only when the store's data version changes."""
    store = get_store()
    return _read(str(store.path), store.data_version())


def _render_global_filters(results: pd.DataFrame) -> dict[str, list[object]]:
    """Sidebar multiselects (empty = everything), remembered across pages in session state.

    Every page renders them itself (through ``current_results``): Streamlit forgets a widget's value
    on a run that does not draw it, so the selection is also kept in a plain session-state dict.
    """
    saved: dict[str, list[object]] = st.session_state.setdefault("global_filters", {})
    st.sidebar.header("Filters")
    for column, label in GLOBAL_FILTERS.items():
        options = sorted(results[column].dropna().unique().tolist())
        default = [v for v in saved.get(column, []) if v in options]
        saved[column] = st.sidebar.multiselect(
            label, options, default=default, key=f"filter_{column}", placeholder=f"All ({len(options)})"
        )
    saved["uncertain"] = st.sidebar.toggle(
        f"Include numbers flagged uncertain ({UNCERTAIN_MARK})",
        value=saved.get("uncertain", True),
        key="filter_uncertain",
        help="Rows the transcription flags as uncertain (superseded tables, disagreeing sources).",
    )
    return saved


def current_results() -> pd.DataFrame:
    """Draw the global sidebar filters and return the stored rows that pass them."""
    results = load_results()
    saved = _render_global_filters(results)
    filtered = filter_results(results, {column: saved[column] for column in GLOBAL_FILTERS})
    if not saved["uncertain"]:
        filtered = filtered[~filtered["uncertain"]]
    return filtered


def warn_if_test_artifacts(frame: pd.DataFrame) -> None:
    """Tiny-model runs exercise the pipeline; say so wherever they are shown."""
    if "test_artifact" in frame and frame["test_artifact"].any():
        st.warning(
            "This view includes results of a tiny test model (test artefacts of the pipeline, not findings).",
            icon="🧪",
        )


def sources_footnote(provenance: pd.Series) -> None:
    """A numbered list of the sources behind what the page shows."""
    sources = sorted({p for cell in provenance.dropna() for p in str(cell).split("; ") if p})
    if not sources:
        return
    with st.expander(f"Sources ({len(sources)})"):
        st.markdown("\n".join(f"{i}. {s}" for i, s in enumerate(sources, start=1)))
