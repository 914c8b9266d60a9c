"""Read the user's tables (paths or frames) into canonical polars frames.

This is the one place that knows file formats. Validation of content lives in
:mod:`diagnose.validate`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from diagnose.errors import InputError, InputTypeError
from diagnose.schema import SUFFIXES, check_path

__all__ = ["read_table", "source_name"]


def source_name(source: Any, role: str) -> str:
    """A short name for messages: the file name, or ``<role> frame``."""
    if isinstance(source, (str, Path)):
        return str(source)
    return f"<{role} frame>"


def read_table(source: Any, role: str) -> pl.DataFrame:
    """Read a CSV, Parquet or JSON Lines file, or convert a frame, to polars.

    CSV cells are read as text so ids and labels keep their spelling
    (``"007"`` stays ``"007"``); numeric columns are cast later where needed.

    Parameters
    ----------
    source
        A path, a polars or pandas DataFrame, or a Hugging Face ``Dataset``.
    role
        ``eval``, ``train``, ``annotations`` or ``contexts`` (for messages).

    Examples
    --------
    >>> read_table(pl.DataFrame({"id": [1], "text": ["hi"]}), "eval").columns
    ['id', 'text']
    """
    if isinstance(source, pl.DataFrame):
        return source
    if isinstance(source, (str, Path)):
        return _read_path(Path(source), role)
    if type(source).__module__.startswith("pandas"):
        return _from_pandas(source, role)
    if hasattr(source, "to_polars"):
        return source.to_polars()
    raise InputTypeError(
        f"{role}: cannot read an object of type {type(source).__name__}; expected a "
        "file path (CSV, Parquet, JSON Lines) or a polars/pandas DataFrame. "
        "Pass a path or convert your data to a DataFrame."
    )


def _from_pandas(frame: Any, role: str) -> pl.DataFrame:
    """Convert a pandas frame; object columns mixing plain types (ids like 1 and "b") become text."""
    try:
        return pl.from_pandas(frame)
    except Exception:  # pyarrow raises its own errors for mixed object columns
        pass
    fixed = frame.copy()
    for column in frame.columns:
        if frame[column].dtype != object:
            continue
        kinds = {type(v).__name__ for v in frame[column] if v is not None and v == v}  # v == v drops NaN
        if kinds - {"str", "int", "float", "bool"}:
            raise InputError(
                f"<{role} frame>: column {column!r} holds {sorted(kinds)} values; expected one plain value "
                "(text or number) per cell. Convert the column, e.g. df[col].astype(str), or flatten it."
            )
        fixed[column] = [None if v is None or v != v else str(v) for v in frame[column]]
    return pl.from_pandas(fixed)


def _read_path(path: Path, role: str) -> pl.DataFrame:
    check_path(path, role)
    kind = SUFFIXES[path.suffix.lower()]
    if kind != "parquet":
        _check_utf8(path)
    separator = _csv_separator(path) if kind == "csv" else ","
    try:
        if kind == "csv":
            return pl.read_csv(path, separator=separator, infer_schema=False, raise_if_empty=False)
        if kind == "parquet":
            return pl.read_parquet(path)
        if _starts_with(path, b"["):
            return pl.read_json(path, infer_schema_length=None)
        return pl.read_ndjson(path, infer_schema_length=None)
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        where = _csv_bad_line(path, separator) if kind == "csv" else _jsonl_bad_line(path) if kind == "jsonl" else ""
        expected = ("one JSON object per line" if kind == "jsonl"
                    else "a header row of column names and the same number of fields in every line")
        raise InputError(
            f"{path}: could not be parsed as {kind.upper()} ({where or str(exc).splitlines()[0]}). "
            f"Expected a valid {kind.upper()} file with {expected}. Fix that line, or check the "
            "file format and its extension."
        ) from exc


_SEPARATORS = (",", ";", "\t", "|")


def _csv_separator(path: Path) -> str:
    """The field separator of a CSV file, guessed from its header line.

    Comma unless the header has none and does have semicolons, tabs or pipes
    (files saved by spreadsheet programs in many locales use ``;``).
    """
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = handle.readline()
    counts = {sep: header.count(sep) for sep in _SEPARATORS}
    if counts[","]:
        return ","
    best = max(_SEPARATORS, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _starts_with(path: Path, prefix: bytes) -> bool:
    with path.open("rb") as handle:
        head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(prefix)


def _csv_bad_line(path: Path, separator: str) -> str:
    """Where a CSV file first has a different number of fields than its header."""
    import csv

    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=separator)
        try:
            width = len(next(reader, []))
            for row in reader:
                if row and len(row) != width:
                    return f"line {reader.line_num} has {len(row)} fields, the header has {width}"
        except csv.Error as exc:
            return f"line {reader.line_num}: {exc}"
    return ""


def _jsonl_bad_line(path: Path) -> str:
    """The first line of a JSON Lines file that is not one JSON object."""
    import json

    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                return f"line {number} is not valid JSON ({exc.msg}, column {exc.colno}): {line.strip()[:60]!r}"
            if not isinstance(value, dict):
                return f"line {number} is a JSON {type(value).__name__}, not an object of column values"
    return ""


def _check_utf8(path: Path) -> None:
    """Fail with the line number of the first line that is not UTF-8."""
    with path.open("rb") as handle:
        for line, raw in enumerate(handle, 1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                snippet = raw[max(0, exc.start - 30): exc.start + 10]
                raise InputError(
                    f"{path}: line {line} is not valid UTF-8 (byte 0x{raw[exc.start]:02x} "
                    f"near {snippet!r}); expected a UTF-8 text file. Re-save the file as "
                    "UTF-8, e.g. `iconv -f latin1 -t utf-8 in.csv > out.csv`."
                ) from None
