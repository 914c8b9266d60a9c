"""Read the user's tables (paths or frames) into canonical polars frames.

This is the one place that knows file formats. Validation of content lives in
:mod:`diagnose.validate`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from diagnose.errors import InputError, InputTypeError
from diagnose.schema import SUFFIXES

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
        return pl.from_pandas(source)
    if hasattr(source, "to_polars"):
        return source.to_polars()
    raise InputTypeError(
        f"{role}: cannot read an object of type {type(source).__name__}; expected a "
        "file path (CSV, Parquet, JSON Lines) or a polars/pandas DataFrame. "
        "Pass a path or convert your data to a DataFrame."
    )


def _read_path(path: Path, role: str) -> pl.DataFrame:
    if not path.exists():
        raise InputError(
            f"{path}: file not found (given as the {role} table); expected an existing "
            f"CSV, Parquet or JSON Lines file. Found no file at {path.resolve()}. "
            "Check the path or the working directory."
        )
    if path.is_dir():
        raise InputError(
            f"{path}: is a directory, not a file (given as the {role} table). "
            "Pass the path of a CSV, Parquet or JSON Lines file."
        )
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise InputError(
            f"{path}: unknown file extension {path.suffix!r} for the {role} table; "
            f"expected one of {sorted(SUFFIXES)}. Rename the file or convert it."
        )
    if kind != "parquet":
        _check_utf8(path)
    try:
        if kind == "csv":
            return pl.read_csv(path, infer_schema=False, raise_if_empty=False)
        if kind == "parquet":
            return pl.read_parquet(path)
        return pl.read_ndjson(path, infer_schema_length=None)
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        raise InputError(
            f"{path}: could not be parsed as {kind.upper()} ({exc}). Expected a valid "
            f"{kind.upper()} file with a header row of column names. Check the file "
            "format and its extension."
        ) from exc


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
