"""The coverage_gap cause in the report: the recommended action of its report section."""
from __future__ import annotations

from typing import Any

import polars as pl

from diagnose.report.causes import ids_action
from diagnose.report.text import clip

__all__ = ["action"]


def action(result, errors: pl.DataFrame, description: str) -> dict[str, Any]:
    """The action of the report section: what to do about ``errors`` (the errors this cause explains)."""
    regions = result.tables.get("coverage_regions")
    terms: list[str] = []
    if regions is not None and regions.height:
        for row in regions.sort("n_errors", descending=True).head(3).iter_rows(named=True):
            terms.extend(t for t in (row.get("top_terms") or [])[:3] if t not in terms)
    about = f", especially about: {', '.join(clip(t, 40) for t in terms)}" if terms else ""
    return ids_action(f"Collect and label more training data like these {errors.height} eval rows{about}; then retrain.", errors, "eval")
