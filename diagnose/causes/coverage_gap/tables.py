"""Tables of the coverage page: the under-covered regions and their example rows.

Pure polars functions of a saved result; the dashboard calls them through its cache.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from diagnose.result import Result

SCORE = "score_coverage_gap"


def coverage_regions(result: Result) -> pl.DataFrame:
    """Under-covered regions with their top terms, most errors first."""
    regions = result.table("coverage_regions")
    if regions is None:
        return pl.DataFrame()
    return regions.sort(["n_errors", "n_rows"], descending=True)


def region_rows(result: Result, region: int) -> pl.DataFrame:
    """The example eval rows of one coverage region."""
    regions = result.table("coverage_regions")
    ids = regions.filter(pl.col("region") == region).get_column("example_ids").explode()
    return (result.examples.filter(pl.col("id").is_in(ids.implode()))
            .select("id", "text", "label", "prediction", "is_error", SCORE))
