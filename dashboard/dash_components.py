"""Widgets shared by the pages: the loaded result, tables with export, charts, progress."""
from __future__ import annotations

import logging
import warnings
from pathlib import Path

import altair as alt
import dash_data
import dash_state
import polars as pl
import streamlit as st

import diagnose

MAX_TABLE_ROWS = 5_000


def current() -> tuple[diagnose.Result, dash_data.Key]:
    """The result on display and its cache key; stops the page with the error when it cannot be read."""
    directory = dash_state.result_dir()
    try:
        key = dash_data.result_key(directory)
        result = dash_data.load_result(key.path, key.mtime)
    except diagnose.DiagnoseError as exc:
        st.error(str(exc))
        if st.button("Open another result", key="current_reset"):
            dash_state.close_result()
            st.rerun()
        st.stop()
    sidebar(key)
    return result, key


def sidebar(key: dash_data.Key) -> None:
    """Where the result comes from, the audit report and a way back to the start page."""
    with st.sidebar:
        st.caption(f"Result: `{key.path}`")
        st.download_button("Download audit report (HTML)", key="sidebar_report", on_click="ignore",
                           data=lambda: dash_data.report_html(key.path, key.mtime),
                           file_name=f"{Path(key.path).name}-report.html", mime="text/html",
                           width="stretch")
        if st.button("Open another result", key="sidebar_close", width="stretch"):
            dash_state.close_result()
            st.rerun()


def table(frame: pl.DataFrame, key: str, *, name: str | None = None, height: int | str = "auto",
          column_config: dict | None = None, max_rows: int = MAX_TABLE_ROWS, empty: str | None = None) -> None:
    """A read-only table with CSV and Parquet download buttons (the whole frame is exported).

    An empty frame shows ``empty`` (why there are no rows) when given, else "No rows.".
    """
    if frame.height == 0:
        st.caption(f"No rows: {empty}" if empty else "No rows.")
        return
    shown = frame.head(max_rows)
    st.dataframe(dash_data.for_csv(shown) if _has_nested(shown) else shown, key=f"{key}_table",
                 hide_index=True, height=height, column_config=column_config, width="stretch")
    if frame.height > max_rows:
        st.caption(f"Showing the first {max_rows:,} of {frame.height:,} rows; the downloads hold all of them.")
    export_buttons(frame, key, name=name or key)


def _has_nested(frame: pl.DataFrame) -> bool:
    return any(isinstance(t, (pl.List, pl.Struct, pl.Array)) for t in frame.schema.values())


def export_buttons(frame: pl.DataFrame, key: str, *, name: str) -> None:
    """CSV and Parquet downloads of ``frame``, built only when clicked."""
    row = st.container(horizontal=True, gap="small")
    row.download_button("CSV", key=f"{key}_csv", data=lambda: dash_data.to_bytes(frame, "csv"),
                         file_name=f"{name}.csv", mime="text/csv", on_click="ignore", icon=":material/download:")
    row.download_button("Parquet", key=f"{key}_parquet", data=lambda: dash_data.to_bytes(frame, "parquet"),
                          file_name=f"{name}.parquet", mime="application/octet-stream", on_click="ignore",
                          icon=":material/download:")


def cause_colour_scale(domain: list[str]) -> alt.Scale:
    """A colour scale that gives each cause the same colour on every page."""
    colours = dash_data.cause_colours()
    palette = {**colours, **{f"error: {c}": v for c, v in colours.items()},
               "train": "#d9d9d9", "eval (correct or unlabelled)": "#8cc084"}
    return alt.Scale(domain=domain, range=[palette.get(d, "#333333") for d in domain])


def bar_chart(frame: pl.DataFrame, category: str, value: str, key: str) -> None:
    """A horizontal bar chart with cause colours."""
    domain = frame.get_column(category).to_list()
    chart = alt.Chart(frame.to_pandas()).mark_bar().encode(
        x=alt.X(f"{value}:Q", title=value.replace("_", " ")),
        y=alt.Y(f"{category}:N", sort=None, title=None, axis=alt.Axis(labelLimit=240, labelOverlap=False)),
        color=alt.Color(f"{category}:N", scale=cause_colour_scale(domain), legend=None),
        tooltip=[category, value],
    ).properties(height=max(120, 40 * len(domain)))
    st.altair_chart(chart, key=key, width="stretch")


def missing(message: str) -> None:
    """What to show when a result has no table for a page."""
    st.info(f"Nothing to show here: {message}", icon=":material/info:")


def require_ran(result: diagnose.Result, analyzer: str) -> None:
    """Stop the page, with the reason from the result, unless ``analyzer`` ran (it was skipped or absent)."""
    if not dash_data.analyzer_ran(result, analyzer):
        missing(dash_data.skip_reason(result, analyzer))
        st.stop()


class _StatusHandler(logging.Handler):
    """Writes the pipeline's stage messages into an ``st.status`` box."""

    def __init__(self, box):
        super().__init__(logging.DEBUG)
        self.box = box

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("stage "):
            self.box.update(label=f"Running the diagnosis: {message[6:]}…")
            self.box.write(f"Stage **{message[6:]}**")


def run_with_progress(files: dict[str, str], columns: diagnose.Columns, label: str) -> str | None:
    """Run a diagnosis with live progress; return the saved directory, or None after showing the error."""
    logger = logging.getLogger("diagnose")
    with st.status(label, expanded=True) as box:
        handler, level = _StatusHandler(box), logger.level
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                directory = dash_data.run_and_save(files, columns)
        except diagnose.DiagnoseError as exc:
            box.update(label="The diagnosis could not run", state="error")
            st.error(str(exc), icon=":material/error:")
            return None
        finally:
            logger.removeHandler(handler)
            logger.setLevel(level)
        for w in caught:
            st.warning(str(w.message))
        box.update(label="Diagnosis finished", state="complete", expanded=False)
    return directory
