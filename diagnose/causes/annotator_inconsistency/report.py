"""The annotator_inconsistency cause in the report: the recommended action of its report section."""
from __future__ import annotations

from typing import Any

import polars as pl

from diagnose.report.causes import ids_action
from diagnose.report.text import clip

__all__ = ["action"]


def action(result, errors: pl.DataFrame, description: str) -> dict[str, Any]:
    """The action of the report section: what to do about ``errors`` (the errors this cause explains)."""
    text = f"Adjudicate these {errors.height} items: collect another vote or an expert decision, and write a labelling guideline for the disputed classes."
    ann = result.tables.get("annotators")
    if ann is not None and ann.height > 1:
        worst = ann.drop_nulls("quality").sort("quality", "annotator").head(1)
        if worst.height:
            row = worst.row(0, named=True)
            text += f" Review or retrain annotator {clip(row['annotator'], 80)} (quality {row['quality']:.2f}, lowest of {ann.height})."
    return ids_action(text, errors, "eval")
