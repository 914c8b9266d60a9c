"""Every dataset string renders as text in HTML and Markdown, never as markup."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import polars as pl
import pytest

import diagnose
from diagnose.attribution import count_causes
from diagnose.core import CAUSES
from diagnose.report import build_document, render_html, render_markdown
from diagnose.report.markdown import md

PAYLOADS = [
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "[click](javascript:alert(1)) ![img](http://evil.example/x.png)",
    "| cell | break |\n# heading\n> quote",
    "`code` **bold** _em_ ~~strike~~ $x^2$",
    "<https://evil.example> www.evil.example @maintainer",
    "&lt;script&gt; &amp; \\<b>",
]


def hostile_result() -> diagnose.Result:
    n = len(PAYLOADS)
    ids = [f"{p}#{i}" for i, p in enumerate(PAYLOADS)]
    ex = pl.DataFrame({
        "id": ids, "is_error": [True] * n,
        **{f"score_{c}": [0.9] * n for c in CAUSES},
        "causes": pl.Series([list(CAUSES)] * n, dtype=pl.List(pl.Utf8)),
        "primary_cause": [CAUSES[0]] * n, "evidence": PAYLOADS,
        "text": PAYLOADS, "label": PAYLOADS, "prediction": PAYLOADS[::-1],
        **{f"evidence_{c}": PAYLOADS for c in CAUSES},
    })
    tables = {
        "train": pl.DataFrame({"id": ids, "text": PAYLOADS, "label": PAYLOADS}),
        "neighbors": pl.DataFrame({"id": ids, "rank": [1] * n, "train_id": ids, "similarity": [0.5] * n}),
        "train_issues": pl.DataFrame({"id": ids, "label": PAYLOADS, "is_label_issue": [True] * n, "label_quality": [0.1] * n,
                                      "suggested_label": PAYLOADS[::-1], "annotator_support": [None] * n}),
        "annotators": pl.DataFrame({"annotator": PAYLOADS, "n_labels": [3] * n, "agreement_with_consensus": [0.5] * n, "quality": [0.4] * n}),
        "annotations": pl.DataFrame({"id": ids, "annotator": PAYLOADS, "label": PAYLOADS}),
        "annotation_items": pl.DataFrame({"id": ids, "split": ["eval"] * n, "n_annotators": [1] * n, "consensus_label": PAYLOADS,
                                          "agreement": [1.0] * n, "consensus_quality": [1.0] * n}),
        "coverage_regions": pl.DataFrame({"region": [0], "n_rows": [n], "n_errors": [n], "top_terms": [PAYLOADS], "example_ids": [ids]}),
        "context_conflicts": pl.DataFrame({"id": ids, "passage_a": PAYLOADS, "sentence_a": [f"before {p} after" for p in PAYLOADS],
                                           "span_a": PAYLOADS, "passage_b": PAYLOADS[::-1], "sentence_b": PAYLOADS, "span_b": ["<b>"] * n,
                                           "kind": PAYLOADS, "strength": [0.9] * n}),
    }
    summary = {"task": PAYLOADS[0], "n_eval": n, "n_labelled": n, "n_errors": n, "accuracy": 0.0, "counts": count_causes(ex),
               "thresholds": {c: {"threshold": 0.5, "method": PAYLOADS[1], "correct_rows": 0} for c in CAUSES},
               "analyzers": {c: {"status": "skipped", "reason": PAYLOADS[i]} for i, c in enumerate(CAUSES)},
               "inputs": {PAYLOADS[0]: {"rows": n, "columns": PAYLOADS, "name": PAYLOADS[1], "sha256": PAYLOADS[2]}},
               "notes": {PAYLOADS[3]: PAYLOADS}, "seed": PAYLOADS[4], "config": {}, "versions": {PAYLOADS[5]: PAYLOADS[6]}}
    for cause in ("coverage_gap", "noisy_label", "contradictory_context"):  # annotator_inconsistency stays skipped
        summary["analyzers"][cause] = {"status": "ran", "settings": {}, "findings": {}}
    return diagnose.Result(ex, summary, tables)


class _Elements(HTMLParser):
    """Collect the tags and attributes the browser would build."""

    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)


@pytest.fixture(scope="module")
def outputs():
    doc = build_document(hostile_result())
    return doc, render_html(doc), render_markdown(doc)


def test_html_builds_no_element_from_data(outputs):
    _, html, _ = outputs
    parser = _Elements()
    parser.feed(html)
    assert not {"script", "img", "iframe", "object", "embed", "link", "form", "base"} & set(parser.tags)
    assert not [name for name, _ in parser.attrs if name.startswith("on")]
    assert not [v for name, v in parser.attrs if name in ("href", "src") and v and not v.startswith("#")]
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_svg_svg_payload_only_escaped(outputs):
    _, html, _ = outputs
    assert html.count("<svg") == html.count("</svg>")
    assert "<svg onload" not in html and "&lt;svg onload=alert(1)&gt;" in html


def test_markdown_has_no_raw_markup_from_data(outputs):
    _, _, text = outputs
    low = text.lower()
    for bad in ("<script", "<img", "<svg", "<https:", "](javascript", "![img]", "javascript:", "www.evil"):
        assert bad not in low
    ours = {"details", "/details", "summary", "/summary", "b", "/b"}
    assert set(re.findall(r"<(/?[a-z]+)", text)) <= ours
    assert "@maintainer" not in text  # no @mention pings in a merge-request comment


def test_markdown_tables_keep_their_columns(outputs):
    _, _, text = outputs
    for block in re.findall(r"((?:^\|.*\|$\n?)+)", text, flags=re.M):
        lines = block.strip().splitlines()
        widths = {len(re.findall(r"(?<!\\)\|", line)) for line in lines}
        assert len(widths) == 1, lines


@pytest.mark.parametrize("payload", PAYLOADS)
def test_md_escape_makes_every_special_character_literal(payload):
    out = md(payload)
    assert "\n" not in out and "<" not in out and ">" not in out
    for ch in "`*_[]|#~$!()":
        assert not re.search(r"(?<!\\)" + re.escape(ch), out), (ch, out)


def test_conflict_highlight_escapes_span(outputs):
    _, html, text = outputs
    assert "<mark>&lt;b&gt;</mark>" in html
    assert "<b>&lt;b&gt;</b>" in text
