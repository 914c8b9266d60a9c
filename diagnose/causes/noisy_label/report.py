"""The noisy_label cause in the report: the recommended action of its report section."""
from __future__ import annotations

from typing import Any

import polars as pl

from diagnose.report.causes import ids_action, relabel_fields, relabel_strength
from diagnose.report.text import MAX_IDS, clip

__all__ = ["action"]


def action(result, errors: pl.DataFrame, description: str) -> dict[str, Any]:
    """The action of the report section: what to do about ``errors`` (the errors this cause explains)."""
    nb, issues = result.tables.get("neighbors"), result.tables.get("train_issues")
    if nb is not None and issues is not None:
        flagged = relabel_strength(issues.filter(pl.col("is_label_issue"))).rename({"id": "train_id"})
        rows = nb.filter(pl.col("id").is_in(errors.get_column("id").implode())).join(flagged, on="train_id")
        rows = rows.unique("train_id").sort("label_quality", "train_id")
        strong = rows.filter(pl.col("relabel_supported").fill_null(True))
        if strong.height:
            return {**ids_action(_relabel_text(strong.height, rows.height - strong.height), strong, "train", "train_id"),
                    "relabels": [{"train_id": clip(r["train_id"]), **relabel_fields(r)} for r in strong.head(MAX_IDS).iter_rows(named=True)],
                    "n_withheld": rows.height - strong.height}
    return ids_action(f"Check the gold labels of these {errors.height} eval rows: the model and the training data agree on another label.",
                   errors, "eval")


def _relabel_text(n: int, withheld: int) -> str:
    text = (f"Relabel these {n} training rows: confident learning flags their labels, they are among the nearest "
            "neighbours of the errors")
    if not withheld:
        return text + ". Then retrain."
    return (text + ", and each reads more like the class suggested for it than like its own. Then retrain. "
            f"{withheld} more flagged neighbour{'s are' if withheld != 1 else ' is'} withheld: "
            "the text reads no more like the suggested class than like its own label, so the suggestion is weak.")
