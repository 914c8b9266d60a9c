"""Entry point of the dashboard: page config and navigation only.

Run with ``diagnose dashboard [DIR]`` or ``streamlit run app.py -- --result DIR``.
Shared modules live next to this file and are imported under names that cannot
collide with installed packages (``dash_state``, ``dash_data``, ``dash_components``).
The pages of the causes come from the registry: every registered cause with a
:class:`diagnose.core.Page` gets one, drawn by its ``render(st, ui, dd, result, key)``.
Server settings (listen on 127.0.0.1, no telemetry, no Deploy button) are in
``.streamlit/config.toml`` next to this file, which Streamlit reads for this script.
"""
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import dash_components as ui
import dash_data as dd
import dash_state
import streamlit as st


def cause_page(page):
    """A navigation page that draws ``page`` (a cause's :class:`~diagnose.core.Page`) for the loaded result."""
    def draw() -> None:
        result, key = ui.current()
        page.render(st, ui, dd, result, key)
    return st.Page(draw, title=page.title, icon=page.icon, url_path=page.url_path)


# An emoji favicon is drawn in the page itself; a ":material/...:" one would be fetched from fonts.gstatic.com.
st.set_page_config(page_title="diagnose", page_icon="🩺", layout="wide")
dash_state.init()

VIEWS = HERE / "views"
if dash_state.result_dir() is None:
    pages = [st.Page(VIEWS / "start.py", title="Start", icon=":material/home:", default=True)]
else:
    pages = [
        st.Page(VIEWS / "overview.py", title="Overview", icon=":material/dashboard:", default=True),
        *(cause_page(page) for page in dd.cause_pages().values()),
        st.Page(VIEWS / "explorer.py", title="Error explorer", icon=":material/search:"),
    ]
st.navigation(pages).run()
