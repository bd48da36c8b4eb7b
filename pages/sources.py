"""Data & sources: every number in the current selection with its provenance and flags."""

import streamlit as st

from pages._common import UNCERTAIN_MARK, current_scope, get_store, sources_of, warn_if_test_artifacts
from pages._view import finish_page, show_table, start_page, url_toggle
from pipeline.analysis.tables import source_summary

#: Rows listed at most: beyond this a list is not read but searched (the export has every row).
MAX_LISTED = 10_000

start_page("Data & sources", "Every stored number that passes the sidebar filters, with where it comes from.")
scope = current_scope()
n_rows = scope.count()
st.caption(f"Store: `{get_store().name}` · {n_rows} rows match the sidebar filters.")
if not n_rows:
    st.info("No results match the filters in the sidebar.")
    st.stop()
warn_if_test_artifacts(scope.distinct(("test_artifact",)))

summary = scope.summarised(source_summary)
show_table(summary, name="sources-summary", key="sources_summary", index=False, title="Rows per source")

query = st.text_input("Search provenance and notes", key="sources_query", placeholder="e.g. Table 2, ERNIE-M, hi F1")
shown = scope.where.containing(query, ["provenance", "notes", "model_label"])
if url_toggle(f"Only numbers flagged uncertain ({UNCERTAIN_MARK})", key="only_uncertain"):
    shown = shown.keeping(uncertain=[True])
columns = ("model_label", "intermediate_task", "mlm_cotraining", "target_task", "language", "metric", "value",
           "printed_delta", "split", "setting", "uncertain", "provenance", "notes")
n_shown = scope.count(shown)
listed = f"{n_shown} rows." if n_shown <= MAX_LISTED else (
    f"{n_shown} rows; the first {MAX_LISTED:,} are listed: search or filter to narrow them, or export every row "
    "with `python -m pipeline export`.")
show_table(scope.rows(shown, columns, limit=MAX_LISTED), name="sources-rows", key="sources_rows", index=False,
           title="Stored numbers", caption=listed)
finish_page(sources_of(scope.distinct(("provenance",), shown)["provenance"]))
