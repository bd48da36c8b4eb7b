"""The app's pages and navigation, in one place: ``app.py`` runs it, and so does a page that
Streamlit started on its own (see ``pages._view.leave_legacy_page_mode``)."""

import streamlit as st

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon="📊", default=True),
    st.Page("pages/languages.py", title="Languages", icon="🌍"),
    st.Page("pages/typology.py", title="Typology", icon="🧬"),
    st.Page("pages/scale.py", title="Scale", icon="📈"),
    st.Page("pages/robustness.py", title="Robustness", icon="🛡️"),
    st.Page("pages/examples.py", title="Examples", icon="🔎"),
    st.Page("pages/intermediate_languages.py", title="Languages in training", icon="🔢"),
    st.Page("pages/complexity.py", title="Task complexity", icon="🧩"),
    st.Page("pages/claims.py", title="Claims", icon="⚖️"),
    st.Page("pages/sources.py", title="Data & sources", icon="📚"),
    st.Page("pages/report.py", title="Report", icon="📝"),
    st.Page("pages/runs.py", title="Runs", icon="🚀"),
]


def run_app() -> None:
    """Page config, navigation over ``PAGES``, and the chosen page."""
    st.set_page_config(page_title="Transfer Atlas", page_icon="🗺️", layout="wide")
    st.navigation(PAGES).run()
