"""Validate the user's tables once, at the boundary, and canonicalise them.

Every failure raises a :class:`~diagnose.errors.DiagnoseError` naming the file,
the column and example rows, and saying how to fix it.
"""
from __future__ import annotations

import hashlib
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from diagnose.errors import InputError, MissingColumnError, format_examples
from diagnose.io import read_table, source_name
from diagnose.schema import TASKS, Columns
from diagnose.textnorm import normalize_answer

__all__ = ["Inputs", "load_inputs"]

PROB_TOLERANCE = 0.02


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
    columns: Columns = Columns(),
    task: str | None = None,
) -> Inputs:
    """Read and validate every table; infer the task when not given."""
    if task is not None and task not in TASKS:
        raise InputError(f"task {task!r} is unknown; expected one of {TASKS}. Pass --task classification or --task generation.")
    raw = {"eval": eval, "train": train, "annotations": annotations, "contexts": contexts}
    names = {role: source_name(src, role) for role, src in raw.items() if src is not None}
    frames = {role: read_table(src, role) for role, src in raw.items() if src is not None}
    for role, frame in frames.items():
        _check_shape(frame, role, names[role], columns)
    ev = _canonical(frames["eval"], "eval", names["eval"], columns)
    tr = _canonical(frames["train"], "train", names["train"], columns) if "train" in frames else None
    task = task or infer_task(ev, tr, frames["eval"], columns)
    classes = _classes(ev, tr, frames, columns, task)
    notes: dict[str, Any] = {}
    if tr is not None and task == "classification":
        _check_train_labels(tr, names["train"], columns)
        notes["unseen_eval_labels"] = _unseen_labels(ev, tr, names["eval"], columns)
    eval_probs = _probs(frames["eval"], "eval", names["eval"], classes, columns) if task == "classification" else None
    train_probs = _probs(frames["train"], "train", names["train"], classes, columns) if tr is not None and task == "classification" else None
    if eval_probs is not None and columns.prediction not in frames["eval"].columns:
        ev = ev.with_columns(pl.Series("prediction", np.asarray(classes)[eval_probs.argmax(axis=1)].tolist(), dtype=pl.Utf8))
        notes["prediction"] = f"not given: the class with the largest {columns.prob_prefix}<class> value"
    ev = _with_errors(ev, frames["eval"], task, names["eval"], columns)
    ann = _annotations(frames.get("annotations"), names.get("annotations"), ev, tr, columns)
    ctx = _contexts(frames.get("contexts"), names.get("contexts"), ev, columns)
    sources = {role: _describe(raw[role], frames[role]) for role in frames}
    return Inputs(task, ev, tr, ann, ctx, classes, eval_probs, train_probs, sources, notes)


def _check_shape(frame: pl.DataFrame, role: str, name: str, cols: Columns) -> None:
    if frame.height == 0:
        raise InputError(
            f"{name}: the {role} table is empty; expected at least one row with columns "
            f"{list(cols.required(role))}. Found columns {frame.columns} and 0 rows. "
            "Check that the file holds data (and a header row)."
        )
    missing = [c for c in cols.required(role) if c not in frame.columns]
    if missing:
        hints = " ".join(f"Pass {cols.flag(c)} NAME if your {c!r} column has another name." for c in missing)
        raise MissingColumnError(
            f"{name}: column {missing[0]!r} not found in the {role} table; expected columns "
            f"{list(cols.required(role))}. Found {frame.columns}. {hints}"
        )
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


def _used_columns(frame: pl.DataFrame, cols: Columns) -> list[str]:
    named = {cols.id, cols.text, cols.label, cols.prediction, cols.correct, cols.annotator, cols.passage, cols.passage_id}
    return [c for c in frame.columns if c in named or c.startswith(cols.prob_prefix)]


def _check_scalar(frame: pl.DataFrame, role: str, name: str, cols: Columns) -> None:
    """Refuse list, struct, binary or object cells in the columns diagnose reads."""
    for column in _used_columns(frame, cols):
        dtype = frame.schema[column]
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


def as_text(values: pl.Series) -> pl.Series:
    """``values`` as strings; whole-number floats (integers read as float, e.g. pandas with
    missing values) lose their ``.0`` so ``10.0`` matches ``10``, and NaN becomes null."""
    if values.dtype.is_float():
        values = values.fill_nan(None)
        finite = values.drop_nulls()
        if (finite.round(0) == finite).all() and finite.abs().max() is not None and finite.abs().max() < 2 ** 53:
            values = values.cast(pl.Int64)
    return values.cast(pl.Utf8)


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


def _check_train_labels(tr: pl.DataFrame, name: str, cols: Columns) -> None:
    labels = tr.get_column("label")
    if labels.null_count():
        rows = tr.filter(labels.is_null()).get_column("id").to_list()
        raise InputError(
            f"{name}: column {cols.label!r} has empty labels in the train table; expected a label "
            f"in every training row. Found {format_examples(rows)} (ids). Label or drop these rows."
        )
    if labels.n_unique() < 2:
        raise InputError(
            f"{name}: column {cols.label!r} has a single class ({labels[0]!r}) in the train table; "
            "expected at least two classes to learn from. Add examples of the other classes."
        )


def _user_stacklevel() -> int:
    """``stacklevel`` for ``warnings.warn`` called by our caller that points at the first
    frame outside the ``diagnose`` package (the user's line), not at our internals."""
    package = str(Path(__file__).resolve().parent)
    frame, level = sys._getframe(2), 2
    while frame is not None and str(Path(frame.f_code.co_filename).resolve()).startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def _unseen_labels(ev: pl.DataFrame, tr: pl.DataFrame, name: str, cols: Columns) -> list[str]:
    seen = set(tr.get_column("label").to_list())
    unseen = sorted(set(ev.get_column("label").drop_nulls().to_list()) - seen)
    if unseen:
        warnings.warn(
            f"{name}: {len(unseen)} gold label(s) in column {cols.label!r} never appear in "
            f"training, e.g. {unseen[:5]}; their rows are reported as coverage gaps.",
            stacklevel=_user_stacklevel(),
        )
    return unseen


def _probs(raw: pl.DataFrame, role: str, name: str, classes, cols: Columns) -> np.ndarray | None:
    prob_cols = [c for c in raw.columns if c.startswith(cols.prob_prefix)]
    if not prob_cols:
        return None
    given = {c[len(cols.prob_prefix):]: c for c in prob_cols}
    given.update({k: given[f"{k}.0"] for k in classes if k not in given and f"{k}.0" in given})
    missing = [k for k in classes if k not in given]
    if missing:
        raise InputError(
            f"{name}: the {role} table's {cols.prob_prefix}<class> columns do not match the label "
            f"set; expected one column per class. Missing {format_examples(missing)}; found "
            f"{format_examples(prob_cols)}. Add a {cols.prob_prefix}<class> column for every "
            "label (0 where the model never predicts it) or drop all of them."
        )
    try:
        mat = raw.select([pl.col(given[k]).cast(pl.Float64) for k in classes]).to_numpy()
    except pl.exceptions.PolarsError as exc:
        first = str(exc).strip().splitlines()[0]
        comma = any(raw.get_column(given[k]).cast(pl.Utf8).str.contains(",", literal=True).any() for k in classes)
        hint = " Use a dot as the decimal separator (found '0,5'-style numbers)." if comma else ""
        raise InputError(
            f"{name}: a {cols.prob_prefix}<class> column of the {role} table is not numeric "
            f"({first}); expected numbers in [0, 1]. Fix the non-numeric cells.{hint}"
        ) from exc
    _check_prob_rows(mat, raw.get_column(cols.id).cast(pl.Utf8), role, name, cols)
    return mat / mat.sum(axis=1, keepdims=True)


def _check_prob_rows(mat: np.ndarray, ids: pl.Series, role: str, name: str, cols: Columns) -> None:
    sums = mat.sum(axis=1)
    bad = ~np.isfinite(sums) | (np.abs(sums - 1.0) > PROB_TOLERANCE) | (np.nan_to_num(mat, nan=-1).min(axis=1) < 0)
    if bad.any():
        rows = [f"{i} (sum {s:.3f})" for i, s in zip(ids.filter(pl.Series(bad)).to_list(), sums[bad])]
        raise InputError(
            f"{name}: the {role} table's {cols.prob_prefix}<class> columns do not sum to 1 in "
            f"{int(bad.sum())} rows; expected non-negative probabilities summing to 1 (±"
            f"{PROB_TOLERANCE}). Found {format_examples(rows)}. Pass softmax outputs, not logits, "
            "and include a column for every class."
        )


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


def _annotations(raw, name, ev, tr, cols: Columns) -> pl.DataFrame | None:
    if raw is None:
        return None
    ann = pl.DataFrame({
        "id": as_text(raw.get_column(cols.id)),
        "annotator": raw.get_column(cols.annotator).cast(pl.Utf8),
        "label": as_text(raw.get_column(cols.label)).str.strip_chars().replace("", None),
    }).drop_nulls(["label"])
    known = set(ev.get_column("id").to_list())
    if tr is not None:
        clash = known & set(tr.get_column("id").to_list())
        if clash:
            raise InputError(
                f"{name}: train and eval ids collide, so annotations cannot tell which row they "
                f"label; expected distinct ids. Found {format_examples(sorted(clash))}. Prefix "
                "the ids (e.g. 'tr-' and 'ev-')."
            )
        known |= set(tr.get_column("id").to_list())
    _check_known(ann.get_column("id"), known, "annotations", name, cols.id, "train or eval")
    return ann


def _contexts(raw, name, ev, cols: Columns) -> pl.DataFrame | None:
    if raw is None:
        return None
    ids = as_text(raw.get_column(cols.id))
    if cols.passage_id in raw.columns:
        pid = raw.get_column(cols.passage_id).cast(pl.Utf8)
    else:
        pid = pl.DataFrame({"id": ids}).select(pl.format("p{}", pl.int_range(pl.len()).over("id"))).to_series()
    ctx = pl.DataFrame({"id": ids, "passage_id": pid, "passage": raw.get_column(cols.passage).cast(pl.Utf8)})
    _check_known(ctx.get_column("id"), set(ev.get_column("id").to_list()), "contexts", name, cols.id, "eval")
    return ctx


def _check_known(ids: pl.Series, known: set[str], role: str, name: str, column: str, where: str) -> None:
    unknown = ids.filter(~ids.is_in(list(known))).unique(maintain_order=True)
    if unknown.len():
        raise InputError(
            f"{name}: column {column!r} of the {role} table names ids that are not {where} rows; "
            f"expected every id to match a row of the {where} table. Found "
            f"{format_examples(unknown.to_list())}. Fix the ids or drop these rows."
        )


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
