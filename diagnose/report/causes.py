"""One report section per cause: meaning, count, strongest examples, action.

Sections are built by iterating the cause registry (:func:`diagnose.core.registered`),
so a new cause gets a section (its ``description``, its ``evidence_<name>`` text and
a generic action) without any change here. A cause names the per-example details
it wants (neighbours, suspect labels, votes, passage conflicts) and its own
action in its :class:`~diagnose.core.Cause` entry; nothing here names a cause.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import polars as pl

from diagnose.core import Cause, registered
from diagnose.report.text import (
    MAX_EVIDENCE,
    MAX_EXAMPLES,
    MAX_IDS,
    cause_label,
    clip,
    share,
)

__all__ = ["cause_names", "cause_sections", "counted", "example_rows", "generic_action", "ids_action", "one_neighbour_list",
           "relabel_fields", "relabel_strength"]

_SHOW_NEIGHBOURS = 3
_SHOW_VOTES = 12


def cause_names(summary: dict[str, Any]) -> list[str]:
    """Registered causes in registry order, then any other cause the summary counts."""
    names = [cause.name for cause in registered()]
    counted = ((summary.get("counts") or {}).get("per_cause") or {})
    for name in [*counted, *(summary.get("analyzers") or {})]:
        if name not in names:
            names.append(name)
    return names


def cause_sections(result, names: list[str]) -> list[dict[str, Any]]:
    """The section of each cause in ``names``."""
    known = {cause.name: cause for cause in registered()}
    summary = result.summary or {}
    return [_section(result, name, known.get(name), summary) for name in names]


def _section(result, name: str, cause: Cause | None, summary: dict[str, Any]) -> dict[str, Any]:
    description = cause.description if cause else ""
    action = (cause.action if cause and cause.action else None) or generic_action
    counts = summary.get("counts") or {}
    n_err = int(summary.get("n_errors") or 0)
    count = int((counts.get("per_cause") or {}).get(name) or 0)
    info = (summary.get("analyzers") or {}).get(name) or {"status": "not_run", "reason": "this analyzer was not part of the run"}
    errors = _cause_errors(result.examples, name)
    shown = errors.head(MAX_EXAMPLES)
    examples = example_rows(shown, name)
    details = _details(result, cause.details if cause else (), [e["id"] for e in examples])
    for ex in examples:
        ex["details"] = details.get(ex["id"], {})
    return {
        "name": name,
        "label": cause.label if cause else cause_label(name),
        "description": description,
        "status": info.get("status", "not_run"),
        "reason": clip(info.get("reason"), 500),
        "findings": info.get("findings") or {},
        "n_errors": count,
        "share": share(count, n_err),
        "n_primary": int((counts.get("primary") or {}).get(name) or 0),
        "threshold": ((summary.get("thresholds") or {}).get(name) or {}).get("threshold") if info.get("status") == "ran" else None,
        "examples": examples,
        "action": action(result, errors, description) if errors.height else None,
        "figures": cause.figures(result) if cause and cause.figures and info.get("status") == "ran" else [],
    }


def _cause_errors(examples: pl.DataFrame, name: str) -> pl.DataFrame:
    """Errors explained by ``name``, strongest score first."""
    if "causes" not in examples.columns or "is_error" not in examples.columns:
        return examples.clear()
    rows = examples.filter(pl.col("is_error").fill_null(False) & pl.col("causes").list.contains(name))
    score = f"score_{name}"
    return rows.sort(score, descending=True, nulls_last=True, maintain_order=True) if score in rows.columns else rows


def _values(frame: pl.DataFrame, column: str) -> list:
    return frame.get_column(column).to_list() if column in frame.columns else [None] * frame.height


# the list an analyzer may append to its evidence ("; nearest training rows: tr-1 [label] sim 0.51, ...")
_OWN_NEIGHBOURS = re.compile(r"; nearest training rows: [^\n]*? sim -?\d+\.\d+(?=\n|$| \| )")  # " | ": another line's note


def one_neighbour_list(evidence: str | None) -> str | None:
    """``evidence`` without the neighbour list an analyzer wrote into it.

    The report's one list of nearest training rows per example is the
    result's ``neighbors`` table (``details.neighbors``); the coverage-gap
    evidence carries its own list, found in its character n-gram space, which
    disagreed with it (other rows, other similarities).

    Examples
    --------
    >>> one_neighbour_list("more unusual than 97% of rows; nearest training rows: tr-1 [a] sim 0.51, tr-2 [b c] sim 0.38")
    'more unusual than 97% of rows'
    >>> one_neighbour_list("more unusual; nearest training rows: tr-1 [a] sim 0.51 | 3 of 3 annotators name 'x'")
    "more unusual | 3 of 3 annotators name 'x'"
    """
    return None if evidence is None else _OWN_NEIGHBOURS.sub("", evidence)


def example_rows(frame: pl.DataFrame, cause: str | None) -> list[dict[str, Any]]:
    """Shown examples: clipped text, label, prediction, score and evidence."""
    score = _values(frame, f"score_{cause}") if cause else [None] * frame.height
    stated = _values(frame, f"precision_{cause}") if cause and f"precision_{cause}" in frame.columns else [None] * frame.height
    evidence = [one_neighbour_list(v) for v in _values(frame, f"evidence_{cause}" if cause else "evidence")]
    cols = {c: _values(frame, c) for c in ("id", "text", "label", "prediction", "causes")}
    return [{"id": clip(cols["id"][i]), "text": clip(cols["text"][i]), "label": clip(cols["label"][i]),
             "prediction": clip(cols["prediction"][i]),
             "score": None if score[i] is None else round(float(score[i]), 4),
             "precision": None if stated[i] is None else round(float(stated[i]), 4),
             "evidence": clip(evidence[i], MAX_EVIDENCE),
             "causes": list(cols["causes"][i] or [])} for i in range(frame.height)]


# ----------------------------------------------------------------------------- details


def _neighbours(result, ids: list[str]) -> dict[str, Any]:
    nb, train = result.tables.get("neighbors"), result.tables.get("train")
    if nb is None or not ids:
        return {}
    rows = nb.filter(pl.col("id").is_in(ids) & (pl.col("rank") <= _SHOW_NEIGHBOURS)).sort("id", "rank")
    if train is not None:
        rows = rows.join(train.select(pl.col("id").alias("train_id"), "text", "label"), on="train_id", how="left")
    out: dict[str, list] = {}
    for row in rows.iter_rows(named=True):
        out.setdefault(row["id"], []).append({"train_id": clip(row["train_id"]), "text": clip(row.get("text")),
                                              "label": clip(row.get("label")), "similarity": round(float(row["similarity"]), 4)})
    return out


def _suspects(result, ids: list[str]) -> dict[str, Any]:
    nb, issues, train = result.tables.get("neighbors"), result.tables.get("train_issues"), result.tables.get("train")
    if nb is None or issues is None or not ids:
        return {}
    flagged = relabel_strength(issues.filter(pl.col("is_label_issue"))).rename({"id": "train_id"})
    rows = nb.filter(pl.col("id").is_in(ids)).join(flagged, on="train_id").sort("id", "rank")
    if train is not None:
        rows = rows.join(train.select(pl.col("id").alias("train_id"), "text"), on="train_id", how="left")
    out: dict[str, list] = {}
    for row in rows.iter_rows(named=True):
        out.setdefault(row["id"], []).append({"train_id": clip(row["train_id"]), "text": clip(row.get("text")), **relabel_fields(row)})
    return {k: v[:_SHOW_NEIGHBOURS] for k, v in out.items()}


def relabel_strength(flagged: pl.DataFrame) -> pl.DataFrame:
    """Flagged training rows with how sure their suggested label is (nulls when the table predates it).

    ``supported`` is True when the row's text lies closer to the suggested
    class than to its given one (``relabel_supported`` of ``train_issues``).
    """
    cols = {"suggested_label_prob": pl.Float64, "centre_margin": pl.Float64, "relabel_supported": pl.Boolean}
    missing = [pl.lit(None, dtype).alias(c) for c, dtype in cols.items() if c not in flagged.columns]
    return flagged.with_columns(missing).select("id", "label", "suggested_label", "label_quality", *cols)


def relabel_fields(row: dict[str, Any]) -> dict[str, Any]:
    """The shown fields of one suspect training label."""
    return {"label": clip(row["label"]), "suggested_label": clip(row["suggested_label"]),
            "label_quality": _round(row["label_quality"]), "suggested_label_prob": _round(row.get("suggested_label_prob")),
            "centre_margin": _round(row.get("centre_margin")), "supported": row.get("relabel_supported")}


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 4)


def _votes(result, ids: list[str]) -> dict[str, Any]:
    ann, items = result.tables.get("annotations"), result.tables.get("annotation_items")
    if ann is None or not ids:
        return {}
    out: dict[str, dict] = {}
    for row in ann.filter(pl.col("id").is_in(ids)).iter_rows(named=True):
        entry = out.setdefault(row["id"], {"votes": [], "n_votes": 0, "consensus_label": None, "agreement": None})
        entry["n_votes"] += 1
        if len(entry["votes"]) < _SHOW_VOTES:
            entry["votes"].append({"annotator": clip(row["annotator"]), "label": clip(row["label"])})
    if items is not None:
        for row in items.filter(pl.col("id").is_in(list(out))).iter_rows(named=True):
            out[row["id"]].update(consensus_label=clip(row["consensus_label"]), agreement=row["agreement"])
    return out


def _conflicts(result, ids: list[str]) -> dict[str, Any]:
    table = result.tables.get("context_conflicts")
    if table is None or not ids:
        return {}
    rows = table.filter(pl.col("id").is_in(ids)).sort("strength", descending=True).unique("id", keep="first", maintain_order=True)
    keys = ("passage_a", "sentence_a", "span_a", "passage_b", "sentence_b", "span_b", "kind")
    return {r["id"]: {**{k: clip(r.get(k), 600 if k.startswith("sentence") else 300) for k in keys},
                      "strength": round(float(r["strength"]), 4)} for r in rows.iter_rows(named=True)}


_BUILDERS: dict[str, Callable[[Any, list[str]], dict[str, Any]]] = {
    "neighbors": _neighbours, "suspect_labels": _suspects, "votes": _votes, "conflict": _conflicts}


def _details(result, kinds: tuple[str, ...], ids: list[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {i: {} for i in ids}
    for kind in kinds:
        for row_id, value in _BUILDERS[kind](result, ids).items():
            if row_id in out:
                out[row_id][kind] = value
    return out


# ----------------------------------------------------------------------------- actions


def _ids(frame: pl.DataFrame, column: str = "id") -> list[str]:
    return [clip(v) for v in frame.get_column(column).head(MAX_IDS).to_list()]


def ids_action(text: str, frame: pl.DataFrame, kind: str, column: str = "id") -> dict[str, Any]:
    """A recommended action: its sentence and the (capped) ids it is about."""
    return {"text": text, "id_kind": kind, "ids": _ids(frame, column), "n_ids": frame.height}


def counted(result, cause: str, fallback: int) -> int:
    """Errors ``cause`` explains, as the summary counts them (``counts.per_cause``): the one count every view shows."""
    value = (((result.summary or {}).get("counts") or {}).get("per_cause") or {}).get(cause)
    return fallback if value is None else int(value)


def generic_action(result, errors: pl.DataFrame, description: str) -> dict[str, Any]:
    found = re.search(r"Fix:\s*([^.]*\.)", description or "")
    advice = found.group(1) if found else "Review these errors and the evidence below."
    return ids_action(f"{advice[:1].upper()}{advice[1:]} ({errors.height} eval rows.)", errors, "eval")


