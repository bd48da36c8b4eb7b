"""Transfer Atlas: the dashboard's entry point (page navigation, nothing else).

The global sidebar filters are drawn by each page through ``pages._common.current_results`` so that
they hold their values on every page (see that module).
"""

import streamlit as st

from pages._view import leave_legacy_page_mode

leave_legacy_page_mode()
st.set_page_config(page_title="Transfer Atlas", page_icon="🗺️", layout="wide")

st.navigation(
    [
        st.Page("pages/overview.py", title="Overview", icon="📊", default=True),
        st.Page("pages/languages.py", title="Languages", icon="🌍"),
        st.Page("pages/typology.py", title="Typology", icon="🧬"),
        st.Page("pages/scale.py", title="Scale", icon="📈"),
        st.Page("pages/robustness.py", title="Robustness", icon="🛡️"),
        st.Page("pages/intermediate_languages.py", title="Languages in training", icon="🔢"),
        st.Page("pages/complexity.py", title="Task complexity", icon="🧩"),
        st.Page("pages/sources.py", title="Data & sources", icon="📚"),
        st.Page("pages/report.py", title="Report", icon="📝"),
    ]
).run()
