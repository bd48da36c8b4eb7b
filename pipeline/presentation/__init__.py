"""Turning views into things that leave the screen: colours, LaTeX tables, static figures, HTML reports.

No streamlit here: pages call these, and tests check them directly.
"""
