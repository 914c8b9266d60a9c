"""One truth per fact: every report view reads each fact from one place in the result.

Neighbour lists come from the ``neighbors`` table, a skipped analyzer reads as
skipped (not as a threshold), region keywords are content words, suggested
relabels run in the direction of the flip and say how sure they are, and the
count of errors with a context conflict is the summary's ``counts.per_cause``.
"""
from __future__ import annotations

import json
from html import unescape
from types import SimpleNamespace

import numpy as np
import polars as pl

import diagnose
from diagnose.attribution import count_causes
from diagnose.causes.coverage_gap.regions import describe_regions
from diagnose.core import CAUSES
from diagnose.report import build_document, render_html, render_markdown


def _result(examples: pl.DataFrame, tables: dict, *, status: dict | None = None, thresholds: dict | None = None) -> diagnose.Result:
    status = status or {c: {"status": "ran", "findings": {}} for c in CAUSES}
    n_err = int(examples["is_error"].sum())
    summary = {"task": "classification", "n_eval": examples.height, "n_labelled": examples.height, "n_errors": n_err,
               "accuracy": 1 - n_err / examples.height, "counts": count_causes(examples), "analyzers": status,
               "thresholds": thresholds or {c: {"threshold": 0.5, "method": "95% quantile of correct rows", "correct_rows": 40} for c in CAUSES},
               "inputs": {}, "notes": {}, "classes": [], "seed": 0, "config": {"min_precision": 0.5}, "versions": {}}
    return diagnose.Result(examples, summary, tables)


def _examples(ids: list[str], causes: list[list[str]], evidence: dict[str, list] | None = None) -> pl.DataFrame:
    n = len(ids)
    evidence = evidence or {}
    return pl.DataFrame({
        "id": ids, "is_error": [True] * n, **{f"score_{c}": [0.9] * n for c in CAUSES},
        "causes": pl.Series(causes, dtype=pl.List(pl.Utf8)),
        "primary_cause": [cs[0] if cs else "unexplained" for cs in causes], "evidence": [None] * n,
        "text": [f"question {i}" for i in range(n)], "label": ["a"] * n, "prediction": ["b"] * n,
        **{f"evidence_{c}": pl.Series(evidence.get(c, [None] * n), dtype=pl.Utf8) for c in CAUSES},
    })


def _views(result: diagnose.Result) -> tuple[dict, str, str]:
    doc = build_document(result)
    return doc, render_markdown(doc), render_html(doc)


def _section(doc: dict, name: str) -> dict:
    return next(c for c in doc["causes"] if c["name"] == name)


# ----------------------------------------------------------------------------- 1. neighbour lists


def test_every_view_lists_the_neighbours_of_the_neighbors_table_only():
    evidence = "more unusual than 97% of training rows; nearest training rows: tr-9 [x] sim 0.51, tr-8 [y z] sim 0.38"
    ex = _examples(["ev-1"], [["coverage_gap"]], {"coverage_gap": [evidence]})
    train = pl.DataFrame({"id": ["tr-1", "tr-2", "tr-8", "tr-9"], "text": ["one", "two", "eight", "nine"], "label": ["a", "b", "y", "x"]})
    nb = pl.DataFrame({"id": ["ev-1", "ev-1"], "rank": [1, 2], "train_id": ["tr-1", "tr-2"], "similarity": [0.50, 0.41]})
    doc, md, html = _views(_result(ex, {"train": train, "neighbors": nb}))
    card = _section(doc, "coverage_gap")["examples"][0]
    assert [n["train_id"] for n in card["details"]["neighbors"]] == ["tr-1", "tr-2"]
    assert card["evidence"] == "more unusual than 97% of training rows"
    for text in (json.dumps(doc), md, html):
        assert "tr-9" not in text and "tr-8" not in text and "0.51" not in text
        assert "tr-1" in text or "tr\\-1" in text


# ----------------------------------------------------------------------------- 2. skipped analyzers


def test_a_skipped_analyzer_reads_as_skipped_in_the_thresholds_table():
    ex = _examples(["ev-1"], [["coverage_gap"]])
    status = {c: {"status": "ran", "findings": {}} for c in CAUSES}
    status["noisy_label"] = {"status": "skipped", "reason": "noisy-label detection needs class labels"}
    thresholds = {c: {"threshold": 0.5, "method": "95% quantile of correct rows", "correct_rows": 40} for c in CAUSES}
    thresholds["noisy_label"] = {"threshold": 0.5, "method": "floor (fewer than 20 scored correct rows)", "correct_rows": 0}
    doc, md, html = _views(_result(ex, {}, status=status, thresholds=thresholds))
    row = next(t for t in doc["method"]["thresholds"] if t["cause"] == "noisy_label")
    assert row["status"] == "skipped" and row["threshold"] is None and row["method"] is None
    assert row["reason"] == "noisy-label detection needs class labels"
    assert _section(doc, "noisy_label")["threshold"] is None
    for text in (md, html):
        assert "floor (fewer than 20" not in text
    assert "skipped: noisy-label detection needs class labels" in html
    assert "skipped\\: noisy\\-label detection needs class labels" in md


# ----------------------------------------------------------------------------- 3. region keywords


def test_region_keywords_skip_stop_words_short_tokens_and_numbers():
    from diagnose.causes.coverage_gap.regions import keywords

    assert keywords("It was taken without 2024 ID; wouldn't they've refunded it? ok") == {"refunded"}
    texts = [f"card taken without consent wouldn't work {i} 2024 ok" for i in range(6)] + [f"plain filler row {i}" for i in range(6)]
    emb = np.vstack([np.tile([1.0, 0.0], (6, 1)), np.tile([0.0, 1.0], (6, 1))]) + np.random.default_rng(0).normal(0, 0.01, (12, 2))
    data = SimpleNamespace(eval_embeddings=emb, eval=pl.DataFrame({
        "id": [f"ev-{i}" for i in range(12)], "text": texts, "is_error": [True] * 12}))
    regions = describe_regions(data, np.ones(12))
    terms = {t for row in regions.get_column("top_terms").to_list() for t in row}
    assert terms and not terms & {"taken", "without", "wouldn", "2024", "ok", "it", "was"}
    assert {"card", "consent", "work"} <= terms


# ----------------------------------------------------------------------------- 4. suggested relabels


def test_centre_margin_tells_the_flipped_half_of_a_cluster_from_the_correct_half():
    """Class A texts sit near (1, 0); class B's own texts near (0, 1). Half the A-like rows were flipped to B:
    the classifier cannot tell which half is wrong, the class centres can."""
    from diagnose.causes.noisy_label._label_rank import centre_margin

    rng = np.random.default_rng(0)
    a_like = np.array([1.0, 0.0]) + rng.normal(0, 0.05, (20, 2))
    b_own = np.array([0.0, 1.0]) + rng.normal(0, 0.05, (30, 2))
    emb = np.vstack([a_like, b_own])
    labels = np.array([0] * 10 + [1] * 10 + [1] * 30)  # rows 10-19: A texts labelled B (flipped)
    suggested = np.array([1] * 10 + [0] * 10 + [0] * 30)  # every flagged row told to swap
    margin = centre_margin(emb, labels, suggested, 2)
    assert (margin[10:20] > 0).all()  # flipped rows read more like A than like B's centre
    assert (margin[:10] < 0).all()  # correct A rows told to become B: not supported


def _issues_result() -> diagnose.Result:
    """Two flagged training rows labelled 'a': tr-1 probably 'b' (supported), tr-2 told 'b' but weak."""
    ex = _examples(["ev-1"], [["noisy_label"]])
    issues = pl.DataFrame({"id": ["tr-1", "tr-2", "tr-3", "tr-4"], "label": ["a", "b", "b", "a"],
                           "is_label_issue": [True, True, True, False], "label_quality": [0.10, 0.05, 0.20, 0.90],
                           "suggested_label": ["b", "a", "a", "a"], "annotator_support": [None] * 4,
                           "suggested_label_prob": [0.81, 0.64, 0.55, 0.90], "centre_margin": [0.30, -0.20, 0.10, None],
                           "relabel_supported": [True, False, True, None]})
    train = pl.DataFrame({"id": ["tr-1", "tr-2", "tr-3", "tr-4"], "text": ["t1", "I got charged twice", "t3", "t4"], "label": ["a", "b", "b", "a"]})
    nb = pl.DataFrame({"id": ["ev-1"] * 3, "rank": [1, 2, 3], "train_id": ["tr-1", "tr-2", "tr-3"], "similarity": [0.9, 0.8, 0.7]})
    return _result(ex, {"train_issues": issues, "train": train, "neighbors": nb})


def test_relabels_listed_are_the_supported_ones_and_say_how_sure_they_are():
    doc, md, html = _views(_issues_result())
    health = doc["training_health"]["label_issues"]
    assert health["n_flagged"] == 3 and health["n_supported"] == 2 and health["n_withheld"] == 1
    assert [x["id"] for x in health["examples"]] == ["tr-1", "tr-3"]  # tr-2 (weak) withheld
    assert health["examples"][0]["suggested_label_prob"] == 0.81
    assert health["confused_pairs"] == [{"given": "a", "suggested": "b", "count": 1}, {"given": "b", "suggested": "a", "count": 1}]
    action = _section(doc, "noisy_label")["action"]
    assert action["ids"] == ["tr-1", "tr-3"] and action["n_withheld"] == 1 and "1 more flagged neighbour is withheld" in action["text"]
    assert "labelled 'a', probably 'b' (p(b) = 0.81" in unescape(html)
    assert "Labelled" in md and "Probably" in md and "Given label" not in md
    suspects = _section(doc, "noisy_label")["examples"][0]["details"]["suspect_labels"]
    assert [(s["train_id"], s["supported"]) for s in suspects] == [("tr-1", True), ("tr-2", False), ("tr-3", True)]
    assert "maybe 'a' (weak" in unescape(html)  # the weak suggestion is shown as weak where the score used it


def test_relabels_without_strength_columns_are_all_listed():
    result = _issues_result()
    old = result.tables["train_issues"].drop("suggested_label_prob", "centre_margin", "relabel_supported")
    doc, md, _ = _views(diagnose.Result(result.examples, result.summary, {**result.tables, "train_issues": old}))
    health = doc["training_health"]["label_issues"]
    assert health["strength_known"] is False and health["n_withheld"] == 0 and len(health["examples"]) == 3
    assert "could not be measured" in md


def test_the_noisy_label_table_records_how_sure_each_relabel_is(toy_train, toy_eval):
    flipped = toy_train.with_columns(pl.when(pl.int_range(pl.len()) % 10 == 0).then(pl.lit("refund"))
                                     .otherwise(pl.col("label")).alias("label"))
    result = diagnose.run(toy_eval, flipped, config=diagnose.RunConfig(progress=False))
    issues = result.tables["train_issues"]
    assert {"suggested_label_prob", "centre_margin", "relabel_supported"} <= set(issues.columns)
    flagged = issues.filter(pl.col("is_label_issue"))
    assert flagged.height and flagged["relabel_supported"].null_count() == 0
    assert issues.filter(~pl.col("is_label_issue"))["relabel_supported"].null_count() == issues.height - flagged.height
    assert ((issues["suggested_label_prob"] >= 0) & (issues["suggested_label_prob"] <= 1)).all()


# ----------------------------------------------------------------------------- 5. context conflicts


def test_context_conflict_count_is_the_summary_count_not_the_conflicts_table():
    """Three errors have a conflicting passage pair, two pass the threshold: every view says 2 (counts.per_cause)."""
    ex = _examples(["ev-1", "ev-2", "ev-3"], [["contradictory_context"], ["contradictory_context"], []])
    conflicts = pl.DataFrame({"id": ["ev-1", "ev-2", "ev-3"], "passage_a": ["p1"] * 3, "sentence_a": ["s"] * 3, "span_a": ["1"] * 3,
                              "passage_b": ["p2"] * 3, "sentence_b": ["s"] * 3, "span_b": ["2"] * 3, "kind": ["number"] * 3,
                              "strength": [0.99, 0.99, 0.40]})
    result = _result(ex, {"context_conflicts": conflicts})
    doc, md, html = _views(result)
    assert result.summary["counts"]["per_cause"]["contradictory_context"] == 2
    section = _section(doc, "contradictory_context")
    assert section["n_errors"] == 2 and "these 2 questions" in section["action"]["text"]
    assert "Contradictory context — 2 errors" in md and "2 errors</span>" in html
    assert "3 questions" not in md + html
