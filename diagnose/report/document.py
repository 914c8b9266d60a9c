"""The report document: one JSON-safe dict every report format is rendered from.

The schema is documented in ``docs/report-schema.md``; ``format_version``
changes its major number whenever a field is removed or changes meaning.
"""
from __future__ import annotations

from typing import Any

import polars as pl

from diagnose.report.causes import cause_names, cause_sections, example_rows
from diagnose.report.health import training_health
from diagnose.report.text import (
    MAX_EVIDENCE,
    MAX_EXAMPLES,
    MAX_ROWS,
    MAX_TEXT,
    cause_label,
    clip,
    share,
)

__all__ = ["FORMAT_VERSION", "build_document"]

FORMAT_VERSION = "2.0"

_HOW = ("Each analyzer scores every eval row. Being wrong is not evidence of a cause, so each cause's evidence is "
        "calibrated among errors: compared with a reference of rows without the cause (e.g. ordinary errors on "
        "training rows, or the same annotators replayed under a null of plain annotator mistakes), it gives each "
        "error a stated precision, the share of errors with evidence this strong that had the cause. An error "
        "gets every cause whose stated precision reaches the minimum; its primary cause is the one stated most "
        "precise. Errors no cause explains are 'unexplained'.")


def build_document(result) -> dict[str, Any]:
    """The machine-readable audit report of ``result``.

    Parameters
    ----------
    result : diagnose.Result
        A finished diagnosis (from :func:`diagnose.run` or :func:`diagnose.load`).

    Returns
    -------
    dict
        JSON-safe; sections ``verdict``, ``causes``, ``unexplained``,
        ``training_health`` and ``method`` (see ``docs/report-schema.md``).

    Examples
    --------
    >>> import diagnose
    >>> ex = pl.DataFrame({"id": ["a"], "is_error": [True], "causes": [[]], "primary_cause": ["unexplained"],
    ...                    "text": ["hi"], "label": ["x"], "prediction": ["y"]})
    >>> doc = build_document(diagnose.Result(ex, {"n_errors": 1}))
    >>> doc["format_version"], doc["verdict"]["n_errors"]
    ('2.0', 1)
    """
    summary = result.summary or {}
    names = cause_names(summary)
    return {
        "format_version": FORMAT_VERSION,
        "title": "Error audit",
        "generator": {"name": "diagnose", "version": (summary.get("versions") or {}).get("diagnose")},
        "limits": {"max_examples": MAX_EXAMPLES, "max_text_chars": MAX_TEXT,
                   "max_evidence_chars": MAX_EVIDENCE, "max_table_rows": MAX_ROWS},
        "verdict": _verdict(summary, names),
        "causes": cause_sections(result, names),
        "unexplained": _unexplained(result, summary),
        "training_health": training_health(result),
        "method": _method(summary),
    }


def _verdict(summary: dict[str, Any], names: list[str]) -> dict[str, Any]:
    counts = summary.get("counts") or {}
    n_err = int(summary.get("n_errors") or 0)
    unexplained = int(counts.get("unexplained") or 0)
    per_cause = counts.get("per_cause") or {}
    primary = counts.get("primary") or {}
    breakdown = [_bar(c, int(per_cause.get(c) or 0), n_err) for c in names]
    breakdown.append(_bar("unexplained", unexplained, n_err))
    combos = list((counts.get("combinations") or {}).items())
    return {
        "task": summary.get("task"),
        "n_eval": int(summary.get("n_eval") or 0),
        "n_labelled": int(summary.get("n_labelled") or 0),
        "n_errors": n_err,
        "accuracy": summary.get("accuracy"),
        "n_explained": n_err - unexplained,
        "n_unexplained": unexplained,
        "breakdown": breakdown,
        "primary": [_bar(c, int(primary.get(c) or 0), n_err) for c in [*names, "unexplained"] if primary.get(c)],
        "combinations": [{"causes": [] if key == "unexplained" else key.split(" + "), "label": key,
                          "count": int(n), "share": share(int(n), n_err)} for key, n in combos[:MAX_ROWS]],
        "n_more_combinations": max(0, len(combos) - MAX_ROWS),
        "inputs": _inputs(summary),
        "analyzers": _analyzers(summary, names),
        "headline": _headline(summary, n_err, unexplained),
        "expected_misattributed_share": counts.get("expected_misattributed_share"),
    }


def _bar(key: str, count: int, total: int) -> dict[str, Any]:
    return {"key": key, "label": cause_label(key), "count": count, "share": share(count, total)}


def _inputs(summary: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for role, info in (summary.get("inputs") or {}).items():
        info = info or {}
        columns = [clip(c, 80) for c in (info.get("columns") or [])]
        out.append({"role": clip(role, 80), "name": clip(info.get("name"), 200), "rows": info.get("rows"),
                    "n_columns": len(columns), "columns": columns[:MAX_ROWS], "sha256": info.get("sha256")})
    return out


def _analyzers(summary: dict[str, Any], names: list[str]) -> list[dict[str, Any]]:
    status = summary.get("analyzers") or {}
    out = []
    for name in names:
        info = status.get(name) or {"status": "not_run", "reason": "this analyzer was not part of the run"}
        out.append({"name": name, "label": cause_label(name), "status": info.get("status", "not_run"),
                    "reason": clip(info.get("reason"), 500)})
    return out


def _headline(summary: dict[str, Any], n_err: int, unexplained: int) -> str:
    labelled = int(summary.get("n_labelled") or 0)
    if labelled == 0:
        return f"No eval row has both a label and a prediction, so no error can be counted ({summary.get('n_eval') or 0} rows given)."
    acc = summary.get("accuracy")
    acc_text = "" if acc is None else f" (accuracy {acc:.1%})"
    if n_err == 0:
        return f"The model got all {labelled} labelled eval rows right{acc_text}; there is nothing to explain."
    explained = n_err - unexplained
    wrong = (summary.get("counts") or {}).get("expected_misattributed_share")
    trust = "" if wrong is None else (f" About {wrong:.0%} of the causes given are expected to be wrong "
                                      "(one minus their stated precision, averaged).")
    return (f"{n_err} of {labelled} labelled predictions are wrong{acc_text}. "
            f"{explained} of them ({explained / n_err:.0%}) have at least one identified cause; {unexplained} are unexplained.{trust}")


def _unexplained(result, summary: dict[str, Any]) -> dict[str, Any]:
    count = int((summary.get("counts") or {}).get("unexplained") or 0)
    ex = result.examples
    if count == 0 or "primary_cause" not in ex.columns:
        return {"count": count, "examples": []}
    rows = ex.filter(pl.col("is_error").fill_null(False) & (pl.col("primary_cause") == "unexplained")).head(MAX_EXAMPLES)
    return {"count": count, "examples": example_rows(rows, None)}


def _method(summary: dict[str, Any]) -> dict[str, Any]:
    thresholds = summary.get("thresholds") or {}
    config = summary.get("config") or {}
    status = summary.get("analyzers") or {}
    return {
        "how": _HOW,
        "min_precision": config.get("min_precision"),
        "thresholds": [_threshold(c, t, status.get(c)) for c, t in thresholds.items()],
        "seed": summary.get("seed"),
        "config": config,
        "analyzer_settings": {n: s.get("settings") for n, s in status.items() if s.get("settings") is not None},
        "versions": summary.get("versions") or {},
        "inputs": [{"role": i["role"], "name": i["name"], "rows": i["rows"], "sha256": i["sha256"]} for i in _inputs(summary)],
        "notes": _short(summary.get("notes") or {}),
        "n_classes": len(summary.get("classes") or []),
        "timings_seconds": summary.get("timings_seconds") or {},
    }


def _threshold(cause: str, info: dict[str, Any], status: dict[str, Any] | None) -> dict[str, Any]:
    """One row of the thresholds table; a cause whose analyzer did not run has no threshold.

    Its ``status`` and ``reason`` come from the summary's analyzer status, so a
    skipped analyzer reads as skipped rather than as a calibration floor.
    """
    status = status or {"status": "not_run", "reason": "this analyzer was not part of the run"}
    ran = status.get("status") == "ran"
    return {"cause": cause, "label": cause_label(cause), "status": status.get("status", "not_run"),
            "reason": None if ran else clip(status.get("reason"), 500),
            "threshold": info.get("threshold") if ran else None, "method": info.get("method") if ran else None,
            "correct_rows": info.get("correct_rows") if ran else None}


def _short(value: Any) -> Any:
    """Notes with long lists and strings capped."""
    if isinstance(value, dict):
        return {clip(k, 80): _short(v) for k, v in list(value.items())[:MAX_ROWS]}
    if isinstance(value, (list, tuple)):
        return [_short(v) for v in value[:MAX_ROWS]]
    return clip(value, MAX_TEXT) if isinstance(value, str) else value
