"""The annotator_inconsistency cause in the report: the recommended action of its section and its
panel of the training-data health section (annotators, Krippendorff's alpha and its reading)."""
from __future__ import annotations

from typing import Any

import polars as pl

from diagnose.causes.annotator_inconsistency._crowd import alpha_reading
from diagnose.report.causes import ids_action
from diagnose.report.text import MAX_ROWS, clip

__all__ = ["action", "alpha_sentence", "figures", "health", "readings_sentence"]

_READINGS = {
    "reliable": "reliable (alpha \u2265 0.8)",
    "tentative": "tentative (0.667 \u2264 alpha < 0.8): draw only tentative conclusions",
    "unreliable": "unreliable (alpha < 0.667): the labels are too inconsistent to trust as ground truth",
    None: "not computed (needs items labelled by two or more annotators)",
}


def action(result, errors: pl.DataFrame, description: str) -> dict[str, Any]:
    """The action of the report section: what to do about ``errors`` (the errors this cause explains)."""
    text = f"Adjudicate these {errors.height} items: collect another vote or an expert decision, and write a labelling guideline for the disputed classes."
    text += readings_sentence(result)
    ann = result.tables.get("annotators")
    if ann is not None and ann.height > 1:
        worst = ann.drop_nulls("quality").sort("quality", "annotator").head(1)
        if worst.height:
            row = worst.row(0, named=True)
            text += f" Review or retrain annotator {clip(row['annotator'], 80)} (quality {row['quality']:.2f}, lowest of {ann.height})."
    return ids_action(text, errors, "eval")


def readings_sentence(result) -> str:
    """The readings of the errors with votes and the accuracy split, in words (empty without votes)."""
    from diagnose.causes.annotator_inconsistency.tables import agreement_split, readings

    table = readings(result)
    if table.height == 0 or not sum(table["errors"]):
        return ""
    parts = [f"{n} {what} (mean stated precision {p:.2f})" for what, n, p in table.iter_rows() if n]
    text = f" Errors with votes read as: {'; '.join(parts)}."
    split = {row["items"]: row for row in agreement_split(result).iter_rows(named=True)}
    if split:
        said = [f"{v['accuracy']:.1%} on the {v['rows']} rows where {k}" for k, v in sorted(split.items())]
        text += f" Accuracy where people agree vs disagree: {'; '.join(said)}."
    return text


def figures(result) -> list[dict[str, Any]]:
    """The section's charts: accuracy where people agree vs disagree, and the readings of the errors
    with votes (none without eval votes)."""
    from diagnose.causes.annotator_inconsistency.tables import agreement_split, readings

    out = []
    split = agreement_split(result)
    if split.height:
        rows = [{"label": r["items"], "value": r["accuracy"],
                 "note": f"{r['rows']} rows, expected disagreement {r['expected_disagreement']:.0%}"}
                for r in split.iter_rows(named=True)]
        out.append({"title": "Accuracy where people agree vs disagree", "rows": rows,
                    "caption": "Eval rows with votes, split by whether people would likely disagree on the item "
                               "(P(ambiguous) \u2265 0.5). Errors on items people disagree on are not the model's fault alone; "
                               "the gap shows how much of the error rate they account for."})
    table = readings(result)
    total = int(sum(table["errors"])) if table.height else 0
    if total:
        rows = [{"label": what, "value": n / total, "note": f"{n} errors" + (f", stated precision {p:.2f}" if p is not None else "")}
                for what, n, p in table.iter_rows()]
        out.append({"title": "Errors with votes by reading", "rows": rows,
                    "caption": "Each error with votes read as an ambiguous item (people disagree), a wrong gold label "
                               "(relabel it) or a model mistake (fix the model); the stated precision is the mean "
                               "posterior probability of the reading."})
    return out


def alpha_sentence(alpha: float | None) -> str:
    """Krippendorff's reading of an alpha value in words (the reading itself:
    :func:`~diagnose.causes.annotator_inconsistency._crowd.alpha_reading`).

    Examples
    --------
    >>> alpha_sentence(0.85)
    'reliable (alpha ≥ 0.8)'
    >>> alpha_sentence(0.7)
    'tentative (0.667 ≤ alpha < 0.8): draw only tentative conclusions'
    """
    return _READINGS[alpha_reading(alpha)]


def health(result) -> dict[str, Any]:
    """The ``annotators`` panel of the training-data health section (None without annotations)."""
    return {"annotators": _annotators(result.tables.get("annotators"), result.summary or {})}


def _annotators(table: pl.DataFrame | None, summary: dict[str, Any]) -> dict[str, Any] | None:
    findings = ((summary.get("analyzers") or {}).get("annotator_inconsistency") or {}).get("findings") or {}
    if table is None and not findings:
        return None
    alpha = findings.get("krippendorff_alpha")
    rows = []
    if table is not None:
        ordered = table.sort("quality", "annotator", nulls_last=True).head(MAX_ROWS)
        rows = [{"annotator": clip(r["annotator"], 120), "n_labels": int(r["n_labels"]),
                 "agreement_with_consensus": _round(r.get("agreement_with_consensus")), "quality": _round(r.get("quality"))}
                for r in ordered.iter_rows(named=True)]
    return {
        "krippendorff_alpha": _round(alpha),
        "reading": alpha_sentence(alpha),
        "method": clip(findings.get("method"), 200),
        "n_annotators": table.height if table is not None else int(findings.get("n_annotators") or 0),
        "n_items": findings.get("n_items"),
        "near_duplicate_conflicts": findings.get("n_near_duplicate_conflicts"),
        "annotators": rows,
    }


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 4)
