"""Report: one HTML file with the figures, tables and sources of the views chosen, that opens offline."""

import streamlit as st

from pages._view import start_page
from pipeline.presentation.report import build_report

start_page("Report", "Collect the views you opened in this session into one HTML file (interactive figures, "
           "tables, numbered sources and a link back to each view) that opens without a network.")
sections = {title: section for title, section in st.session_state.get("report", {}).items()
            if title != "Report" and section.items}
if not sections:
    st.info("Open the pages you want in the report first (Overview, Languages, …); each view you open is added here.")
    st.stop()

chosen = st.multiselect("Views to include", list(sections), default=list(sections), key="report_views")
title = st.text_input("Report title", "Transfer Atlas report", key="report_title")
for name in chosen:
    section = sections[name]
    st.markdown(f"**{name}**: " + ", ".join(item.title for item in section.items)
                + f" · {len(section.sources)} sources")
st.download_button(
    "Download HTML report", data=lambda: build_report(title, [sections[n] for n in chosen]),
    file_name="transfer-atlas-report.html", mime="text/html", key="report_download", on_click="ignore",
    type="primary", icon=":material/download:", disabled=not chosen,
)
