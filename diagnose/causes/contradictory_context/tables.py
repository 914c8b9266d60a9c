"""Table of the context page: conflicting passage pairs with their eval row.

A pure polars function of a saved result; the dashboard calls it through its cache.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from diagnose.result import Result

NAME = "contradictory_context"


def context_conflicts(result: Result, explained_only: bool = False) -> pl.DataFrame:
    """Conflicting passage pairs with their eval row, strongest first.

    ``explained_only`` keeps the errors attributed to ``contradictory_context``: as many rows as the
    summary (and the report) count for that cause.
    """
    conflicts = result.table("context_conflicts")
    if conflicts is None:
        return pl.DataFrame()
    info = result.examples.select("id", "text", "label", "prediction", "is_error", "causes")
    rows = conflicts.join(info, on="id", how="left")
    if explained_only:
        rows = rows.filter(pl.col("is_error").fill_null(False)
                           & pl.col("causes").list.contains(NAME).fill_null(False))
    return rows.drop("causes").sort("strength", descending=True)
