"""One exception family for every failure the user can act on.

Every message has four parts: what went wrong, what was expected, what was
found (with up to five offending ids or rows and a count) and how to fix it.
"""
from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "DiagnoseError",
    "InputError",
    "MissingColumnError",
    "InputTypeError",
    "OutputExistsError",
    "OptionalDependencyError",
    "format_examples",
]


class DiagnoseError(Exception):
    """Base class of every error raised on purpose by ``diagnose``."""


class InputError(DiagnoseError, ValueError):
    """An input table or option has a value the tool cannot use."""


class MissingColumnError(DiagnoseError, KeyError):
    """A required column is absent from an input table."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class InputTypeError(DiagnoseError, TypeError):
    """An argument has a type the tool does not accept."""


class OutputExistsError(DiagnoseError, FileExistsError):
    """The output directory exists and overwriting was not allowed."""


class OptionalDependencyError(DiagnoseError, ImportError):
    """An optional extra is needed for the requested feature but not installed."""


def format_examples(values: Iterable[object], *, limit: int = 5) -> str:
    """Render up to ``limit`` offending values and the total count.

    Examples
    --------
    >>> format_examples(["a", "b", "c"], limit=2)
    "3 in all, e.g. ['a', 'b']"
    """
    items = list(values)
    shown = [v for v in items[:limit]]
    return f"{len(items)} in all, e.g. {shown!r}"
