"""Training-data health: label issues, under-covered regions, annotator quality."""
from __future__ import annotations

from typing import Any

import polars as pl

from diagnose.core import registered
from diagnose.report.causes import relabel_fields, relabel_strength
from diagnose.report.text import MAX_EXAMPLES, MAX_ROWS, clip, share

__all__ = ["annotators_sentence", "training_health"]


def training_health(result) -> dict[str, Any]:
    """Dataset-level findings about the training data and its labelling.

    Each part is None when the table it needs is absent. Registered causes add
    their own panels (:attr:`diagnose.core.Cause.health`).
    """
    health = {
        "label_issues": _label_issues(result.tables.get("train_issues"), result.tables.get("train")),
        "coverage_regions": _regions(result.tables.get("coverage_regions")),
    }
    for cause in registered():
        if cause.health is not None:
            health.update(cause.health(result))
    return health


def annotators_sentence(ann: dict[str, Any]) -> str:
    """One plain-text sentence on annotator agreement when alpha could not be computed.

    Examples
    --------
    >>> annotators_sentence({"krippendorff_alpha": None, "n_annotators": 0, "near_duplicate_conflicts": 3})
    "No annotator labels were given, so Krippendorff's alpha was not computed; instead 3 rows were found with a near-duplicate that carries a different label."
    """
    if ann.get("krippendorff_alpha") is not None:
        return f"Krippendorff's alpha = {ann['krippendorff_alpha']:.3f}: {ann['reading']}."
    if not ann.get("n_annotators"):
        found = ann.get("near_duplicate_conflicts") or 0
        return ("No annotator labels were given, so Krippendorff's alpha was not computed; instead "
                f"{found} row{'' if found == 1 else 's'} were found with a near-duplicate that carries a different label.")
    return "Krippendorff's alpha was not computed: no item was labelled by two or more annotators."


def _label_issues(issues: pl.DataFrame | None, train: pl.DataFrame | None) -> dict[str, Any] | None:
    """Flagged training rows; the relabels shown are those whose suggestion is supported.

    A row's suggested label is shown as a relabel only when its text reads more
    like the suggested class than like its own (``relabel_supported``); the
    others are counted in ``n_withheld``. Class pairs run in the direction of
    the flip: given label, then the label the row probably should have.
    """
    if issues is None:
        return None
    flagged = relabel_strength(issues.filter(pl.col("is_label_issue")))
    known = flagged.get_column("relabel_supported").null_count() < flagged.height
    strong = flagged.filter(pl.col("relabel_supported").fill_null(True))
    top = strong.sort("label_quality", "id").head(MAX_EXAMPLES)
    if train is not None:
        top = top.join(train.select("id", "text"), on="id", how="left", maintain_order="left")
    examples = [{"id": clip(r["id"]), "text": clip(r.get("text")), **relabel_fields(r)} for r in top.iter_rows(named=True)]
    pairs = (strong.filter(pl.col("label") != pl.col("suggested_label"))
             .group_by("label", "suggested_label").len().sort(["len", "label", "suggested_label"], descending=[True, False, False])
             .head(MAX_EXAMPLES))
    return {
        "n_flagged": flagged.height,
        "n_rows": issues.height,
        "share": share(flagged.height, issues.height),
        "strength_known": known,
        "n_supported": strong.height if known else None,
        "n_withheld": flagged.height - strong.height,
        "examples": examples,
        "confused_pairs": [{"given": clip(g), "suggested": clip(s), "count": int(n)} for g, s, n in pairs.iter_rows()],
    }


def _regions(regions: pl.DataFrame | None) -> dict[str, Any] | None:
    if regions is None:
        return None
    rows = [{"region": int(r["region"]), "n_rows": int(r["n_rows"]), "n_errors": int(r["n_errors"]),
             "top_terms": [clip(t, 60) for t in (r.get("top_terms") or [])[:8]],
             "example_ids": [clip(i, 100) for i in (r.get("example_ids") or [])[:5]]}
            for r in regions.head(MAX_ROWS).iter_rows(named=True)]
    return {"n_regions": regions.height, "regions": rows}


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 4)
