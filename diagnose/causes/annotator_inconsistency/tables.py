"""Tables of the annotators page: alpha, pairwise agreement, the most disputed items, and the
three readings of errors with votes (ambiguous item / wrong gold / model mistake) with the accuracy
on items people agree on against items they disagree on.

Pure polars functions of a saved result; the dashboard calls them through its cache.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from diagnose.result import Result

NAME = "annotator_inconsistency"


def krippendorff(result: Result) -> tuple[float | None, str | None]:
    """Krippendorff's alpha over all annotations and its reading, as the analyzer found them."""
    status = result.summary.get("analyzers", {}).get(NAME, {})
    findings = status.get("findings") or {}
    return findings.get("krippendorff_alpha"), findings.get("alpha_reading")


def pairwise_agreement(result: Result) -> pl.DataFrame:
    """Share of shared items on which each ordered pair of annotators gave the same label."""
    ann = result.table("annotations")
    if ann is None or ann.height == 0:
        return pl.DataFrame()
    ann = ann.select("id", pl.col("annotator").cast(pl.Utf8), pl.col("label").cast(pl.Utf8)).unique(["id", "annotator"])
    pairs = ann.join(ann, on="id", suffix="_b").filter(pl.col("annotator") != pl.col("annotator_b"))
    return (pairs.group_by(pl.col("annotator").alias("annotator_a"), "annotator_b")
            .agg(n_shared=pl.len(), agreement=(pl.col("label") == pl.col("label_b")).mean())
            .sort("annotator_a", "annotator_b"))


def agreement_matrix(result: Result) -> pl.DataFrame:
    """The pairwise agreement as an annotator × annotator table (diagonal 1)."""
    long = pairwise_agreement(result)
    if long.height == 0:
        return long
    names = sorted(set(long["annotator_a"]) | set(long["annotator_b"]))
    diag = pl.DataFrame({"annotator_a": names, "annotator_b": names, "agreement": [1.0] * len(names)})
    full = pl.concat([long.select("annotator_a", "annotator_b", "agreement"), diag])
    wide = full.pivot(on="annotator_b", index="annotator_a", values="agreement", sort_columns=True)
    return wide.select("annotator_a", *[n for n in names if n in wide.columns]).sort("annotator_a")


def disputed_items(result: Result, n: int = 50) -> pl.DataFrame:
    """Items the annotators disagreed on most, with their text and votes."""
    items = result.table("annotation_items")
    if items is None:
        return pl.DataFrame()
    rows = items.filter(pl.col("agreement").is_not_null()).sort(["agreement", "n_annotators"], descending=[False, True]).head(n)
    texts = [result.examples.select("id", "text")]
    if result.table("train") is not None:
        texts.append(result.table("train").select("id", "text"))
    rows = rows.join(pl.concat(texts).unique("id"), on="id", how="left")
    ann = result.table("annotations")
    if ann is not None:
        votes = (ann.filter(pl.col("id").is_in(rows["id"].implode()))
                 .group_by("id").agg(votes=pl.concat_str(pl.col("annotator"), pl.lit("→"), pl.col("label"))))
        rows = rows.join(votes, on="id", how="left")
    return rows


_P = f"{NAME}_"
READINGS = {"ambiguous": "ambiguous item", "wrong_gold": "wrong gold label", "model_mistake": "model mistake"}


def readings(result: Result) -> pl.DataFrame:
    """Errors with votes per reading: count and mean stated precision (empty without the columns)."""
    ex = result.examples
    if f"{_P}reading" not in ex.columns:
        return pl.DataFrame()
    rows = ex.filter(pl.col(f"{_P}reading").is_not_null())
    out = (rows.group_by(pl.col(f"{_P}reading").alias("reading"))
           .agg(errors=pl.len(), mean_stated_precision=pl.col(f"{_P}reading_precision").mean().round(3)))
    order = pl.DataFrame({"reading": list(READINGS), "rank": list(range(len(READINGS)))})
    return (order.join(out, on="reading", how="left").with_columns(pl.col("errors").fill_null(0))
            .with_columns(pl.col("reading").replace(READINGS)).drop("rank"))


def agreement_split(result: Result) -> pl.DataFrame:
    """Accuracy on rows with votes that people agree on (P(ambiguous) < 0.5) and on the others."""
    ex = result.examples
    if f"{_P}p_ambiguous" not in ex.columns:
        return pl.DataFrame()
    rows = ex.filter(pl.col(f"{_P}p_ambiguous").is_not_null() & pl.col("is_error").is_not_null())
    group = pl.when(pl.col(f"{_P}p_ambiguous") < 0.5).then(pl.lit("people agree")).otherwise(pl.lit("people disagree"))
    out = (rows.group_by(group.alias("items"))
           .agg(rows=pl.len(), accuracy=(~pl.col("is_error")).mean().round(4),
                expected_disagreement=pl.col(f"{_P}ambiguity").mean().round(3)))
    return out.sort("items")


def ambiguous_errors(result: Result, n: int = 100) -> pl.DataFrame:
    """Errors with votes, most likely ambiguous first, with the ambiguity estimate and its interval."""
    ex = result.examples
    if f"{_P}reading" not in ex.columns:
        return pl.DataFrame()
    cols = ["id", "text", "label", "prediction", f"{_P}reading", f"{_P}reading_precision", f"{_P}ambiguity",
            f"{_P}ambiguity_low", f"{_P}ambiguity_high", f"{_P}n_votes"]
    rows = ex.filter(pl.col(f"{_P}reading").is_not_null()).sort(f"{_P}p_ambiguous", descending=True).head(n)
    return rows.select(cols).rename({c: c.removeprefix(_P) for c in cols})
