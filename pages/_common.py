"""What every page shares: the store, the cached results, the global filters and the footnotes.

Pages stay thin: they call these helpers for data and ``pipeline.analysis`` for every number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
import streamlit as st

from pages._view import mark_test_artifacts, url_multiselect, url_selectbox, url_toggle
from pipeline.analysis.artifacts import ARTIFACT_NOTE, apply_artifact_rule, has_test_artifacts, include_by_default
from pipeline.analysis.defaults import input_conditions
from pipeline.analysis.query import EVERYTHING, ResultsQuery, Slice
from pipeline.published import published_rows
from pipeline.store import ResultsStore, default_store_location
from pipeline.store.schema import CLEAN
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
    return _open_store(default_store_location())


@st.cache_resource(show_spinner="Opening the results…", max_entries=2)
def _query(path: str, data_version: int) -> ResultsQuery:
    # The arguments are the cache key: a new batch in the store bumps data_version. One query object
    # per data version, shared by every session; the rows stay on disk (see pipeline/analysis/query.py).
    return ResultsQuery(ResultsStore(path))


@dataclass(frozen=True)
class Scope:
    """The rows that pass the sidebar filters, as a slice of the store at one data version.

    Pages narrow it with their own selectors and ask for that slice only (``rows``), or for the
    distinct values a selector offers (``values``); ``analysed`` caches an analysis of a slice for
    every session, keyed on the data version, the slice and the inputs.
    """

    path: str
    data_version: int
    where: Slice

    @property
    def query(self) -> ResultsQuery:
        return _query(self.path, self.data_version)

    def rows(self, where: Slice | None = None, columns: tuple[str, ...] | None = None,
             limit: int | None = None) -> pd.DataFrame:
        """The rows of ``where`` (default: the whole scope), the first ``limit`` if given. Shared and
        read-only: derive, never modify."""
        # Every argument positional: Streamlit keys a cache on the arguments as passed, so a call that
        # left ``limit`` to its default would read the same slice a second time.
        return _rows(self.path, self.data_version, where or self.where, columns, limit)

    def count(self, where: Slice | None = None) -> int:
        return _count(self.path, self.data_version, where or self.where)

    def narrowed(self, **selections: Any) -> Slice:
        """The scope's slice narrowed to these column values."""
        return self.where.keeping(**selections)

    def values(self, column: str, where: Slice | None = None) -> list[Any]:
        """The distinct values of ``column`` in ``where``, sorted (what a selector offers)."""
        return self.distinct((column,), (where or self.where).requiring(column))[column].tolist()

    def distinct(self, columns: tuple[str, ...], where: Slice | None = None) -> pd.DataFrame:
        return _distinct(self.path, self.data_version, where or self.where, columns)

    def first_rows(self, by: tuple[str, ...], where: Slice | None = None,
                   columns: tuple[str, ...] | None = None) -> pd.DataFrame:
        """The first row of each group of ``by`` (labelled like ``rows``), only ``columns`` if given."""
        return _first_rows(self.path, self.data_version, where or self.where, by, columns)

    def analysed(self, function: Callable[..., Any], where: Slice | None = None, *args: Any,
                 columns: tuple[str, ...] | None = None) -> Any:
        """``function(rows of where, *args)``, computed once per data version, slice and arguments; only
        ``columns`` of the rows if given (every column of a large slice costs time to read and copy)."""
        return _analysed(self.path, self.data_version, _name(function), where or self.where, args, columns,
                         function)

    def summarised(self, function: Callable[..., Any], where: Slice | None = None, *args: Any) -> Any:
        """``function(query, where, *args)`` (an aggregate the engine computes), cached like ``analysed``."""
        return _summarised(self.path, self.data_version, _name(function), where or self.where, args, function)


def _name(function: Callable[..., Any]) -> str:
    """A cache key part naming the function (pages are scripts: their module names say little)."""
    return f"{function.__code__.co_filename}:{function.__qualname__}"


@st.cache_resource(show_spinner="Reading the selected results…", max_entries=4)
def _rows(path: str, data_version: int, where: Slice, columns: tuple[str, ...] | None,
          limit: int | None) -> pd.DataFrame:
    return _labelled(_query(path, data_version).rows(where, columns, limit), where)


def _labelled(frame: pd.DataFrame, where: Slice) -> pd.DataFrame:
    """Rows as pages show them: test artefacts (only there when the switch is on) with labelled models."""
    if where.test_artifacts and {"model_label", "test_artifact"} <= set(frame.columns):
        return apply_artifact_rule(frame, include=True)
    return frame


@st.cache_data(show_spinner=False, max_entries=64)
def _first_rows(path: str, data_version: int, where: Slice, by: tuple[str, ...],
                columns: tuple[str, ...] | None) -> pd.DataFrame:
    return _labelled(_query(path, data_version).first_rows(by, where, columns), where)


@st.cache_data(show_spinner=False, max_entries=64)
def _count(path: str, data_version: int, where: Slice) -> int:
    return _query(path, data_version).count(where)


@st.cache_data(show_spinner=False, max_entries=256)
def _distinct(path: str, data_version: int, where: Slice, columns: tuple[str, ...]) -> pd.DataFrame:
    return _query(path, data_version).distinct(columns, where)


@st.cache_data(show_spinner="Computing…", max_entries=64)
def _analysed(path: str, data_version: int, name: str, where: Slice, args: tuple[Any, ...],
              columns: tuple[str, ...] | None, _function: Callable[..., Any]) -> Any:
    return _function(_rows(path, data_version, where, columns, None), *args)


@st.cache_data(show_spinner="Counting…", max_entries=64)
def _summarised(path: str, data_version: int, name: str, where: Slice, args: tuple[Any, ...],
                _function: Callable[..., Any]) -> Any:
    return _function(_query(path, data_version), where, *args)


def current_scope() -> Scope:
    """Draw the global sidebar filters and return the slice of the store that passes them (test
    artefacts only when the switch is on; their rows then come labelled)."""
    store = get_store()
    scope = Scope(store.location, store.data_version(), EVERYTHING)
    scope = replace(scope, where=replace(EVERYTHING, test_artifacts=_artifact_switch(scope)))
    chosen = _render_global_filters(scope)
    selections = {column: chosen[column] for column in GLOBAL_FILTERS}
    return replace(scope, where=replace(scope.where.keeping(**selections), uncertain=chosen["uncertain"]))


def _artifact_switch(scope: Scope) -> bool:
    """The global "include test artefacts" toggle: off unless the store holds nothing but test artefacts."""
    counts = scope.summarised(ResultsQuery.count_by, EVERYTHING, "test_artifact")  # one scan: rows per flag
    n_artifacts = int(counts.get(True, 0))
    flags = pd.Series(counts.index, dtype=bool)  # the flags present: all True iff every row is an artefact
    return url_toggle(
        "Include test artefacts", key="artifacts", default=include_by_default(flags),
        container=st.sidebar, disabled=n_artifacts == 0,
        help=f"{n_artifacts} stored rows come from the tiny test model (pipeline checks, not findings). "
             "They are left out unless this is on; when on, they are labelled in every chart, table and export.",
    )


def _render_global_filters(scope: Scope) -> dict[str, Any]:
    """Sidebar multiselects (empty = everything) whose values live in the URL and hold across pages."""
    st.sidebar.header("Filters")
    chosen: dict[str, Any] = {}
    for column, label in GLOBAL_FILTERS.items():
        options = scope.values(column)
        chosen[column] = url_multiselect(label, options, key=column, container=st.sidebar,
                                         placeholder=f"All ({len(options)})")
    chosen["uncertain"] = url_toggle(
        f"Include numbers flagged uncertain ({UNCERTAIN_MARK})", key="uncertain", default=True,
        container=st.sidebar, help="Rows the transcription flags as uncertain (superseded tables, disagreeing sources).",
    )
    return chosen


def whole_store() -> Scope:
    """Every stored row at the store's current data version, no sidebar filter: for pages that choose
    their rows otherwise (a result set, a job)."""
    store = get_store()
    return Scope(store.location, store.data_version(), EVERYTHING)


def results_query() -> ResultsQuery:
    """The query over every stored row at the store's current data version (shared, never loaded whole)."""
    return whole_store().query


def per_language_slice(scope: Scope) -> Slice:
    """The rows measured on one language (not a published mean); stops the page, saying why, if none."""
    rows = scope.where.dropping(language=[LANGUAGE_MEAN])
    if not scope.values("language", rows):
        st.info("No per-language results match the filters in the sidebar. Clear a filter to see the published ones.")
        st.stop()
    return rows


def input_condition(scope: Scope, where: Slice, container: Any = st) -> str | None:
    """The evaluation condition a view shows (a ``perturbation`` value; None where ``where`` has no rows): clean
    inputs unless the user picks a perturbation, since a mean over clean and perturbed scores answers no question.
    The selector (URL key ``inputs``, shared by every view that has it) appears only where there is a choice."""
    conditions = input_conditions(scope.values("perturbation", where))
    if len(conditions) < 2:
        return conditions[0] if conditions else None
    return url_selectbox("Inputs", conditions, key="inputs", container=container,
                         format_func=lambda p: "clean" if p == CLEAN else f"perturbed: {p}",
                         help="Scores on clean inputs, or on inputs perturbed as named (`<name>@<strength>`). "
                              "The Robustness page compares them.")


def one_input_condition(scope: Scope, where: Slice, container: Any = st) -> tuple[Slice, str]:
    """``where`` on the condition ``input_condition`` picks, and a phrase naming it for titles ("" for clean inputs)."""
    chosen = input_condition(scope, where, container)
    if chosen is None:
        return where, ""
    return where.keeping(perturbation=[chosen]), "" if chosen == CLEAN else f"perturbed inputs ({chosen})"


def warn_if_test_artifacts(frame: pd.DataFrame) -> None:
    """Tiny-model runs exercise the pipeline: say so on the page and label every chart, table and
    export drawn after this call (and the page's report section) when ``frame`` holds any."""
    if has_test_artifacts(frame):
        st.warning(f"This view includes results of a tiny test model. {ARTIFACT_NOTE}", icon="🧪")
        mark_test_artifacts()


def sources_of(provenance: pd.Series) -> list[str]:
    """The distinct sources behind a column of (possibly '; '-joined) provenance strings."""
    return sorted({p for cell in provenance.dropna().unique() for p in str(cell).split("; ") if p})
