"""Data & sources: every number in the current selection with its provenance and flags."""

import streamlit as st

from pages._common import UNCERTAIN_MARK, current_results, get_store, warn_if_test_artifacts

st.title("Data & sources")
results = current_results()
st.caption(f"Store: `{get_store().path}` · {len(results)} rows match the sidebar filters.")
if results.empty:
    st.info("No results match the filters in the sidebar.")
    st.stop()
warn_if_test_artifacts(results)

summary = results.groupby(["source", "source_id"], as_index=False).agg(
    rows=("value", "size"), uncertain=("uncertain", "sum"), models=("model", "nunique"))
st.dataframe(summary, width="stretch", hide_index=True)

query = st.text_input("Search provenance and notes", key="sources_query", placeholder="e.g. Table 2, ERNIE-M, hi F1")
shown = results
if query:
    haystack = results["provenance"] + " " + results["notes"] + " " + results["model_label"]
    shown = results[haystack.str.contains(query, case=False, regex=False)]
only_uncertain = st.toggle(f"Only numbers flagged uncertain ({UNCERTAIN_MARK})", key="sources_uncertain")
if only_uncertain:
    shown = shown[shown["uncertain"]]
columns = ["model_label", "intermediate_task", "mlm_cotraining", "target_task", "language", "metric", "value",
           "printed_delta", "split", "setting", "uncertain", "provenance", "notes"]
st.dataframe(shown[columns], width="stretch", hide_index=True)
st.caption(f"{len(shown)} rows shown.")
