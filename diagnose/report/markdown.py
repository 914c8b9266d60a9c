"""The audit report as GitHub-flavoured Markdown (for a README, an issue or a merge request).

Every dataset string goes through :func:`md`, which makes it plain text in any
position, table cells included: HTML is entity-escaped, Markdown punctuation is
backslash-escaped, line breaks are folded, links and @mentions are defused.
"""
from __future__ import annotations

import re
from typing import Any

from diagnose.report.health import annotators_sentence
from diagnose.report.text import (
    cause_label,
    find_span,
    mark_span,
    regions_sentence,
    relabel_words,
    relabels_sentence,
    threshold_skipped,
)

__all__ = ["md", "render_markdown"]

_PUNCT = re.compile(r"([\\`*_\[\]{}()#+\-!|~=^$:])")


class Raw(str):
    """Markdown written by this module (not escaped again)."""


def md(value: Any) -> str:
    """``value`` as Markdown that renders as the literal text.

    Examples
    --------
    >>> md("<script>alert(1)</script> | *x*")
    '&lt;script&gt;alert\\\\(1\\\\)&lt;/script&gt; \\\\| \\\\*x\\\\*'
    >>> md(None)
    '—'
    """
    if value is None:
        return "\u2014"
    if isinstance(value, Raw):
        return value
    text = " ".join(str(value).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    text = _PUNCT.sub(r"\\\1", text)
    return text.replace("@", "@\u2060").replace("www.", "www\u2060.")


def _num(value: Any, fmt: str = "{:.3f}") -> str:
    return "\u2014" if value is None else fmt.format(value)


def _pct(value: float | None) -> str:
    return "\u2014" if value is None else f"{value:.1%}"


def _table(headers: list[str], rows: list[list[Any]], align: str = "") -> str:
    """A GFM table; ``align`` has one character per column, ``r`` for right-aligned."""
    sep = ["---:" if align[i:i + 1] == "r" else "---" for i in range(len(headers))]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(sep) + " |"]
    lines += ["| " + " | ".join(md(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _bar(share: float | None, width: int = 20) -> Raw:
    filled = round((share or 0) * width)
    return Raw("\u2588" * filled + "\u2591" * (width - filled))


def render_markdown(doc: dict[str, Any]) -> str:
    """Render a report document (from :func:`~diagnose.report.build_document`) as Markdown."""
    parts = [_header(doc), _verdict(doc["verdict"]), "## 2. Causes", *[_cause(c, i) for i, c in enumerate(doc["causes"], 1)],
             _unexplained(doc["unexplained"]), _health(doc["training_health"]), _method(doc["method"], doc["format_version"])]
    return "\n\n".join(p for p in parts if p) + "\n"


def _header(doc: dict[str, Any]) -> str:
    v = doc["verdict"]
    version = doc["generator"].get("version") or "?"
    return (f"# {md(doc['title'])}\n\n*diagnose {md(version)} · task: {md(v['task'])} · {v['n_eval']} eval rows · "
            f"report format {md(doc['format_version'])}*\n\n> **Verdict.** {md(v['headline'])}")


def _verdict(v: dict[str, Any]) -> str:
    rows = [[Raw(f"**{md(b['label'])}**") if b["key"] != "unexplained" else b["label"], str(b["count"]), _pct(b["share"]), _bar(b["share"])]
            for b in v["breakdown"]]
    out = ["## 1. Verdict", (f"**{v['n_errors']}** errors in **{v['n_labelled']}** labelled rows · accuracy **{_pct(v['accuracy'])}** · "
           f"**{v['n_explained']}** explained · **{v['n_unexplained']}** unexplained"),
           _table(["Cause", "Errors", "Share of errors", ""], rows, "lrrl"),
           "*An error can have several causes, so the shares can add up to more than 100%.*"]
    if v["combinations"]:
        combos = [[" + ".join(cause_label(x) for x in c["causes"]) or "Unexplained", str(c["count"]), _pct(c["share"])]
                  for c in v["combinations"]]
        more = f"\n\n*{v['n_more_combinations']} rarer combinations not shown.*" if v["n_more_combinations"] else ""
        out.append("<details><summary>Combinations of causes</summary>\n\n" + _table(["Causes", "Errors", "Share"], combos, "lrr") + more + "\n\n</details>")
    out.append("**Inputs**\n\n" + _table(["Role", "File", "Rows", "Columns"], [
        [i["role"], i["name"], str(i["rows"]), ", ".join(i["columns"]) + (" …" if i["n_columns"] > len(i["columns"]) else "")]
        for i in v["inputs"]], "llrl") if v["inputs"] else "**Inputs:** none recorded.")
    skipped = [a for a in v["analyzers"] if a["status"] != "ran"]
    if skipped:
        out.append("**Analyzers that could not run**\n\n" + "\n".join(f"- **{md(a['label'])}**: {md(a['reason'])}" for a in skipped))
    else:
        out.append("All analyzers ran.")
    return "\n\n".join(out)


def _cause(c: dict[str, Any], number: int) -> str:
    head = f"### 2.{number} {md(c['label'])} — {c['n_errors']} error{'s' if c['n_errors'] != 1 else ''}"
    out = [head, md(c["description"]) if c["description"] else "*No description.*"]
    out += [_figure(f) for f in c.get("figures") or [] if f.get("rows")]
    if c["status"] != "ran":
        out.append(f"**Not checked:** {md(c['reason'])}")
        return "\n\n".join(out)
    if not c["n_errors"]:
        out.append("No error is attributed to this cause.")
        return "\n\n".join(out)
    out.append(f"Explains **{c['n_errors']}** errors ({_pct(c['share'])}); primary cause of {c['n_primary']}. Threshold {_num(c['threshold'])}.")
    if c["action"]:
        a = c["action"]
        more = f" … and {a['n_ids'] - len(a['ids'])} more" if a["n_ids"] > len(a["ids"]) else ""
        listed = md(", ".join(a["ids"])) if not a.get("relabels") else "\n".join(
            f"- {md(r['train_id'])} {md(relabel_words(r))}" for r in a["relabels"])
        out.append(f"**Recommended action:** {md(a['text'])}\n\n<details><summary>{a['n_ids']} {a['id_kind']} ids</summary>\n\n"
                   f"{listed}{more}\n\n</details>")
    shown = "\n".join(_example(e, i) for i, e in enumerate(c["examples"], 1))
    out.append(f"<details><summary>Strongest {len(c['examples'])} of {c['n_errors']} examples</summary>\n\n{shown}\n\n</details>")
    return "\n\n".join(out)


def _figure(f: dict[str, Any]) -> str:
    rows = [[r["label"], _pct(r.get("value")), _bar(r.get("value")), r.get("note") or ""] for r in f["rows"]]
    return f"**{md(f['title'])}**\n\n{_table(['', 'share', '', ''], rows, 'lr')}\n\n{md(f.get('caption') or '')}"


def _example(e: dict[str, Any], n: int) -> str:
    score = "" if e["score"] is None else f" · score {e['score']:.2f}"
    score += "" if e.get("precision") is None else f" · stated precision {e['precision']:.0%}"
    lines = [f"{n}. **{md(e['id'])}** — gold: {md(e['label'])} → predicted: {md(e['prediction'])}{score}",
             f"   - text: {md(e['text'])}"]
    if e.get("evidence"):
        lines.append(f"   - evidence: {md(e['evidence'])}")
    lines += [f"   - {line}" for line in _detail_lines(e.get("details") or {})]
    return "\n".join(lines)


def _detail_lines(d: dict[str, Any]) -> list[str]:
    out = []
    for nb in d.get("neighbors", []):
        out.append(f"nearest training row {md(nb['train_id'])} ({md(nb['label'])}, similarity {nb['similarity']:.2f}): {md(nb['text'])}")
    for s in d.get("suspect_labels", []):
        out.append(f"suspect training label {md(s['train_id'])} {md(relabel_words(s))}, label quality {_num(s['label_quality'], '{:.2f}')}: "
                   f"{md(s['text'])}")
    if d.get("votes"):
        v = d["votes"]
        votes = ", ".join(f"{md(x['annotator'])} → {md(x['label'])}" for x in v["votes"])
        out.append(f"annotator votes ({v['n_votes']}): {votes}; consensus {md(v['consensus_label'])}")
    if d.get("conflict"):
        c = d["conflict"]
        out.append(f"passage {md(c['passage_a'])}: {_marked(c['sentence_a'], c['span_a'])}")
        out.append(f"passage {md(c['passage_b'])}: {_marked(c['sentence_b'], c['span_b'])} ({md(c['kind'])} conflict, strength {c['strength']:.2f})")
    return out


def _marked(sentence: str | None, span: str | None) -> str:
    """The sentence with ``span`` in bold (both escaped)."""
    sentence = sentence or ""
    found = find_span(sentence, span)
    if found is None:
        return md(sentence) + (f" (differs in: <b>{md(span)}</b>)" if span else "")
    return mark_span(sentence, *found, mark=lambda s: f" <b>{s}</b> ", escape=md)


def _unexplained(u: dict[str, Any]) -> str:
    if not u["count"]:
        return ""
    shown = "\n".join(_example(e, i) for i, e in enumerate(u["examples"], 1))
    return (f"### Unexplained — {u['count']} errors\n\nNo analyzer found enough evidence for these errors; they may be plain model mistakes."
            f"\n\n<details><summary>First {len(u['examples'])} of {u['count']}</summary>\n\n{shown}\n\n</details>")


def _health(h: dict[str, Any]) -> str:
    out = ["## 3. Training-data health"]
    li = h["label_issues"]
    if li is None:
        out.append("**Label issues:** not checked (no training table or no label-issue analysis).")
    else:
        out.append(f"**Label issues:** {li['n_flagged']} of {li['n_rows']} training rows ({_pct(li['share'])}) look mislabelled.")
        out.append(md(relabels_sentence(li)))
        if li["confused_pairs"]:
            out.append("Labels most often flipped (each row is labelled the first class but probably belongs to the second):\n\n"
                       + _table(["Labelled", "Probably", "Rows"], [[p["given"], p["suggested"], str(p["count"])] for p in li["confused_pairs"]], "llr"))
        if li["examples"]:
            rows = [[e["id"], e["text"], e["label"], e["suggested_label"], _num(e["suggested_label_prob"], "{:.2f}"), _num(e["label_quality"], "{:.2f}")]
                    for e in li["examples"]]
            out.append("<details><summary>Most suspect training rows</summary>\n\n"
                       + _table(["id", "Text", "Labelled", "Probably", "p(probably)", "Label quality"], rows, "llllrr") + "\n\n</details>")
    reg = h["coverage_regions"]
    if reg is None:
        out.append("**Under-covered regions:** not checked (no coverage analysis).")
    else:
        rows = [[str(r["region"]), str(r["n_rows"]), str(r["n_errors"]), ", ".join(r["top_terms"]), ", ".join(r["example_ids"])] for r in reg["regions"]]
        out.append(f"**Under-covered regions:** {regions_sentence(reg['n_regions'])}")
        if rows:
            out.append(_table(["Region", "Rows", "Errors", "Top terms", "Example ids"], rows, "rrrll"))
    ann = h["annotators"]
    if ann is None:
        out.append("**Annotators:** not checked (no annotator analysis).")
    else:
        out.append(f"**Annotators:** {md(annotators_sentence(ann))}")
        if ann["annotators"]:
            rows = [[a["annotator"], str(a["n_labels"]), _num(a["agreement_with_consensus"], "{:.2f}"), _num(a["quality"], "{:.2f}")] for a in ann["annotators"]]
            out.append(_table(["Annotator (lowest quality first)", "Labels", "Agreement with consensus", "Quality"], rows, "lrrr"))
    return "\n\n".join(out)


def _method(m: dict[str, Any], version: str) -> str:
    thr = _table(["Cause", "Threshold", "Calibration", "Correct rows"],
                 [[cause_label(t["cause"]), _num(t["threshold"]), t["method"] if t["status"] == "ran" else threshold_skipped(t),
                   _num(t["correct_rows"], "{}")] for t in m["thresholds"]], "lrlr")
    inputs = _table(["Role", "File", "Rows", "SHA-256"], [[i["role"], i["name"], str(i["rows"]), i["sha256"]] for i in m["inputs"]], "llrl")
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items())
    return (f"## 4. Method and reproducibility\n\n{md(m['how'])}\n\n{thr}\n\n"
            f"**Seed:** {md(m['seed'])} · **Minimum stated precision:** {md(m['min_precision'])} · **Versions:** {md(versions) or '—'}\n\n"
            f"<details><summary>Input files</summary>\n\n{inputs}\n\n</details>")
