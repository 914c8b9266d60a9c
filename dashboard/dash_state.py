"""Session-state keys of the dashboard, in one place.

Nothing is initialised at import time: :func:`init` runs once per session from
``app.py`` and only fills keys that are still missing, so tests (and users)
can preset them.
"""
from __future__ import annotations

import sys
from collections.abc import Sequence

import streamlit as st

RESULT_DIR = "result_dir"          # str | None: the result directory on display
RESULT_ORIGIN = "result_origin"    # str: where it came from ("command line", "sample", ...)


def result_dir_from_argv(argv: Sequence[str]) -> str | None:
    """The value of ``--result DIR`` (or ``--result=DIR``) in ``argv``, if any.

    >>> result_dir_from_argv(["app.py", "--result", "/tmp/r"])
    '/tmp/r'
    >>> result_dir_from_argv(["app.py"]) is None
    True
    """
    for i, arg in enumerate(argv):
        if arg == "--result" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--result="):
            return arg.split("=", 1)[1]
    return None


def init() -> None:
    """Fill the session keys that are not set yet (``--result`` from sys.argv)."""
    if RESULT_DIR not in st.session_state:
        st.session_state[RESULT_DIR] = result_dir_from_argv(sys.argv)
        st.session_state[RESULT_ORIGIN] = "command line"


def result_dir() -> str | None:
    """The directory of the result on display, or None on the start page."""
    return st.session_state.get(RESULT_DIR)


def open_result(directory: str, origin: str) -> None:
    """Show the result saved in ``directory`` from now on."""
    st.session_state[RESULT_DIR] = directory
    st.session_state[RESULT_ORIGIN] = origin


def close_result() -> None:
    """Go back to the start page."""
    st.session_state[RESULT_DIR] = None
