"""The contradictory_context cause in the report: the recommended action of its report section."""
from __future__ import annotations

from typing import Any

import polars as pl

from diagnose.report.causes import counted, ids_action

__all__ = ["action"]


def action(result, errors: pl.DataFrame, description: str) -> dict[str, Any]:
    """The action of the report section: what to do about ``errors`` (the errors this cause explains)."""
    count = counted(result, "contradictory_context", errors.height)
    return ids_action(f"Fix retrieval for these {count} questions: drop or reconcile the conflicting passages "
                   "shown below, or rank the more authoritative source first.", errors, "eval")
