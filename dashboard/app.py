"""Entry point of the dashboard: page config and navigation only.

Run with ``diagnose dashboard [DIR]`` or ``streamlit run app.py -- --result DIR``.
Shared modules live next to this file and are imported under names that cannot
collide with installed packages (``dash_state``, ``dash_data``, ``dash_components``).
Server settings (listen on 127.0.0.1, no telemetry, no Deploy button) are in
``.streamlit/config.toml`` next to this file, which Streamlit reads for this script.
"""
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import dash_state
import streamlit as st

# An emoji favicon is drawn in the page itself; a ":material/...:" one would be fetched from fonts.gstatic.com.
st.set_page_config(page_title="diagnose", page_icon="🩺", layout="wide")
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
