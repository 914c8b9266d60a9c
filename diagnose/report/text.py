"""Limits of what a report shows, and shortening of dataset text.

A report never embeds raw datasets: each list is capped and every text is
clipped, so a report of a 100,000-row result stays small.
"""
from __future__ import annotations

from typing import Any

__all__ = ["MAX_EXAMPLES", "MAX_TEXT", "MAX_EVIDENCE", "MAX_ROWS", "MAX_IDS", "clip", "cause_label", "share"]

MAX_EXAMPLES = 10
"""Examples shown per section."""
MAX_TEXT = 300
"""Characters kept of a text, passage or label."""
MAX_EVIDENCE = 600
"""Characters kept of an evidence string."""
MAX_ROWS = 25
"""Rows kept of a side table (annotators, regions, combinations, ...)."""
MAX_IDS = 50
"""Ids listed in a recommended action."""


def clip(value: Any, limit: int = MAX_TEXT) -> str | None:
    """``value`` as a string of at most ``limit`` characters (``…`` marks a cut).

    Examples
    --------
    >>> clip("abcdef", 4)
    'abc…'
    >>> clip(None) is None
    True
    """
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def cause_label(name: str) -> str:
    """A readable title of a cause name.

    >>> cause_label("coverage_gap")
    'Coverage gap'
    """
    words = str(name).replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def share(count: int, total: int | None) -> float | None:
    """``count / total`` rounded to 4 places, or None when ``total`` is 0.

    >>> share(1, 4)
    0.25
    """
    return round(count / total, 4) if total else None


def regions_sentence(n: int) -> str:
    """How many groups of eval rows lie far from the training data, in the right number.

    >>> regions_sentence(1)
    '1 group of eval rows lies far from all training data.'
    >>> regions_sentence(3)
    '3 groups of eval rows lie far from all training data.'
    """
    return f"{n} group of eval rows lies far from all training data." if n == 1 else \
        f"{n} groups of eval rows lie far from all training data."
