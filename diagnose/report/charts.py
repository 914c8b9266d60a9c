"""Inline SVG charts: no scripts, no external resources, escaped labels.

Every chart scales with its container (``viewBox`` and ``width: 100%``),
carries a ``<title>`` for screen readers, and prints in colour or greys.
"""
from __future__ import annotations

from html import escape
from typing import Any

__all__ = ["PALETTE", "UNEXPLAINED", "bar_chart", "colour_of", "share_chart", "stacked_bar"]

PALETTE = ("#2563eb", "#d97706", "#7c3aed", "#0f766e", "#db2777", "#4d7c0f", "#0891b2", "#b91c1c")
UNEXPLAINED = "#9ca3af"


def colour_of(key: str, order: list[str]) -> str:
    """The colour of a cause: by its position in ``order``; grey for ``unexplained``.

    >>> colour_of("unexplained", ["a"])
    '#9ca3af'
    """
    if key == "unexplained" or key not in order:
        return UNEXPLAINED
    return PALETTE[order.index(key) % len(PALETTE)]


def _fmt(share: float | None) -> str:
    return "" if share is None else f" ({share:.0%})"


def bar_chart(rows: list[dict[str, Any]], *, title: str, colours: dict[str, str], width: int = 480) -> str:
    """Horizontal bars, one per row (``key``, ``label``, ``count``, ``share``).

    Examples
    --------
    >>> svg = bar_chart([{"key": "a", "label": "A <b>", "count": 3, "share": 0.5}], title="t", colours={})
    >>> "<b>" in svg, "A &lt;b&gt;" in svg
    (False, True)
    """
    bar_h, gap, label_w, value_w = 20, 8, 170, 80
    height = max(1, len(rows)) * (bar_h + gap) + gap
    scale = (width - label_w - value_w) / max([r["count"] for r in rows] + [1])
    parts = [(f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
             f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>')]
    for i, row in enumerate(rows):
        y = gap + i * (bar_h + gap)
        w = max(row["count"] * scale, 1.5 if row["count"] else 0)
        colour = colours.get(row["key"], UNEXPLAINED)
        parts.append(
            f'<text x="{label_w - 8}" y="{y + bar_h * 0.7:.1f}" text-anchor="end" class="chart-label">{escape(row["label"])}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" rx="3" fill="{colour}"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + bar_h * 0.7:.1f}" class="chart-value">{row["count"]}{_fmt(row.get("share"))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def stacked_bar(rows: list[dict[str, Any]], *, title: str, colours: dict[str, str], width: int = 640) -> str:
    """One bar split into segments (``key``, ``label``, ``count``) that sum to the total.

    >>> "<rect" in stacked_bar([{"key": "a", "label": "A", "count": 2}], title="t", colours={"a": "#000"})
    True
    """
    total = sum(r["count"] for r in rows)
    height = 28
    parts = [(f'<svg class="chart stacked" role="img" viewBox="0 0 {width} {height}" width="100%" '
             f'preserveAspectRatio="none" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>')]
    if total == 0:
        parts.append(f'<rect x="0" y="0" width="{width}" height="{height}" rx="4" fill="#e5e7eb"/>')
    x = 0.0
    for row in rows:
        w = width * row["count"] / total if total else 0
        if w <= 0:
            continue
        label = f'{row["label"]}: {row["count"]}'
        parts.append(f'<rect x="{x:.2f}" y="0" width="{w:.2f}" height="{height}" fill="{colours.get(row["key"], UNEXPLAINED)}">'
                     f'<title>{escape(label)}</title></rect>')
        x += w
    parts.append("</svg>")
    return "".join(parts)


def share_chart(rows: list[dict[str, Any]], *, title: str, colour: str = PALETTE[0], width: int = 560) -> str:
    """Horizontal bars of shares on a common 0-100% scale, one per row (``label``, ``value``, ``note``).

    Examples
    --------
    >>> svg = share_chart([{"label": "x <i>", "value": 0.5, "note": "n=2"}], title="t")
    >>> "<i>" in svg, "x &lt;i&gt;" in svg, "50%" in svg
    (False, True, True)
    """
    bar_h, gap, label_w, value_w = 20, 8, 170, 170
    height = max(1, len(rows)) * (bar_h + gap) + gap
    span = width - label_w - value_w
    parts = [(f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
              f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>')]
    for i, row in enumerate(rows):
        y = gap + i * (bar_h + gap)
        value = min(max(float(row.get("value") or 0.0), 0.0), 1.0)
        note = f" · {row['note']}" if row.get("note") else ""
        parts.append(
            f'<text x="{label_w - 8}" y="{y + bar_h * 0.7:.1f}" text-anchor="end" class="chart-label">{escape(str(row["label"]))}</text>'
            f'<rect x="{label_w}" y="{y}" width="{span:.1f}" height="{bar_h}" rx="3" fill="#e5e7eb"/>'
            f'<rect x="{label_w}" y="{y}" width="{value * span:.1f}" height="{bar_h}" rx="3" fill="{colour}"/>'
            f'<text x="{label_w + span + 6:.1f}" y="{y + bar_h * 0.7:.1f}" class="chart-value">{value:.0%}{escape(note)}</text>')
    parts.append("</svg>")
    return "".join(parts)
