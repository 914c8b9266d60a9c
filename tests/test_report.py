"""Golden-structure tests of the audit report (document, Markdown, HTML).

They check sections and counts against the summary, never whole strings.
"""
from __future__ import annotations

import json
import re

import numpy as np
import polars as pl
import pytest

import diagnose
from diagnose.attribution import count_causes
from diagnose.causes.annotator_inconsistency.report import (
    alpha_sentence as alpha_reading,
)
from diagnose.core import CAUSES, Analyzer, Cause, register, registered, unregister
from diagnose.report import FORMAT_VERSION, build_document, render_html, render_markdown
from diagnose.report.text import MAX_EXAMPLES, MAX_TEXT

NAMES = [cause.name for cause in registered()]


def synthetic_result(n: int = 200, *, texts=None, labels=None, seed: int = 0, tables: bool = True,
                     skipped: tuple[str, ...] = ()) -> diagnose.Result:
    """A Result built in memory (no pipeline): causes drawn at random per error."""
    rng = np.random.default_rng(seed)
    ids = [f"ev-{i:06d}" for i in range(n)]
    is_error = rng.random(n) < 0.3
    labels = labels or ["alpha", "beta class", "gamma|delta"]
    scores = {c: rng.random(n) for c in CAUSES}
    causes = [[c for c in CAUSES if c not in skipped and scores[c][i] > 0.7] if is_error[i] else [] for i in range(n)]
    frame = pl.DataFrame({
        "id": ids, "is_error": is_error.tolist(),
        **{f"score_{c}": scores[c] for c in CAUSES},
        "causes": pl.Series(causes, dtype=pl.List(pl.Utf8)),
        "primary_cause": [(cs[0] if cs else "unexplained") if e else None for cs, e in zip(causes, is_error)],
        "evidence": [None] * n,
        "text": texts if texts is not None else [f"question number {i} about cards" for i in range(n)],
        "label": [labels[i % len(labels)] for i in range(n)],
        "prediction": [labels[(i + int(is_error[i])) % len(labels)] for i in range(n)],
        **{f"evidence_{c}": [f"{c} evidence for row {i}" for i in range(n)] for c in CAUSES},
    })
    summary = _summary(frame, skipped)
    return diagnose.Result(frame, summary, _tables(ids, labels, rng) if tables else {})


def _summary(frame: pl.DataFrame, skipped: tuple[str, ...]) -> dict:
    n_err = int(frame["is_error"].sum())
    status = {c: ({"status": "skipped", "reason": f"{c} needs data that was not given"} if c in skipped else
                  {"status": "ran", "settings": {"k": 5}, "findings": {}}) for c in CAUSES}
    status["annotator_inconsistency"].setdefault("findings", {})["krippendorff_alpha"] = 0.71
    return {"task": "classification", "n_eval": frame.height, "n_labelled": frame.height, "n_errors": n_err,
            "accuracy": round(1 - n_err / frame.height, 6) if frame.height else None, "counts": count_causes(frame),
            "thresholds": {c: {"threshold": 0.7, "method": "95% quantile of correct rows", "correct_rows": 10} for c in CAUSES},
            "analyzers": status, "inputs": {"eval": {"rows": frame.height, "columns": ["id", "text", "label"], "name": "eval.csv", "sha256": "ab" * 32}},
            "notes": {}, "classes": ["alpha"], "seed": 7, "config": {"min_precision": 0.5}, "timings_seconds": {}, "versions": {"diagnose": "0.1.0"}}


def _tables(ids: list[str], labels: list[str], rng) -> dict[str, pl.DataFrame]:
    n_train = max(10, len(ids) // 2)
    train_ids = [f"tr-{i:06d}" for i in range(n_train)]
    train = pl.DataFrame({"id": train_ids, "text": [f"training text {i}" for i in range(n_train)],
                          "label": [labels[i % len(labels)] for i in range(n_train)]})
    flagged = rng.random(n_train) < 0.1
    k = 3
    return {
        "train": train,
        "train_issues": train.select("id", "label").with_columns(
            is_label_issue=pl.Series(flagged), label_quality=pl.Series(rng.random(n_train)),
            suggested_label=pl.Series([labels[(i + 1) % len(labels)] for i in range(n_train)]), annotator_support=pl.lit(None, pl.Float64)),
        "neighbors": pl.DataFrame({"id": np.repeat(ids, k), "rank": np.tile(np.arange(1, k + 1), len(ids)),
                                   "train_id": np.asarray(train_ids)[rng.integers(0, n_train, len(ids) * k)], "similarity": rng.random(len(ids) * k)}),
        "annotators": pl.DataFrame({"annotator": ["ann 1", "ann 2"], "n_labels": [10, 12], "agreement_with_consensus": [0.9, 0.6], "quality": [0.88, 0.55]}),
        "annotations": pl.DataFrame({"id": ids[:5] * 2, "annotator": ["ann 1"] * 5 + ["ann 2"] * 5, "label": [labels[0]] * 5 + [labels[1 % len(labels)]] * 5}),
        "annotation_items": pl.DataFrame({"id": ids[:5], "split": ["eval"] * 5, "n_annotators": [2] * 5, "consensus_label": [labels[0]] * 5,
                                          "agreement": [0.5] * 5, "consensus_quality": [0.5] * 5}),
        "coverage_regions": pl.DataFrame({"region": [0], "n_rows": [4], "n_errors": [2], "top_terms": [["cards", "fees"]], "example_ids": [ids[:2]]}),
        "context_conflicts": pl.DataFrame({"id": ids, "passage_a": "p1", "sentence_a": "Built in 1856 by the bishop.", "span_a": "1856",
                                           "passage_b": "p2", "sentence_b": "Built in 1900 by the bishop.", "span_b": "1900", "kind": "date", "strength": 0.9}),
    }


def _causes(doc: dict) -> dict[str, dict]:
    return {c["name"]: c for c in doc["causes"]}


def test_document_counts_match_summary():
    result = synthetic_result(400)
    doc = build_document(result)
    s, v = result.summary, doc["verdict"]
    assert doc["format_version"] == FORMAT_VERSION
    assert list(doc) == ["format_version", "title", "generator", "limits", "verdict", "causes", "unexplained", "training_health", "method"]
    assert (v["n_errors"], v["n_labelled"], v["accuracy"]) == (s["n_errors"], s["n_labelled"], s["accuracy"])
    assert {b["key"]: b["count"] for b in v["breakdown"]} == {**s["counts"]["per_cause"], "unexplained": s["counts"]["unexplained"]}
    assert sum(p["count"] for p in v["primary"]) == s["n_errors"]
    assert sum(c["count"] for c in v["combinations"]) == s["n_errors"]
    assert v["n_explained"] + v["n_unexplained"] == s["n_errors"]
    assert [c["name"] for c in doc["causes"]] == NAMES
    for name, section in _causes(doc).items():
        assert section["n_errors"] == s["counts"]["per_cause"][name]
        assert len(section["examples"]) == min(MAX_EXAMPLES, section["n_errors"])
        assert all(name in ex["causes"] for ex in section["examples"])
        shown = [ex["score"] for ex in section["examples"]]
        assert shown == sorted(shown, reverse=True)
        assert section["action"]["n_ids"] > 0 and section["action"]["text"]
    json.dumps(doc)  # JSON-safe


def test_examples_carry_cause_specific_evidence():
    doc = build_document(synthetic_result(300))
    causes = _causes(doc)
    assert all(len(ex["details"]["neighbors"]) == 3 for ex in causes["coverage_gap"]["examples"])
    conflict = causes["contradictory_context"]["examples"][0]["details"]["conflict"]
    assert (conflict["span_a"], conflict["span_b"]) == ("1856", "1900")
    html, md = render_html(doc), render_markdown(doc)
    assert "<mark>1856</mark>" in html and "<mark>1900</mark>" in html
    assert "<b>1856</b>" in md
    assert "Relabel these" in causes["noisy_label"]["action"]["text"] or "gold labels" in causes["noisy_label"]["action"]["text"]
    assert "annotator ann 2" in causes["annotator_inconsistency"]["action"]["text"]  # lowest quality
    assert causes["contradictory_context"]["action"]["text"].startswith("Fix retrieval")


def test_training_health_sections():
    result = synthetic_result(300)
    health = build_document(result)["training_health"]
    issues = result.tables["train_issues"]
    assert health["label_issues"]["n_flagged"] == int(issues["is_label_issue"].sum())
    assert health["label_issues"]["confused_pairs"][0]["count"] >= health["label_issues"]["confused_pairs"][-1]["count"]
    assert health["coverage_regions"]["regions"][0]["top_terms"] == ["cards", "fees"]
    assert health["annotators"]["krippendorff_alpha"] == 0.71
    assert health["annotators"]["reading"].startswith("tentative")
    assert [a["annotator"] for a in health["annotators"]["annotators"]] == ["ann 2", "ann 1"]


@pytest.mark.parametrize("alpha, word", [(0.9, "reliable"), (0.8, "reliable"), (0.7, "tentative"), (0.5, "unreliable"), (None, "not computed")])
def test_alpha_reading(alpha, word):
    assert alpha_reading(alpha).startswith(word)


def _headings(md: str) -> list[str]:
    return re.findall(r"^#{1,3} .*$", md, flags=re.MULTILINE)


def test_markdown_sections_in_order():
    result = synthetic_result(300)
    md = render_markdown(build_document(result))
    heads = _headings(md)
    top = [h for h in heads if h.startswith("## ")]
    assert top == ["## 1. Verdict", "## 2. Causes", "## 3. Training-data health", "## 4. Method and reproducibility"]
    per = result.summary["counts"]["per_cause"]
    for i, name in enumerate(NAMES, 1):
        assert any(h.startswith(f"### 2.{i} ") and f"— {per[name]} error" in h for h in heads)
    assert md.count("<details>") == md.count("</details>")
    assert f"**{result.summary['n_errors']}** errors" in md


def test_html_self_contained_and_sections():
    result = synthetic_result(300)
    html = render_html(build_document(result))
    assert html.startswith("<!doctype html>")
    assert 'name="viewport"' in html and "@media print" in html and "Content-Security-Policy" in html
    assert "<script" not in html.lower() and "<link" not in html.lower() and "@import" not in html and "url(" not in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    assert html.count("<svg") >= 2
    for anchor in ["verdict", *[f"cause-{n}" for n in NAMES], "health", "method"]:
        assert f'id="{anchor}"' in html
    assert html.index('id="verdict"') < html.index(f'id="cause-{NAMES[0]}"') < html.index('id="health"') < html.index('id="method"')


def test_registry_drives_sections(request):
    class Novel(Analyzer):
        name = "novel_cause"
        description = "A brand-new cause nobody wrote report code for. Fix: do the novel thing."

    register(Cause(Novel))
    request.addfinalizer(lambda: unregister("novel_cause"))
    result = synthetic_result(100)
    ex = result.examples.with_columns(pl.col("causes").list.concat(pl.lit(["novel_cause"])), score_novel_cause=pl.lit(0.9),
                                      evidence_novel_cause=pl.lit("novel evidence"))
    summary = {**result.summary, "counts": count_causes(ex)}
    summary["counts"]["per_cause"]["novel_cause"] = int(ex["is_error"].sum())
    doc = build_document(diagnose.Result(ex, summary, result.tables))
    section = _causes(doc)["novel_cause"]
    assert section["description"] == Novel.description and section["n_errors"] == int(ex["is_error"].sum())
    assert section["action"]["text"].startswith("Do the novel thing.")
    assert section["examples"][0]["evidence"] == "novel evidence"
    assert "Novel cause" in render_markdown(doc) and 'id="cause-novel_cause"' in render_html(doc)


def _all_formats(result) -> tuple[dict, str, str]:
    doc = build_document(result)
    json.dumps(doc)
    return doc, render_markdown(doc), render_html(doc)


def test_empty_result():
    frame = synthetic_result(5).examples.clear()
    doc, md, html = _all_formats(diagnose.Result(frame, {}, {}))
    assert doc["verdict"]["n_errors"] == 0 and all(c["examples"] == [] for c in doc["causes"])
    assert "## 1. Verdict" in md and 'id="verdict"' in html
    assert all(c["status"] == "not_run" for c in doc["causes"])


def test_no_errors_at_all():
    result = synthetic_result(50)
    ex = result.examples.with_columns(is_error=pl.lit(False), causes=pl.lit([], pl.List(pl.Utf8)), primary_cause=pl.lit(None, pl.Utf8))
    doc, md, _html = _all_formats(diagnose.Result(ex, _summary(ex, ()), result.tables))
    assert doc["verdict"]["n_errors"] == 0 and "got all 50" in doc["verdict"]["headline"]
    assert all(c["action"] is None for c in doc["causes"]) and doc["unexplained"]["count"] == 0
    assert md.count("No error is attributed to this cause.") == len(NAMES)


def test_skipped_analyzers_and_missing_tables():
    skipped = ("coverage_gap", "contradictory_context")
    doc, md, html = _all_formats(synthetic_result(120, tables=False, skipped=skipped))
    causes = _causes(doc)
    for name in skipped:
        assert causes[name]["status"] == "skipped" and causes[name]["n_errors"] == 0
        assert f"{name} needs data that was not given" in html
        assert f"{name.replace('_', chr(92) + '_')} needs data that was not given" in md  # underscores escaped
    assert doc["training_health"]["label_issues"] is None and doc["training_health"]["coverage_regions"] is None
    assert all(ex["details"] == {} for c in doc["causes"] for ex in c["examples"])
    assert "Analyzers that could not run" in md


def test_long_rtl_emoji_and_punctuated_labels():
    texts = ["x" * 10_000, "مرحبا، لماذا رُفضت بطاقتي؟", "card 💳 declined 🙁 " * 3, "ok"] * 25
    labels = ["lost card (EU)", "top-up: failed!", "a|b", "[x]*y_"]
    result = synthetic_result(100, texts=texts, labels=labels)
    doc, md, html = _all_formats(result)
    shown = [ex["text"] for c in doc["causes"] for ex in c["examples"]]
    assert max(len(t) for t in shown) <= MAX_TEXT
    assert "x" * 10_000 not in html and "x" * 10_000 not in md
    assert "مرحبا، لماذا رُفضت بطاقتي؟" in html and "💳" in html and "💳" in md
    assert "lost card (EU)" in html and "a|b" in html
    assert "a\\|b" in md and "\\[x\\]\\*y\\_" in md


def test_result_save_and_cli_formats(tmp_path):
    from diagnose.cli import main

    out = synthetic_result(60).save(tmp_path / "res")
    assert (out / "report.html").read_text(encoding="utf-8").startswith("<!doctype html>")
    assert "## 1. Verdict" in (out / "report.md").read_text(encoding="utf-8")
    assert main(["report", str(out), "--format", "json", "--out", str(tmp_path / "r.json")]) == 0
    doc = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert doc["format_version"] == FORMAT_VERSION and doc["verdict"]["n_errors"] == diagnose.load(out).summary["n_errors"]


def test_100k_row_report_stays_small():
    result = synthetic_result(100_000, texts=["a long customer message " * 40] * 100_000)
    doc, md, html = _all_formats(result)
    assert len(html.encode("utf-8")) < 5_000_000
    assert len(md.encode("utf-8")) < 5_000_000
    assert len(json.dumps(doc).encode("utf-8")) < 5_000_000
    assert doc["verdict"]["n_eval"] == 100_000


def test_annotators_without_annotations_reads_as_a_sentence():
    """No annotations: no "alpha = — —", and the near-duplicate conflicts the analyzer used are named."""
    result = synthetic_result(60)
    tables = {k: v for k, v in result.tables.items() if k not in ("annotators", "annotations")}
    summary = json.loads(json.dumps(result.summary))
    summary["analyzers"]["annotator_inconsistency"]["findings"] = {
        "krippendorff_alpha": None, "n_annotators": 0, "n_near_duplicate_conflicts": 4,
        "method": "near_duplicate_label_conflicts"}
    _, md, html = _all_formats(diagnose.Result(result.examples, summary, tables))
    assert "\u2014 \u2014" not in md and "= \u2014" not in md and "<b>\u2014</b>" not in html
    for text in (md, html):
        assert "No annotator labels were given" in text and "4 rows were found with a near" in text


def test_one_coverage_region_is_singular():
    doc, md, html = _all_formats(synthetic_result(60))
    assert doc["training_health"]["coverage_regions"]["n_regions"] == 1
    assert "1 group of eval rows lies far" in md and "1 group of eval rows lies far" in html
    assert "1 groups" not in md + html


def test_markdown_says_which_health_checks_did_not_run():
    """Like the HTML, the Markdown names a health check it has nothing for instead of leaving it out."""
    result = synthetic_result(60, tables=False, skipped=("coverage_gap",))
    summary = json.loads(json.dumps(result.summary))
    summary["analyzers"]["annotator_inconsistency"] = {"status": "skipped", "reason": "no annotations"}
    _, md, html = _all_formats(diagnose.Result(result.examples, summary, {}))
    assert "**Under-covered regions:** not checked" in md and "**Annotators:** not checked" in md
    assert "Not checked (no coverage analysis)" in html and "Not checked (no annotator analysis)" in html
