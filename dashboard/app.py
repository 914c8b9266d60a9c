"""Entry point of the dashboard: page config and navigation only.

Run with ``diagnose dashboard [DIR]`` or ``streamlit run app.py -- --result DIR``.
Shared modules live next to this file and are imported under names that cannot
collide with installed packages (``dash_state``, ``dash_data``, ``dash_components``).
"""
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import streamlit as st  # noqa: E402

import dash_state  # noqa: E402

st.set_page_config(page_title="diagnose", page_icon=":material/troubleshoot:", layout="wide")
dash_state.init()

VIEWS = HERE / "views"
if dash_state.result_dir() is None:
    pages = [st.Page(VIEWS / "start.py", title="Start", icon=":material/home:", default=True)]
else:
    pages = [
        st.Page(VIEWS / "overview.py", title="Overview", icon=":material/dashboard:", default=True),
        st.Page(VIEWS / "coverage.py", title="Coverage", icon=":material/scatter_plot:"),
        st.Page(VIEWS / "labels.py", title="Labels", icon=":material/label:"),
        st.Page(VIEWS / "annotators.py", title="Annotators", icon=":material/groups:"),
        st.Page(VIEWS / "context.py", title="Context", icon=":material/article:"),
        st.Page(VIEWS / "explorer.py", title="Error explorer", icon=":material/search:"),
    ]
st.navigation(pages).run()
