"""Limits of what a report shows, and shortening of dataset text.

A report never embeds raw datasets: each list is capped and every text is
clipped, so a report of a 100,000-row result stays small.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["MAX_EVIDENCE", "MAX_EXAMPLES", "MAX_IDS", "MAX_ROWS", "MAX_TEXT", "cause_label", "clip", "mark_span", "relabel_words", "relabels_sentence", "share", "threshold_skipped"]

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

    >>> cause_label("train_eval_leakage")
    'Train eval leakage'
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


def relabel_words(row: dict[str, Any]) -> str:
    """A suspect training label in words that fix the direction of the change, with how sure it is.

    Examples
    --------
    >>> relabel_words({"label": "a", "suggested_label": "b", "suggested_label_prob": 0.62, "supported": True})
    "labelled 'a', probably 'b' (p(b) = 0.62; reads more like 'b' than like 'a')"
    >>> relabel_words({"label": "a", "suggested_label": "b", "suggested_label_prob": 0.41, "supported": False})
    "labelled 'a', maybe 'b' (weak: p(b) = 0.41; reads no more like 'b' than like 'a')"
    """
    given, new, prob = f"'{row['label']}'", f"'{row['suggested_label']}'", row.get("suggested_label_prob")
    sure = [] if prob is None else [f"p({row['suggested_label']}) = {prob:.2f}"]
    if row.get("supported") is False:
        return f"labelled {given}, maybe {new} (weak: {'; '.join([*sure, f'reads no more like {new} than like {given}'])})"
    if row.get("supported"):
        sure.append(f"reads more like {new} than like {given}")
    return f"labelled {given}, probably {new}" + (f" ({'; '.join(sure)})" if sure else "")


def relabels_sentence(issues: dict[str, Any]) -> str:
    """How many flagged training rows get a relabel suggestion, and how many are withheld.

    >>> relabels_sentence({"strength_known": True, "n_supported": 150, "n_withheld": 53})[:60]
    '150 of them read more like the suggested label than like the'
    """
    if not issues.get("strength_known"):
        return "How sure each suggested label is could not be measured (no training embeddings); rows are listed by label quality."
    return (f"{issues['n_supported']} of them read more like the suggested label than like their own and are listed below; "
            f"{issues['n_withheld']} are withheld because their suggested label is no better supported than the given one "
            "(check them by hand).")


def threshold_skipped(row: dict[str, Any]) -> str:
    """The calibration cell of a cause whose analyzer did not run.

    >>> threshold_skipped({"status": "skipped", "reason": "needs annotations"})
    'skipped: needs annotations'
    """
    return f"{str(row.get('status') or 'not_run').replace('_', ' ')}: {row.get('reason') or 'no reason recorded'}"


def mark_span(text: str, start: int, end: int, mark: Callable[[str], str],
              escape: Callable[[str], str] = str) -> str:
    """``text`` escaped, with ``text[start:end]`` (the span) wrapped by ``mark``.

    The one span highlighter: the Markdown and HTML reports (bold, ``<mark>``), the
    dashboard (an orange background) and the context evidence («guillemets») differ
    only in ``mark`` and ``escape``. ``escape`` applies to the three pieces
    separately, before ``mark``.

    Examples
    --------
    >>> mark_span("founded in 1856 by", 11, 15, lambda s: f"«{s}»")
    'founded in «1856» by'
    >>> mark_span("a<b", 1, 2, lambda s: f"<mark>{s}</mark>", escape=lambda s: s.replace("<", "&lt;"))
    'a<mark>&lt;</mark>b'
    """
    return escape(text[:start]) + mark(escape(text[start:end])) + escape(text[end:])


def find_span(text: str | None, span: str | None) -> tuple[int, int] | None:
    """Where ``span`` first occurs in ``text`` (start, end), or None (no span, or not there).

    >>> find_span("born in 1990.", "1990")
    (8, 12)
    >>> find_span("born in 1990.", "2000") is None
    True
    """
    at = (text or "").find(span) if span else -1
    return None if at < 0 else (at, at + len(span))
