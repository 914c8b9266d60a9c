"""The immutable result of a diagnosis, and how it is saved and loaded.

Frames are saved as Parquet and everything else as JSON, with a format
version; never pickle. Saving is atomic and never removes a user's files
(see :mod:`diagnose._output`).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from diagnose._output import write_folder
from diagnose.errors import InputError

__all__ = ["FORMAT_VERSION", "Result", "load"]

FORMAT_VERSION = "1.0"
_MARKER = "summary.json"


@dataclass(frozen=True, eq=False)
class Result:
    """What a diagnosis found: one row per eval example plus side tables.

    Attributes
    ----------
    examples
        One row per eval row: ``id``, ``is_error``, ``score_<cause>``,
        ``evidence_<cause>``, ``causes``, ``primary_cause``, ``evidence``.
    summary
        Counts, accuracy, thresholds, inputs, versions, seed (JSON-safe).
    tables
        Named side tables, e.g. ``train_issues``, ``annotators``.
    """

    examples: pl.DataFrame
    summary: dict[str, Any]
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # built once, never patched: the summary (deeply) and the table map refuse changes
        object.__setattr__(self, "summary", freeze(self.summary))
        object.__setattr__(self, "tables", FrozenDict(self.tables))

    @property
    def errors(self) -> pl.DataFrame:
        """The rows of ``examples`` whose prediction is wrong."""
        return self.examples.filter(pl.col("is_error") == True)  # noqa: E712

    def table(self, name: str) -> pl.DataFrame | None:
        """A side table by name, or None when that analyzer did not produce it."""
        return self.tables.get(name)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document every report format is rendered from."""
        from diagnose.report import build_document

        return build_document(self)

    def to_json(self) -> str:
        """The JSON report (see ``docs/report-schema.md``)."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def to_markdown(self) -> str:
        """The audit report as GitHub-flavoured Markdown."""
        from diagnose.report import render_markdown

        return render_markdown(self.to_dict())

    def to_html(self) -> str:
        """The audit report as one self-contained HTML file."""
        from diagnose.report import render_html

        return render_html(self.to_dict())

    def save(self, directory: str | os.PathLike, *, force: bool = False, reports: bool = True) -> Path:
        """Write the result to ``directory`` atomically; return its path.

        An existing directory is replaced only with ``force=True`` and only
        when it holds nothing but an unchanged previous ``diagnose`` output
        (checked against the ``manifest.json`` every save writes); otherwise
        :class:`~diagnose.errors.OutputExistsError` names the files in the way.
        """
        return write_folder(Path(directory), lambda folder: self._write(folder, reports), force=force)

    def _write(self, folder: Path, reports: bool) -> None:
        self.examples.write_parquet(folder / "examples.parquet")
        self.errors.write_parquet(folder / "errors.parquet")
        for name, frame in self.tables.items():
            frame.write_parquet(folder / f"{name}.parquet")
        meta = dict(self.summary, format_version=FORMAT_VERSION, tables=sorted(self.tables))
        (folder / _MARKER).write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
        if reports:
            (folder / "report.html").write_text(self.to_html(), encoding="utf-8")
            (folder / "report.md").write_text(self.to_markdown(), encoding="utf-8")


class FrozenDict(dict):
    """A ``dict`` that refuses changes (still JSON-serialisable and equal to a plain dict).

    Examples
    --------
    >>> d = FrozenDict(a=1)
    >>> d["b"] = 2
    Traceback (most recent call last):
    ...
    TypeError: a Result is immutable; copy it first, e.g. dict(result.summary)
    """

    def _refuse(self, *args: Any, **kwargs: Any):
        raise TypeError("a Result is immutable; copy it first, e.g. dict(result.summary)")

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self):
        return (type(self), (dict(self),))


class FrozenList(list):
    """A ``list`` that refuses changes (still JSON-serialisable and equal to a plain list)."""

    def _refuse(self, *args: Any, **kwargs: Any):
        raise TypeError("a Result is immutable; copy it first, e.g. list(...)")

    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse
    append = clear = extend = insert = pop = remove = reverse = sort = _refuse

    def __reduce__(self):
        return (type(self), (list(self),))


def freeze(value: Any) -> Any:
    """``value`` with every dict and list (recursively) replaced by a frozen copy."""
    if isinstance(value, dict):
        return FrozenDict({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return FrozenList(freeze(v) for v in value)
    return value


def load(directory: str | os.PathLike) -> Result:
    """Read a result written by :meth:`Result.save` (or ``diagnose run``)."""
    folder = Path(directory)
    summary = read_summary(folder)
    names = summary.pop("tables", [])
    missing = [f"{n}.parquet" for n in ["examples", *names] if not (folder / f"{n}.parquet").exists()]
    if missing:
        raise InputError(
            f"{folder}: the result is incomplete; expected every table listed in {_MARKER}. Missing "
            f"{missing}. Re-run the diagnosis (with --force) to rewrite it."
        )
    tables = {name: pl.read_parquet(folder / f"{name}.parquet") for name in names}
    return Result(pl.read_parquet(folder / "examples.parquet"), summary, tables)


def read_summary(folder: Path) -> dict[str, Any]:
    """The checked ``summary.json`` of a result directory (without its format version)."""
    marker = folder / _MARKER
    if not marker.exists():
        raise InputError(
            f"{folder}: not a diagnose result (no {_MARKER}); expected a directory written by "
            "`diagnose run` or Result.save. Check the path."
        )
    try:
        summary = json.loads(marker.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{marker}: is not valid JSON ({exc}); expected the summary written by diagnose. Re-run the diagnosis.") from exc
    if isinstance(summary, dict) and "demo" in summary and "format_version" not in summary:
        parts = ", ".join(str(folder / name) for name in summary["demo"])
        raise InputError(
            f"{folder}: is a `diagnose demo` directory holding several results, not one result; "
            f"expected a single result directory. Found {parts}. Pass one of those instead."
        )
    version = str(summary.pop("format_version", "0"))
    if version.split(".")[0] != FORMAT_VERSION.split(".")[0]:
        raise InputError(f"{folder}: result format {version} cannot be read by this version (reads {FORMAT_VERSION}); re-run the diagnosis.")
    return summary
