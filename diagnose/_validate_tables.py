"""Validation of the annotation and context tables (part of :mod:`diagnose.validate`), and the
reshaping of wide or anonymous votes into the long form."""
from __future__ import annotations

import polars as pl

from diagnose.errors import InputError, format_examples
from diagnose.schema import Columns

__all__ = ["as_text", "long_annotations", "_annotations", "_contexts"]


def as_text(values: pl.Series) -> pl.Series:
    """``values`` as strings; whole-number floats (integers read as float, e.g. pandas with
    missing values) lose their ``.0`` so ``10.0`` matches ``10``, and NaN becomes null."""
    if values.dtype.is_float():
        values = values.fill_nan(None)
        finite = values.drop_nulls()
        if (finite.round(0) == finite).all() and finite.abs().max() is not None and finite.abs().max() < 2 ** 53:
            values = values.cast(pl.Int64)
    return values.cast(pl.Utf8)


def long_annotations(frame: pl.DataFrame, cols: Columns) -> pl.DataFrame:
    """Annotations in the long form (id, annotator, label) from the forms users have.

    Wide (a spreadsheet export: the id column and one column per annotator, a cell per vote;
    no label column): one row per non-empty cell, the column name as annotator. Long without an
    annotator column (anonymous votes): each vote gets an annotator of its own, so none is
    weighted by a reliability it cannot have. Long with both columns: unchanged.

    Examples
    --------
    >>> wide = pl.DataFrame({"id": ["a", "b"], "ann1": ["x", "y"], "ann2": ["x", None]})
    >>> long_annotations(wide, Columns()).sort("id", "annotator").rows()
    [('a', 'ann1', 'x'), ('a', 'ann2', 'x'), ('b', 'ann1', 'y')]
    """
    names = frame.columns
    if cols.id not in names or frame.height == 0:
        return frame
    if cols.label not in names and cols.annotator not in names and len(names) > 1:
        voters = [c for c in names if c != cols.id]
        long = frame.select(pl.col(cols.id), *[pl.col(c).cast(pl.Utf8) for c in voters]).unpivot(
            index=cols.id, on=voters, variable_name=cols.annotator, value_name=cols.label)
        return long.filter(pl.col(cols.label).is_not_null() & (pl.col(cols.label).str.strip_chars() != ""))
    if cols.label in names and cols.annotator not in names:
        return frame.with_columns(pl.format("anonymous-{}", pl.int_range(pl.len())).alias(cols.annotator))
    return frame


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
