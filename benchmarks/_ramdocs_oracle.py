"""Where the RAMDocs gap is: the benchmark rerun with parts of the reading done by
an oracle that knows the RAMDocs labels (``python -m benchmarks.context_ramdocs --ceilings``).

``extraction``: in every answering document, candidates matching the document's
RAMDocs answer get probability ``p`` and the others share ``1 - p`` in proportion
to the model's probabilities. ``relevance``: noise documents get relevance 0.02,
the others 0.98. Everything else (set features, set model refitted on the dev
half with the same oracle) is the analyzer's own. A diagnostic only: it uses the
labels it is scored against, so it bounds what better reading could give.
"""
from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from benchmarks._ramdocs_fit import _matches, cross_validate, fit_models
from diagnose.causes.contradictory_context import _context_models as models
from diagnose.causes.contradictory_context import _context_text as ctx
from diagnose.causes.contradictory_context import analyzer as cc

MODES = {"none (the analyzer)": (False, False), "oracle extraction": (True, False),
         "oracle relevance": (False, True), "oracle extraction + relevance": (True, True)}


@contextmanager
def oracle_reader(rows, extraction: bool, relevance: bool, p: float = 0.95):
    """Patch ``ContradictoryContext._read`` so the chosen parts come from the labels."""
    documents = {d["text"]: d for r in rows for d in r["documents"]}
    original = cc.ContradictoryContext._read

    def read(self, pid, text, q):
        passage = original(self, pid, text, q)
        doc = documents[text]
        if extraction and doc["type"] != "noise":
            _force_answer(self, passage, text, q, doc["answer"], p)
        if relevance:
            passage.relevance = 0.02 if doc["type"] == "noise" else 0.98
        return passage

    cc.ContradictoryContext._read = read
    try:
        yield
    finally:
        cc.ContradictoryContext._read = original


def _force_answer(reader, passage, text, q, answer: str, p: float) -> None:
    """Give the candidates matching ``answer`` probability ``p`` (when there are any)."""
    _, tokens, flat = ctx.passage_tokens(text)
    feats, found = ctx.candidate_features(tokens, flat, q, reader.proximity_tau)
    keys = list(feats)
    probs = models.candidate_probs([feats[k] for k in keys])
    hit = np.array([_matches(found[k][1], answer) for k in keys], dtype=bool)
    if not hit.any():
        return
    passage.spans, passage.dist = reader._ranked(keys, found, np.where(hit, p, probs * (1 - p)))


def ceilings(rows, dev, test, evaluate) -> list[tuple[str, float, float]]:
    """(mode, dev grouped-CV AUROC, test AUROC with models fitted on the dev half) per mode."""
    saved = {name: getattr(models, name) for name in ("CANDIDATE_MODEL", "CUE_WEIGHTS",
                                                      "RELEVANCE_MODEL", "SET_MODEL")}
    out = []
    try:
        for name, (extraction, relevance) in MODES.items():
            with oracle_reader(rows, extraction, relevance):
                cv = cross_validate(rows, dev)["auroc"]
                fit_models(rows, dev)
                out.append((name, cv, evaluate(rows, test)["auroc"]))
    finally:
        for name, value in saved.items():
            setattr(models, name, value)
    return out


def render_ceilings(table) -> str:
    """The Markdown section of ``--ceilings``."""
    rows = "\n".join(f"| {name} | {cv:.3f} | {test:.3f} |" for name, cv, test in table)
    return f"""## contradictory_context on RAMDocs: where the gap is (oracle ceilings)

Command: `python -m benchmarks.context_ramdocs --ceilings` (about 8 minutes).

| reading | dev grouped-CV AUROC | test AUROC (models fitted on dev) |
|---|---:|---:|
{rows}

Each row reruns the benchmark with part of the reading replaced by an oracle that
knows the RAMDocs labels (`benchmarks/_ramdocs_oracle.py`): *extraction* puts the
document's own answer first (probability 0.95) in every answering document;
*relevance* gives noise documents relevance 0.02 and the others 0.98. Set features and
the refitted set model are the analyzer's own. It is a diagnostic, not a result: the
oracle reads the labels it is scored against, so each row bounds what a better reader
of that part alone could give. How far the analyzer's own extractor and noise detector
are from perfect (answer top-1, document AUROC on held-out dev questions) is in
`ramdocs_neural_probe.md`, rows "lexical".
"""
