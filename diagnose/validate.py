"""Validate the user's tables once, at the boundary, and canonicalise them.

Every failure raises a :class:`~diagnose.errors.DiagnoseError` naming the file,
the column and example rows, and saying how to fix it.
"""
from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from diagnose._validate_labels import _check_label_overlap, _check_train_labels, _unseen_labels
from diagnose._validate_probs import PROB_TOLERANCE, _probs  # noqa: F401  (PROB_TOLERANCE: public constant)
from diagnose._validate_tables import _annotations, _contexts, as_text, long_annotations
from diagnose.errors import InputError, MissingColumnError, format_examples
from diagnose.io import read_table, source_name
from diagnose.schema import TASKS, Columns
from diagnose.textnorm import normalize_answer

__all__ = ["Inputs", "load_inputs", "long_annotations"]

#: who reads the error messages: a Python caller is told ``columns=Columns(...)``,
#: a command-line user ``--text-col NAME``
CALLERS = ("python", "cli")


@dataclass(frozen=True, eq=False)
class Inputs:
    """Validated, canonical input tables (string ids, canonical column names)."""

    task: str
    eval: pl.DataFrame
    train: pl.DataFrame | None
    annotations: pl.DataFrame | None
    contexts: pl.DataFrame | None
    classes: tuple[str, ...]
    eval_probs: np.ndarray | None
    train_probs: np.ndarray | None
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)


def load_inputs(
    eval: Any,
    train: Any = None,
    annotations: Any = None,
    contexts: Any = None,
    *,
    columns: Columns | None = None,
    task: str | None = None,
    caller: str = "python",
    text_required: bool = True,
) -> Inputs:
    """Read and validate every table; infer the task when not given.

    Parameters
    ----------
    eval, train, annotations, contexts
        Paths (CSV, Parquet, JSON Lines) or polars/pandas frames; only ``eval`` is required.
    columns
        Column names when yours differ from the defaults (None: :class:`Columns` defaults).
    task
        ``classification`` or ``generation``; inferred when None.
    caller
        Who reads the error messages: ``"python"`` (advice such as
        ``columns=diagnose.Columns(text='NAME')``) or ``"cli"`` (``--text-col NAME``).
    text_required
        False when the embeddings come from elsewhere (e.g. a
        :class:`~diagnose.embed.PrecomputedEmbedder` of image or tabular
        features): eval and training tables without a text column are then
        accepted and their rows are shown by id.

    Examples
    --------
    >>> ev = pl.DataFrame({"id": [1, 2], "text": ["a", "b"], "label": ["x", "y"], "prediction": ["x", "x"]})
    >>> load_inputs(ev).eval.get_column("is_error").to_list()
    [False, True]
    """
    columns = columns or Columns()
    if caller not in CALLERS:
        raise InputError(f"caller {caller!r} is unknown; expected one of {CALLERS}. Pass caller='python' (the default).")
    if task is not None and task not in TASKS:
        fix = "--task classification or --task generation" if caller == "cli" else "task='classification' or task='generation'"
        raise InputError(f"task {task!r} is unknown; expected one of {TASKS}. Pass {fix}.")
    raw = {"eval": eval, "train": train, "annotations": annotations, "contexts": contexts}
    names = {role: source_name(src, role) for role, src in raw.items() if src is not None}
    frames = {role: read_table(src, role) for role, src in raw.items() if src is not None}
    if "annotations" in frames:
        frames["annotations"] = long_annotations(frames["annotations"], columns)
    untexted = [] if text_required else _texts_from_ids(frames, columns)
    for role, frame in frames.items():
        _check_shape(frame, role, names[role], columns, caller)
    ev = _canonical(frames["eval"], "eval", names["eval"], columns)
    tr = _canonical(frames["train"], "train", names["train"], columns) if "train" in frames else None
    task = task or infer_task(ev, tr, frames["eval"], columns)
    classes = _classes(ev, tr, frames, columns, task)
    notes: dict[str, Any] = {}
    if untexted:
        notes["text"] = f"no text column in the {' and '.join(untexted)} table(s): rows are shown by id; the embeddings were given"
    if tr is not None and task == "classification":
        _check_train_labels(tr, names["train"], columns)
        _check_label_overlap(ev, tr, names, columns, caller)
        notes["unseen_eval_labels"] = _unseen_labels(ev, tr, names["eval"], columns)
    learnt = set(tr.get_column("label").to_list()) if tr is not None else set()
    eval_probs = _probs(frames["eval"], ev, "eval", names["eval"], classes, learnt, columns) if task == "classification" else None
    train_probs = _probs(frames["train"], tr, "train", names["train"], classes, learnt, columns) if tr is not None and task == "classification" else None
    if eval_probs is not None and columns.prediction not in frames["eval"].columns:
        ev = ev.with_columns(pl.Series("prediction", np.asarray(classes)[eval_probs.argmax(axis=1)].tolist(), dtype=pl.Utf8))
        notes["prediction"] = f"not given: the class with the largest {columns.prob_prefix}<class> value"
    ev = _with_errors(ev, frames["eval"], task, names["eval"], columns)
    ann = _annotations(frames.get("annotations"), names.get("annotations"), ev, tr, columns)
    ctx = _contexts(frames.get("contexts"), names.get("contexts"), ev, columns)
    sources = {role: _describe(raw[role], frames[role]) for role in frames}
    return Inputs(task, ev, tr, ann, ctx, classes, eval_probs, train_probs, sources, notes)


def _texts_from_ids(frames: dict[str, pl.DataFrame], cols: Columns) -> list[str]:
    """Give eval and training tables without a text column their ids as text (in place); return their roles."""
    roles = [role for role in ("eval", "train") if role in frames and cols.text not in frames[role].columns
             and cols.id in frames[role].columns]
    for role in roles:
        frames[role] = frames[role].with_columns(pl.col(cols.id).cast(pl.Utf8).alias(cols.text))
    return roles


def _check_shape(frame: pl.DataFrame, role: str, name: str, cols: Columns, caller: str) -> None:
    if frame.height == 0:
        raise InputError(
            f"{name}: the {role} table is empty; expected at least one row with columns "
            f"{list(cols.required(role))}. Found columns {frame.columns} and 0 rows. "
            "Check that the file holds data (and a header row)."
        )
    missing = [c for c in cols.required(role) if c not in frame.columns]
    if missing:
        raise _missing_column(frame, role, name, cols, missing[0], caller)
    key = cols.id
    _check_scalar(frame, role, name, cols)
    _check_ids_present(frame, role, name, key)
    if role in ("eval", "train"):
        ids = frame.get_column(key).cast(pl.Utf8)
        dup = ids.filter(ids.is_duplicated()).unique(maintain_order=True)
        if dup.len():
            raise InputError(
                f"{name}: column {key!r} has duplicate ids in the {role} table; expected each "
                f"id once. Found {format_examples(dup.to_list())}. Make the ids unique "
                "(e.g. add a row number)."
            )
        _check_text(frame, cols.text, role, name, key)
    if role == "contexts":
        _check_text(frame, cols.passage, role, name, key)


def _field(cols: Columns, column: str) -> str:
    """The :class:`Columns` field naming ``column`` (``text`` for the text column)."""
    return next((f for f, v in vars(cols).items() if v == column), column)


def _rename_advice(cols: Columns, column: str, caller: str, value: str = "NAME") -> str:
    """How the caller names another column for ``column``, in the caller's words.

    Examples
    --------
    >>> _rename_advice(Columns(), "text", "cli", "utterance")
    '--text-col utterance'
    >>> _rename_advice(Columns(), "text", "python", "utterance")
    "columns=diagnose.Columns(text='utterance')"
    """
    field = _field(cols, column)
    if caller == "cli":
        flag = "--prob-prefix" if field == "prob_prefix" else "--" + field.replace("_", "-") + "-col"
        return f"{flag} {value}"
    return f"columns=diagnose.Columns({field}={value!r})"


def _missing_column(frame: pl.DataFrame, role: str, name: str, cols: Columns, column: str,
                    caller: str) -> MissingColumnError:
    """The error for a required column absent from ``frame``: where the name came from,
    the columns found, close matches, and the option that names another column."""
    field = _field(cols, column)
    option = _rename_advice(cols, column, caller, column)
    given = column != getattr(Columns(), field, column)  # a name the caller chose, not the default
    where = option.split(" ")[0] if caller == "cli" else option
    what = (f"the column {column!r} given by {where} is not in the {role} table" if given
            else f"column {column!r} not found in the {role} table")
    lowered = {c.lower(): c for c in frame.columns}
    close = [lowered[c] for c in difflib.get_close_matches(column.lower(), list(lowered), n=3, cutoff=0.6)]
    spare = [c for c in frame.columns if c not in _used_columns(frame, cols)]
    offer = close or spare[:5]
    if offer:
        fix = (f"Close matches: {close}. " if close else "") + \
              f"Pass {_rename_advice(cols, column, caller, offer[0])} if {offer[0]!r} holds the {field}."
    else:
        fix = f"Pass {_rename_advice(cols, column, caller)} with the column that holds the {field}."
    return MissingColumnError(
        f"{name}: {what}; expected columns {list(cols.required(role))}. Found {frame.columns}. {fix}"
        + (" Column names are case-sensitive; check the spelling." if given else "")
    )


def _used_columns(frame: pl.DataFrame, cols: Columns) -> list[str]:
    named = {cols.id, cols.text, cols.label, cols.prediction, cols.correct, cols.annotator, cols.passage, cols.passage_id}
    return [c for c in frame.columns if c in named or c.startswith(cols.prob_prefix)]


def _check_scalar(frame: pl.DataFrame, role: str, name: str, cols: Columns) -> None:
    """Refuse list, struct, binary or object cells in the columns diagnose reads."""
    schema = frame.schema  # built anew on each access: once, not once per column
    for column in _used_columns(frame, cols):
        dtype = schema[column]
        if dtype.is_nested() or dtype in (pl.Binary, pl.Object):
            ids = frame.get_column(cols.id).head(3).to_list() if cols.id in frame.columns else range(1, 4)
            rows = [f"{i}: {v!r:.50}" for i, v in zip(ids, frame.get_column(column).head(3).to_list())]
            raise InputError(
                f"{name}: column {column!r} of the {role} table holds {dtype} values; expected one "
                f"plain value (text or number) per cell. Found e.g. {rows}. Flatten the column "
                "first (e.g. join a list of strings into one string, or keep one label per row)."
            )


def _check_ids_present(frame: pl.DataFrame, role: str, name: str, key: str) -> None:
    ids = as_text(frame.get_column(key))
    missing = ids.is_null() | (ids.str.strip_chars() == "")
    if missing.any():
        rows = [i + 1 for i in missing.arg_true().to_list()]
        raise InputError(
            f"{name}: column {key!r} has empty ids in the {role} table; expected an id in every "
            f"row. Found {format_examples(rows)} (row numbers, 1 = first data row). Fill in or "
            "drop these rows."
        )


def _check_text(frame: pl.DataFrame, column: str, role: str, name: str, key: str) -> None:
    text = frame.get_column(column).cast(pl.Utf8)
    bad = frame.filter(text.is_null() | (text.str.strip_chars() == ""))
    if bad.height:
        rows = bad.get_column(key).cast(pl.Utf8).to_list()
        raise InputError(
            f"{name}: column {column!r} has null or empty text in the {role} table; expected "
            f"non-empty text in every row. Found {format_examples(rows)} (ids). Fill in or "
            "drop these rows."
        )


def _canonical(frame: pl.DataFrame, role: str, name: str, cols: Columns) -> pl.DataFrame:
    out = {"id": as_text(frame.get_column(cols.id)), "text": frame.get_column(cols.text).cast(pl.Utf8)}
    for key in ("label", "prediction"):
        column = getattr(cols, key)
        if column in frame.columns:
            values = as_text(frame.get_column(column))
            out[key] = values.str.strip_chars().replace("", None)
        elif role == "eval":
            out[key] = pl.Series([None] * frame.height, dtype=pl.Utf8)
    return pl.DataFrame(out)


def infer_task(ev: pl.DataFrame, tr: pl.DataFrame | None, raw: pl.DataFrame, cols: Columns) -> str:
    """``classification`` when there are prob_ columns, a training table or few
    distinct labels; ``generation`` when gold/predicted values are mostly unique."""
    if any(c.startswith(cols.prob_prefix) for c in raw.columns) or tr is not None:
        return "classification"
    values = pl.concat([ev.get_column("label"), ev.get_column("prediction")]).drop_nulls()
    if values.len() == 0:
        return "classification"
    return "generation" if values.n_unique() > max(20, 0.5 * values.len()) else "classification"


def _classes(ev, tr, frames, cols: Columns, task: str) -> tuple[str, ...]:
    if task != "classification":
        return ()
    found: set[str] = set()
    for frame in (ev, tr):
        if frame is not None:
            for key in ("label", "prediction"):
                if key in frame.columns:
                    found.update(frame.get_column(key).drop_nulls().to_list())
    suffixes = {c[len(cols.prob_prefix):] for frame in frames.values() for c in frame.columns
                if c.startswith(cols.prob_prefix)}
    found.update(s for s in suffixes if not (s.endswith(".0") and s[:-2] in found))  # prob_1.0 for label 1.0 read as "1"
    return tuple(sorted(found))


def _with_errors(ev: pl.DataFrame, raw: pl.DataFrame, task: str, name: str, cols: Columns) -> pl.DataFrame:
    label, pred = ev.get_column("label"), ev.get_column("prediction")
    if task == "generation":
        same = pl.Series([
            None if g is None or p is None else normalize_answer(g) == normalize_answer(p)
            for g, p in zip(label.to_list(), pred.to_list())
        ], dtype=pl.Boolean)
    else:
        same = pl.Series((label == pred).to_list(), dtype=pl.Boolean)
    is_error = ~same
    if cols.correct in raw.columns:
        is_error = _override(raw.get_column(cols.correct), is_error, ev.get_column("id"), name, cols)
    return ev.with_columns(is_error.alias("is_error"))


def _override(correct: pl.Series, is_error: pl.Series, ids: pl.Series, name: str, cols: Columns) -> pl.Series:
    text = correct.cast(pl.Utf8).str.to_lowercase().str.strip_chars()
    mapping = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
    parsed = text.replace_strict(mapping, default=None, return_dtype=pl.Boolean)
    bad = text.is_not_null() & (text != "") & parsed.is_null()
    if bad.any():
        raise InputError(
            f"{name}: column {cols.correct!r} has values that are not booleans; expected "
            f"true/false (or 1/0). Found {format_examples(ids.filter(bad).to_list())} (ids). "
            "Fix these cells or drop the column."
        )
    return pl.Series([e if c is None else not c for c, e in zip(parsed.to_list(), is_error.to_list())], dtype=pl.Boolean)


def _describe(source: Any, frame: pl.DataFrame) -> dict[str, Any]:
    info: dict[str, Any] = {"rows": frame.height, "columns": frame.columns}
    if isinstance(source, (str, Path)):
        digest = hashlib.sha256()
        with Path(source).open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        info.update(name=Path(source).name, sha256=digest.hexdigest())
    else:
        info.update(name="<frame>", sha256=None)
    return info
