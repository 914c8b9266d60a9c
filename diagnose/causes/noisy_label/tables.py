"""Tables of the labels page: mislabelled training rows and eval rows whose gold label looks wrong.

Pure polars functions of a saved result; the dashboard calls them through its cache.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from diagnose.result import Result

NAME = "noisy_label"
_GOLD_WRONG = r"gold label .* looks wrong"


def train_label_issues(result: Result, given: str | None = None, suggested: str | None = None) -> pl.DataFrame:
    """Training rows whose label looks wrong, optionally for one given → suggested pair."""
    issues = result.table("train_issues")
    if issues is None:
        return pl.DataFrame()
    rows = issues.filter(pl.col("is_label_issue") == True)
    if given:
        rows = rows.filter(pl.col("label") == given)
    if suggested:
        rows = rows.filter(pl.col("suggested_label") == suggested)
    train = result.table("train")
    if train is not None:
        rows = rows.join(train.select("id", "text"), on="id", how="left")
    cols = [c for c in ("id", "text", "label", "suggested_label", "label_quality", "annotator_support")
            if c in rows.columns]
    return rows.select(cols).rename({"label": "given_label"}).sort("label_quality")


def label_confusion(result: Result) -> pl.DataFrame:
    """How many flagged training rows go from each given label to each suggested label."""
    issues = result.table("train_issues")
    if issues is None:
        return pl.DataFrame()
    return (issues.filter(pl.col("is_label_issue") == True)
            .group_by(pl.col("label").alias("given_label"), "suggested_label").agg(n_rows=pl.len())
            .sort(["n_rows", "given_label", "suggested_label"], descending=[True, False, False]))


def suspect_gold(result: Result) -> pl.DataFrame:
    """Errors attributed to a noisy label whose evidence says the gold label itself looks wrong."""
    score, evidence = f"score_{NAME}", f"evidence_{NAME}"
    return (result.errors.filter(pl.col("causes").list.contains(NAME))
            .filter(pl.col(evidence).str.contains(_GOLD_WRONG))
            .select("id", "text", "label", "prediction", score, evidence)
            .sort(score, descending=True)
            .rename({"label": "gold_label"}))
