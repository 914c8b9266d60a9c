"""Everything the dashboard asks of the library, in one place.

Two layers:

* cached access keyed on cheap values (a result directory's path and the
  mtime of its ``summary.json``): loading a saved result, running a diagnosis
  on uploaded files, the bundled sample;
* pure functions of a :class:`diagnose.Result` that shape its tables for a
  page (defined in ``dash_tables`` and re-exported here, or in a cause's
  ``tables`` module next to its page). They only select, join and count what
  the diagnosis already computed; nothing re-runs an analysis.

Pages call ``cached(fn, key, *args)`` so each shaped table is computed once per
result, not on every rerun.
"""
from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import streamlit as st
from dash_tables import (  # noqa: F401  (pages reach them as dash_data.<name>)
    UNEXPLAINED,
    analyzer_names,
    analyzer_ran,
    analyzer_status,
    cause_colours,
    cause_counts,
    cause_pages,
    class_error_rates,
    combination_counts,
    error_classes,
    error_detail,
    errors_with_cause,
    escape_markdown,
    explained_by,
    filter_errors,
    highlight,
    map_points,
    no_errors_reason,
    skip_reason,
)

import diagnose

MARKER = "summary.json"


# --------------------------------------------------------------------------- loading
@dataclass(frozen=True)
class Key:
    """A saved result's identity for caching: resolved path and mtime."""

    path: str
    mtime: float


def result_key(directory: str | Path) -> Key:
    """The cache key of a result directory; raises the library's error when it is not one."""
    folder = Path(directory).expanduser().resolve()
    marker = folder / MARKER
    if not marker.is_file():
        diagnose.load(folder)  # raises DiagnoseError with the library's message
    return Key(str(folder), marker.stat().st_mtime)


@st.cache_resource(show_spinner="Loading the result…", max_entries=8)
def load_result(path: str, mtime: float) -> diagnose.Result:
    """Read a saved result once per (path, mtime); the Result is frozen, so it is shared."""
    return diagnose.load(path)


_PURE: dict[str, Any] = {}  # "module.name" -> a pure function of a result (dash_tables', a cause's tables)


@st.cache_resource(show_spinner=False, max_entries=512)
def _derived(name: str, path: str, mtime: float, args: tuple) -> Any:
    return _PURE[name](load_result(path, mtime), *args)


def cached(fn, key: Key, *args: Any) -> Any:
    """``fn(result, *args)`` computed once per result and arguments.

    ``fn`` is a pure function of a result: one of ``dash_tables`` or of a cause's ``tables`` module.
    """
    name = f"{fn.__module__}.{fn.__qualname__}"
    _PURE.setdefault(name, fn)
    return _derived(name, key.path, key.mtime, tuple(args))


@st.cache_resource(show_spinner=False, max_entries=8)
def report_html(path: str, mtime: float) -> str:
    """The audit report of a result (rendered once)."""
    saved = Path(path) / "report.html"
    if saved.is_file() and saved.stat().st_mtime >= mtime:
        return saved.read_text(encoding="utf-8")
    return load_result(path, mtime).to_html()


def run_and_save(files: dict[str, str], columns: diagnose.Columns) -> str:
    """Run a diagnosis on files (role -> path) and save it; return the new directory.

    Bad input raises :class:`diagnose.DiagnoseError` with the library's message.
    """
    result = diagnose.run(files["eval"], files.get("train"), files.get("annotations"),
                          files.get("contexts"), columns=columns,
                          config=diagnose.RunConfig(progress=False))
    out = Path(tempfile.mkdtemp(prefix="diagnose-dashboard-")) / "result"
    return str(result.save(out, reports=False))


def sample_files() -> dict[str, str]:
    """The bundled intents scenario (eval, train, annotations)."""
    from diagnose.sample import sample_paths

    paths = sample_paths()
    return {"eval": str(paths["intents_eval"]), "train": str(paths["intents_train"]),
            "annotations": str(paths["intents_annotations"])}


@st.cache_resource(show_spinner=False, max_entries=1)
def sample_result_dir() -> str:
    """The bundled intents scenario, diagnosed once per server process."""
    return run_and_save(sample_files(), diagnose.Columns())


def columns_of(path: str, role: str) -> list[str]:
    """Column names of an input file, read with the library's reader."""
    from diagnose.io import read_table

    return read_table(path, role).columns


_ROLE_FIELDS = {
    "eval": ("id", "text", "label", "prediction"),
    "train": ("id", "text", "label"),
    "annotations": ("id", "annotator", "label"),
    "contexts": ("id", "passage_id", "passage"),
}


def save_upload(name: str, data: bytes, file_id: str) -> str:
    """Write an uploaded file under its own name (its suffix picks the reader); return the path."""
    folder = Path(tempfile.gettempdir()) / "diagnose-dashboard-uploads" / file_id
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / Path(name).name
    if not path.exists():
        path.write_bytes(data)
    return str(path)


def unmatched_fields(columns_by_role: dict[str, list[str]]) -> dict[str, list[str]]:
    """Column-name fields whose default name is missing from an uploaded file that needs it.

    Returns field -> the columns offered instead (those of the files that need it).

    >>> unmatched_fields({"eval": ["id", "utterance", "label"]})
    {'text': ['id', 'utterance', 'label'], 'prediction': ['id', 'utterance', 'label']}
    """
    defaults, out = diagnose.Columns(), {}
    for role, found in columns_by_role.items():
        for field in _ROLE_FIELDS[role]:
            if getattr(defaults, field) not in found:
                out.setdefault(field, [])
                out[field] += [c for c in found if c not in out[field]]
    return out


# --------------------------------------------------------------------------- export
def for_csv(frame: pl.DataFrame) -> pl.DataFrame:
    """Flatten list and struct columns so the frame can be written as CSV."""
    fixes = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.List):
            fixes.append(pl.col(name).cast(pl.List(pl.Utf8)).list.join("; ").alias(name))
        elif isinstance(dtype, (pl.Struct, pl.Array)):
            fixes.append(pl.col(name).map_elements(str, return_dtype=pl.Utf8).alias(name))
    return frame.with_columns(fixes) if fixes else frame


def to_bytes(frame: pl.DataFrame, fmt: str) -> bytes:
    """A frame as CSV or Parquet bytes."""
    buf = io.BytesIO()
    if fmt == "csv":
        for_csv(frame).write_csv(buf)
    else:
        frame.write_parquet(buf)
    return buf.getvalue()
