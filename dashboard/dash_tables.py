"""Pure shaping functions for the dashboard pages.

Each takes a :class:`diagnose.Result` and only selects, joins and counts what
the diagnosis already computed; nothing here re-runs an analysis or touches
streamlit, so every function is testable on its own. Pages reach them through
``dash_data.cached`` so each table is computed once per result.
"""
from __future__ import annotations

import re
from typing import Any

import polars as pl

import diagnose
from diagnose.core import Page, registered
from diagnose.report.text import find_span, mark_span

UNEXPLAINED = "unexplained"

# --------------------------------------------------------------------------- overview
def analyzer_names() -> list[str]:
    """Causes in registry order."""
    return [cause.name for cause in registered()]


def cause_colours() -> dict[str, str]:
    """Chart colour of every registered cause (and of unexplained errors)."""
    return {**{cause.name: cause.colour for cause in registered()}, UNEXPLAINED: "#5f5f5f"}


def cause_pages() -> dict[str, Page]:
    """The dashboard page of each registered cause that has one, in registry order."""
    return {cause.name: cause.page for cause in registered() if cause.page}


def cause_counts(result: diagnose.Result) -> pl.DataFrame:
    """Errors per cause (an error can have several) plus the unexplained ones."""
    counts = result.summary["counts"]
    names = list(dict.fromkeys([*analyzer_names(), *counts["per_cause"]]))
    rows = [(c, int(counts["per_cause"].get(c, 0))) for c in names]
    rows.append((UNEXPLAINED, int(counts["unexplained"])))
    return pl.DataFrame(rows, schema={"cause": pl.Utf8, "n_errors": pl.Int64}, orient="row")


def combination_counts(result: diagnose.Result) -> pl.DataFrame:
    """Errors per exact combination of causes, most frequent first."""
    combos = result.summary["counts"]["combinations"]
    return pl.DataFrame({"causes": list(combos), "n_errors": [int(v) for v in combos.values()]},
                        schema={"causes": pl.Utf8, "n_errors": pl.Int64})


def class_error_rates(result: diagnose.Result) -> pl.DataFrame:
    """Per gold class: rows, errors, error rate and the most common primary cause of its errors."""
    labelled = result.examples.filter(pl.col("is_error").is_not_null())
    rates = labelled.group_by("label").agg(
        n_rows=pl.len(), n_errors=pl.col("is_error").cast(pl.Int64).sum())
    dominant = (result.errors.group_by("label", "primary_cause").agg(n=pl.len())
                .sort(["label", "n", "primary_cause"], descending=[False, True, False])
                .group_by("label", maintain_order=True).first()
                .rename({"primary_cause": "dominant_cause", "n": "dominant_n"}))
    return (rates.join(dominant, on="label", how="left")
            .with_columns(error_rate=pl.col("n_errors") / pl.col("n_rows"),
                          dominant_share=pl.col("dominant_n") / pl.col("n_errors"))
            .drop("dominant_n")
            .sort(["error_rate", "n_errors", "label"], descending=[True, True, False]))


def _describe(status: dict) -> str:
    if status.get("status") == "skipped":
        return status.get("reason") or ""
    findings = status.get("findings") or {}
    return ", ".join(f"{k}={v}" for k, v in findings.items())


def analyzer_status(result: diagnose.Result) -> pl.DataFrame:
    """What ran and what was skipped and why, one row per registered analyzer."""
    status = result.summary.get("analyzers", {})
    rows = [(c.name, status.get(c.name, {}).get("status", "not in this result"),
             _describe(status.get(c.name, {})), c.description) for c in registered()]
    rows += [(name, s.get("status", ""), _describe(s), "") for name, s in status.items()
             if name not in analyzer_names()]
    return pl.DataFrame(rows, schema=["analyzer", "status", "findings or reason", "what it looks for"],
                        orient="row")


def analyzer_ran(result: diagnose.Result, analyzer: str) -> bool:
    """Whether ``analyzer`` ran for this result (not skipped, not absent).

    >>> analyzer_ran(diagnose.Result(pl.DataFrame(), {"analyzers": {"a": {"status": "ran"}}}), "a")
    True
    """
    return (result.summary or {}).get("analyzers", {}).get(analyzer, {}).get("status") == "ran"


def explained_by(result: diagnose.Result, cause: str) -> int:
    """Errors attributed to ``cause``, as the summary (and so the report) counts them.

    >>> explained_by(diagnose.Result(pl.DataFrame(), {"counts": {"per_cause": {"a": 3}}}), "a")
    3
    """
    return int(((result.summary or {}).get("counts") or {}).get("per_cause", {}).get(cause) or 0)


def skip_reason(result: diagnose.Result, analyzer: str) -> str:
    """Why an analyzer produced nothing, for an empty page."""
    status = result.summary.get("analyzers", {}).get(analyzer)
    if status is None:
        return f"the {analyzer} analyzer is not part of this result."
    if status.get("status") == "skipped":
        return f"the {analyzer} analyzer was skipped: {status.get('reason')}"
    return f"the {analyzer} analyzer ran but produced no such table."


def no_errors_reason(result: diagnose.Result) -> str | None:
    """Why a result has no errors to explain, or None when it has some.

    >>> no_errors_reason(diagnose.Result(pl.DataFrame(), {"n_errors": 3, "n_labelled": 9})) is None
    True
    >>> no_errors_reason(diagnose.Result(pl.DataFrame(), {"n_errors": 0, "n_labelled": 9}))
    'the model got all 9 labelled eval rows right; there are no errors to explain.'
    """
    s = result.summary or {}
    if s.get("n_errors"):
        return None
    if not s.get("n_labelled"):
        return ("no eval row has both a gold label and a prediction, so no error can be counted "
                "(give label and prediction columns in the eval table).")
    return f"the model got all {s['n_labelled']:,} labelled eval rows right; there are no errors to explain."


# --------------------------------------------------------------------------- map
def _error_group(df: pl.DataFrame) -> pl.Expr:
    return (pl.when(pl.col("split") == "train").then(pl.lit("train"))
            .when(pl.col("is_error") == True).then(pl.concat_str(pl.lit("error: "), pl.col("primary_cause")))
            .otherwise(pl.lit("eval (correct or unlabelled)")))


def map_points(result: diagnose.Result, max_points: int = 20_000, seed: int = 0) -> pl.DataFrame:
    """Points of the 2-D map with a display group; subsampled, keeping errors first."""
    emb = result.table("embedding_map")
    if emb is None:
        return pl.DataFrame()
    info = result.examples.select("id", "is_error", "primary_cause", "label", "prediction")
    pts = emb.join(info, on="id", how="left")
    train = result.table("train")
    if train is not None:
        gold = train.select("id", pl.col("label").cast(pl.Utf8).alias("train_label"))
        pts = pts.join(gold, on="id", how="left").with_columns(
            pl.when(pl.col("split") == "train").then(pl.col("train_label")).otherwise(pl.col("label")).alias("label")
        ).drop("train_label")
    pts = pts.with_columns(_error_group(pts).alias("group"))
    pts = pts.with_columns(layer=pl.when(pl.col("group").str.starts_with("error: ")).then(pl.lit("error"))
                           .otherwise(pl.lit("background")))
    if pts.height <= max_points:
        return pts
    err = pts.filter(pl.col("group").str.starts_with("error: "))
    err = err.sample(min(err.height, max_points // 2), seed=seed)
    rest = pts.filter(~pl.col("group").str.starts_with("error: "))
    return pl.concat([rest.sample(max_points - err.height, seed=seed), err])


def errors_with_cause(result: diagnose.Result, cause: str) -> pl.DataFrame:
    """Errors attributed to ``cause``, strongest evidence first."""
    cols = ["id", "text", "label", "prediction", f"score_{cause}", f"evidence_{cause}"]
    return (result.errors.filter(pl.col("causes").list.contains(cause))
            .select(cols).sort(f"score_{cause}", descending=True))


# --------------------------------------------------------------------------- text
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=^&])")


def escape_markdown(text: str | None) -> str:
    """Text that ``st.markdown`` shows literally (no links, HTML, emphasis or directives).

    >>> escape_markdown("[a](b) *c*")
    '\\\\[a\\\\]\\\\(b\\\\) \\\\*c\\\\*'

    A missing value (an unlabelled row) reads as a dash, not "None":

    >>> escape_markdown(None)
    '—'
    """
    if text is None:
        return "—"
    return _MD_SPECIAL.sub(r"\\\1", re.sub(r"\s+", " ", str(text)))


def highlight(sentence: str, span: str | None) -> str:
    """Markdown of ``sentence`` with the first occurrence of ``span`` (any case) on an orange background.

    >>> highlight("born in 1990.", "1990")
    'born in :orange-background[**1990**]\\\\.'
    """
    sentence = " ".join(str(sentence or "").split())
    span = " ".join(str(span or "").split())
    found = find_span(sentence, span)
    if found is None and len(sentence.lower()) == len(sentence):  # lower() may change the length ("İ")
        found = find_span(sentence.lower(), span.lower())
    if found is None:
        return escape_markdown(sentence)
    return mark_span(sentence, *found, mark=lambda s: f":orange-background[**{s}**]", escape=escape_markdown)


# --------------------------------------------------------------------------- explorer
def natural_order(labels) -> list[str]:
    """Labels sorted so that numbers inside them compare as numbers.

    >>> natural_order(["12", "2", "card_10", "card_9", "Apple"])
    ['2', '12', 'Apple', 'card_9', 'card_10']
    """
    def key(label: str) -> list:
        return [(0, int(part), "") if part.isdigit() else (1, 0, part.casefold())
                for part in re.split(r"(\d+)", label) if part]
    return sorted(labels, key=key)


def error_classes(result: diagnose.Result) -> list[str]:
    """Gold labels that occur among the errors, numbers in them compared as numbers."""
    return natural_order(result.errors.get_column("label").drop_nulls().cast(pl.Utf8).unique().to_list())


def filter_errors(result: diagnose.Result, causes: tuple = (), classes: tuple = (),
                  min_score: float = 0.0) -> pl.DataFrame:
    """Errors with any of ``causes`` (``unexplained`` allowed), gold in ``classes``, score ≥ ``min_score``."""
    rows = result.errors
    if causes:
        picks = [pl.col("causes").list.contains(c) for c in causes if c != UNEXPLAINED]
        if UNEXPLAINED in causes:
            picks.append(pl.col("causes").list.len() == 0)
        rows = rows.filter(pl.any_horizontal(picks))
    if classes:
        rows = rows.filter(pl.col("label").is_in(list(classes)))
    scored = [c for c in (causes or analyzer_names()) if c != UNEXPLAINED and f"score_{c}" in rows.columns]
    top = pl.max_horizontal([pl.col(f"score_{c}").fill_null(0.0) for c in scored]) if scored else pl.lit(0.0)
    if min_score > 0:
        rows = rows.filter(top >= min_score)
    stated = [f"precision_{c}" for c in scored if f"precision_{c}" in rows.columns]
    best = pl.max_horizontal([pl.col(c) for c in stated]) if stated else pl.lit(None, pl.Float64)
    return rows.with_columns(top.alias("top_score"), best.alias("stated_precision")).select(
        "id", "text", "label", "prediction", "primary_cause", "causes", "top_score", "stated_precision")


def error_detail(result: diagnose.Result, error_id: str) -> dict[str, Any]:
    """Everything known about one eval row: the row, cause scores, neighbours, votes, passages."""
    row = result.examples.filter(pl.col("id") == error_id).row(0, named=True)
    thresholds = result.summary.get("thresholds", {})
    scores = pl.DataFrame([(c, row.get(f"score_{c}"), (thresholds.get(c) or {}).get("threshold"),
                            c in (row["causes"] or []), row.get(f"precision_{c}"), row.get(f"evidence_{c}"))
                           for c in analyzer_names()],
                          schema={"cause": pl.Utf8, "score": pl.Float64, "threshold": pl.Float64,
                                  "attributed": pl.Boolean, "stated_precision": pl.Float64, "evidence": pl.Utf8},
                          orient="row")
    return {"row": row, "scores": scores, "neighbors": _neighbors_of(result, error_id),
            "votes": _rows_for(result, "annotations", error_id),
            "item": _rows_for(result, "annotation_items", error_id),
            "passages": _rows_for(result, "contexts", error_id),
            "conflicts": _rows_for(result, "context_conflicts", error_id)}


def _rows_for(result: diagnose.Result, table: str, row_id: str) -> pl.DataFrame:
    frame = result.table(table)
    return pl.DataFrame() if frame is None else frame.filter(pl.col("id") == row_id)


def _neighbors_of(result: diagnose.Result, row_id: str) -> pl.DataFrame:
    nb = _rows_for(result, "neighbors", row_id)
    if nb.height == 0:
        return nb
    nb = nb.select("rank", "train_id", "similarity")
    train = result.table("train")
    if train is not None:
        nb = nb.join(train.select(pl.col("id").alias("train_id"), "text", "label"), on="train_id", how="left")
    issues = result.table("train_issues")
    if issues is not None:
        flags = issues.select(pl.col("id").alias("train_id"), "is_label_issue", "suggested_label")
        nb = nb.join(flags, on="train_id", how="left")
    return nb.sort("rank")
