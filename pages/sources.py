"""Data & sources: every number in the current selection with its provenance and flags."""

import streamlit as st

from pages._common import UNCERTAIN_MARK, current_results, get_store, sources_of, warn_if_test_artifacts
from pages._view import finish_page, show_table, start_page, url_toggle

start_page("Data & sources", "Every stored number that passes the sidebar filters, with where it comes from.")
results = current_results()
st.caption(f"Store: `{get_store().path}` · {len(results)} rows match the sidebar filters.")
if results.empty:
    st.info("No results match the filters in the sidebar.")
    st.stop()
warn_if_test_artifacts(results)

summary = results.groupby(["source", "source_id"], as_index=False).agg(
    rows=("value", "size"), uncertain=("uncertain", "sum"), models=("model", "nunique"))
show_table(summary, name="sources-summary", key="sources_summary", index=False, title="Rows per source")

query = st.text_input("Search provenance and notes", key="sources_query", placeholder="e.g. Table 2, ERNIE-M, hi F1")
shown = results
if query:
    haystack = results["provenance"] + " " + results["notes"] + " " + results["model_label"]
    shown = results[haystack.str.contains(query, case=False, regex=False)]
if url_toggle(f"Only numbers flagged uncertain ({UNCERTAIN_MARK})", key="only_uncertain"):
    shown = shown[shown["uncertain"]]
columns = ["model_label", "intermediate_task", "mlm_cotraining", "target_task", "language", "metric", "value",
           "printed_delta", "split", "setting", "uncertain", "provenance", "notes"]
show_table(shown[columns], name="sources-rows", key="sources_rows", index=False, title="Stored numbers",
           caption=f"{len(shown)} rows.")
finish_page(sources_of(shown["provenance"]))
