"""Benchmark: does ``contradictory_context`` find conflicting passages in RAMDocs?

RAMDocs (Wang et al. 2025, MIT) gives, for 500 questions, retrieved documents
each marked ``correct`` / ``misinfo`` / ``noise`` with the answer it supports.
A *set* of documents is positive when its non-noise documents support more
than one distinct answer, negative when they all support the same answer.

The raw questions confound conflict with passage count (more documents, more
answers), so every set here has exactly ``K`` documents and comes from a
question that contributes one positive and one negative set with the same
number of noise documents. Settings are tuned on a seeded dev half of the
questions and reported on the other half.

Run ``python benchmarks/context_ramdocs.py``; it prints progress to stderr and
writes ``benchmarks/results/context_ramdocs.md``. ``--fit`` refits the analyzer's
three small logistic models (answer candidates, passage relevance, set conflict)
on the dev half only and prints the constants to paste into
``diagnose/analyzers/_context_text.py``.
"""
from __future__ import annotations

import json
import logging
import random
import re
import sys
import time
from collections import defaultdict
from itertools import combinations
from pathlib import Path

import numpy as np
import polars as pl
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold, cross_val_predict

from diagnose.analyzers import _context_text as ctx
from diagnose.analyzers import contradictory_context as cc
from diagnose.analyzers.base import Prepared
from diagnose.analyzers.contradictory_context import ContradictoryContext

DATA = Path("/work/shared/data/ramdocs/RAMDocs_test.jsonl")
OUT = Path(__file__).parent / "results" / "context_ramdocs.md"
K = 3
SEED = 0
TARGET_AUROC = 0.9
TARGET_PRECISION = 0.8
SET_C = 100.0  # weak regularisation: the set model has six features and 292 dev sets
log = logging.getLogger("benchmarks.context_ramdocs")


def load_questions(path: Path = DATA) -> list[dict]:
    """The RAMDocs rows, one dict per question."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def split_questions(n: int, seed: int = SEED) -> tuple[list[int], list[int]]:
    """Seeded random halves of the question indices: (dev, test)."""
    order = list(range(n))
    random.Random(seed).shuffle(order)
    return sorted(order[: n // 2]), sorted(order[n // 2:])


def _label(docs: list[dict], subset: tuple[int, ...]) -> bool | None:
    """True (conflict), False (agree) or None (fewer than two answering docs)."""
    answers = [docs[i]["answer"] for i in subset if docs[i]["type"] != "noise"]
    return None if len(answers) < 2 else len(set(answers)) > 1


def build_sets(rows: list[dict], indices: list[int], seed: int = SEED) -> list[dict]:
    """One positive and one negative K-document set per usable question.

    For each question every K-subset of its documents is labelled; subsets
    are grouped by how many noise documents they hold; one group holding both
    labels is drawn at random and one positive and one negative subset are
    drawn from it. Questions without such a group are left out.
    """
    rng = random.Random(seed)
    sets = []
    for qi in indices:
        docs = rows[qi]["documents"]
        groups: dict[int, dict[bool, list]] = defaultdict(lambda: {True: [], False: []})
        for subset in combinations(range(len(docs)), K):
            label = _label(docs, subset)
            if label is not None:
                n_noise = sum(docs[i]["type"] == "noise" for i in subset)
                groups[n_noise][label].append(subset)
        usable = sorted(m for m, g in groups.items() if g[True] and g[False])
        if not usable:
            continue
        group = groups[rng.choice(usable)]
        for label in (True, False):
            subset = list(rng.choice(group[label]))
            rng.shuffle(subset)
            sets.append({"qi": qi, "label": label, "docs": subset})
    return sets


def _frames(rows: list[dict], sets: list[dict]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Eval and contexts frames: one eval row per set, passage ids 'd<doc index>'."""
    ev = pl.DataFrame({
        "id": [f"s{i}" for i in range(len(sets))],
        "text": [rows[s["qi"]]["question"] for s in sets],
        "label": pl.Series([None] * len(sets), dtype=pl.Utf8),
        "prediction": pl.Series([None] * len(sets), dtype=pl.Utf8),
    })
    ctx = [(f"s{i}", f"d{d}", rows[s["qi"]]["documents"][d]["text"])
           for i, s in enumerate(sets) for d in s["docs"]]
    return ev, pl.DataFrame(ctx, schema=["id", "passage_id", "passage"], orient="row")


def score_ours(rows, sets, **settings) -> tuple[list[float], pl.DataFrame]:
    """Scores of the analyzer and its conflicts table."""
    ev, ctx = _frames(rows, sets)
    analyzer = ContradictoryContext(**settings)
    out = analyzer.score(Prepared(task="generation", eval=ev, contexts=ctx))
    return out["score_contradictory_context"].to_list(), analyzer.tables()["context_conflicts"]


_WORD = re.compile(r"\w+")


def score_baseline(rows, sets, min_overlap: float = 0.3) -> list[float]:
    """Lexical baseline: overlap of the most similar passage pair that differs
    in a number or a capitalised word (0 when no such pair)."""
    out = []
    for s in sets:
        toks = [set(_WORD.findall(rows[s["qi"]]["documents"][d]["text"])) for d in s["docs"]]
        best = 0.0
        for a, b in combinations(toks, 2):
            jac = len(a & b) / max(len(a | b), 1)
            typed = {t for t in a ^ b if t[0].isdigit() or t[0].isupper()}
            if jac >= min_overlap and typed:
                best = max(best, jac)
        out.append(best)
    return out


def evidence_precision(rows, sets, scores, conflicts) -> tuple[float, int]:
    """Share of flagged (> 0.5) positive sets whose quoted pair holds two
    non-noise documents with different answers."""
    by_id = {r["id"]: r for r in conflicts.to_dicts()}
    hits = flagged = 0
    for i, (s, sc) in enumerate(zip(sets, scores)):
        if not s["label"] or sc is None or sc <= 0.5:
            continue
        flagged += 1
        c = by_id[f"s{i}"]
        docs = rows[s["qi"]]["documents"]
        a, b = docs[int(c["passage_a"][1:])], docs[int(c["passage_b"][1:])]
        hits += a["type"] != "noise" and b["type"] != "noise" and a["answer"] != b["answer"]
    return (hits / flagged if flagged else float("nan")), flagged


def evaluate(rows, indices, **settings) -> dict:
    """All measures on the questions ``indices``."""
    sets = build_sets(rows, indices)
    y = [s["label"] for s in sets]
    start = time.perf_counter()
    scores, conflicts = score_ours(rows, sets, **settings)
    seconds = time.perf_counter() - start
    precision, flagged = evidence_precision(rows, sets, scores, conflicts)
    return {
        "n_questions": len({s["qi"] for s in sets}), "n_sets": len(sets),
        "auroc": roc_auc_score(y, scores),
        "baseline": roc_auc_score(y, score_baseline(rows, sets)),
        "count": roc_auc_score(y, [len(s["docs"]) for s in sets]),
        "precision": precision, "flagged": flagged, "seconds": seconds,
        "recall_at_half": sum(sc > 0.5 for sc, t in zip(scores, y) if t) / max(sum(y), 1),
        "fpr_at_half": sum(sc > 0.5 for sc, t in zip(scores, y) if not t)
        / max(len(y) - sum(y), 1),
    }


def run() -> str:
    """Run the benchmark and return its Markdown section."""
    rows = load_questions()
    dev, test = split_questions(len(rows))
    log.info("scoring dev half (%d questions)", len(dev))
    d = evaluate(rows, dev)
    log.info("dev AUROC %.3f; scoring test half (%d questions)", d["auroc"], len(test))
    t = evaluate(rows, test)
    log.info("test AUROC %.3f", t["auroc"])
    return _render(d, t)


def _render(d: dict, t: dict) -> str:
    return f"""## contradictory_context on RAMDocs (equal-count document sets)

Command: `python benchmarks/context_ramdocs.py` (data: `{DATA}`, RAMDocs test split,
500 questions, MIT).

| measure (test half) | ours | lexical baseline | target |
|---|---:|---:|---:|
| AUROC, conflicting vs agreeing sets | {t['auroc']:.3f} | {t['baseline']:.3f} | ≥ {TARGET_AUROC} |
| AUROC of passage count (control) | {t['count']:.3f} | {t['count']:.3f} | ≈ 0.5 |
| evidence precision (flagged positives whose quoted pair disagrees) | {t['precision']:.3f} ({t['flagged']} flagged) | — | ≥ {TARGET_PRECISION} |
| recall at score > 0.5 / false-positive rate at 0.5 | {t['recall_at_half']:.3f} / {t['fpr_at_half']:.3f} | — | — |
| seconds to score {t['n_sets']} sets | {t['seconds']:.1f} | — | — |

Dev half (used to choose settings): AUROC {d['auroc']:.3f}, baseline {d['baseline']:.3f},
count control {d['count']:.3f}, evidence precision {d['precision']:.3f}
({d['flagged']} flagged), {d['n_sets']} sets from {d['n_questions']} questions.
Test half: {t['n_sets']} sets from {t['n_questions']} questions.

Status: AUROC target {"met" if t['auroc'] >= TARGET_AUROC else "NOT met"}; evidence-precision
target {"met" if t['precision'] >= TARGET_PRECISION else "NOT met"}.

Notes
- Method (default, offline, NumPy only): three small logistic models with hard-coded
  constants in `diagnose/analyzers/_context_text.py`, refitted by
  `python benchmarks/context_ramdocs.py --fit` on the dev half only (answer candidates:
  is this span the document's RAMDocs answer; relevance: is this document not noise; set:
  is this dev set conflicting). The test half was scored once with the fitted constants;
  two earlier test runs were also seen (test AUROC 0.809 before the aligned-clash and
  subject-description features; evidence precision 0.798 before the quoted pair was made
  to favour relevant passages, a change chosen on dev: 0.838 -> 0.863), so the test
  figures are not entirely untouched.
- What helped on dev (grouped out-of-fold AUROC of the set model): relevance weighting of
  pairs plus a shared-answer (agreement) feature, 0.78 -> 0.82; answer mass the other
  passage does not state, 0.83; the aligned-sentence clash as a feature, 0.85; the
  subject-description feature, +0.01 (its fitted sign is negative: passages describing
  the subject differently are *less* often conflicting once relevance is accounted for,
  so it does not work as the namesake signal it was meant to be). The candidate model
  with the lexicon lifted
  the top-candidate hit rate on *what sport / genre* questions from 23% to 61%. Whole-
  passage TF-IDF cosine, the "Name (qualifier)" heading and relevance counts alone added
  nothing measurable.
- Out-of-fold (grouped 5-fold by question) dev AUROC of the set model alone is about
  0.86; it sits below the in-sample dev figure above, and the test figure is lower again.
- The remaining gap is answer extraction and noise: RAMDocs documents are often web-page
  chunks (navigation text, reference lists, stats tables), the top-ranked candidate is
  the document's answer for about 61% of dev documents on *what sport / genre* questions
  (23% before), 69% on *when*, 43% on *who* and 27% on open *what is* questions, and
  noise documents are told from answering ones with a dev AUROC of only about 0.83. A
  judge (`ContradictoryContext(judge=...)`) is not measured here.
- Sets: every set has exactly {K} documents. For each question all {K}-subsets of its
  documents are labelled positive (non-noise documents support more than one distinct
  answer) or negative (all support one answer); subsets with fewer than two non-noise
  documents are dropped. Subsets are grouped by their number of noise documents; one group
  holding both labels is drawn at random (seed {SEED}) and one positive and one negative
  subset are drawn from it, in shuffled document order. Questions without such a group are
  left out. Each question thus gives one positive and one negative set of equal size and
  equal noise count, so passage count (and question identity) carry no signal.
- Split: the 500 question indices are shuffled with `random.Random({SEED})`; the first 250
  are the dev half (settings chosen there), the other 250 the test half (reported).
- The analyzer sees only the question and the passages (`label` and `prediction` null), so
  only the two context detectors are measured, not the gold-vs-prediction detector.
- Lexical baseline: over passage pairs, the word-set Jaccard overlap of the most similar pair
  (overlap ≥ 0.3) whose words differ in a number or a capitalised word.
- Evidence precision counts a flagged positive set as correct when its quoted pair holds two
  non-noise documents with different RAMDocs answers; a pair with a noise document counts
  as wrong.
"""


def _matches(span: str, answer: str) -> bool:
    """A candidate matches a RAMDocs answer when one contains the other."""
    a, b = ctx.norm(span), ctx.norm(answer)
    return bool(a) and (a in b or b in a)


def _candidate_rows(rows, dev):
    """Candidate features and labels (is it the document's answer) of dev documents."""
    x, y = [], []
    reader = ContradictoryContext()
    for qi in dev:
        q = cc._Question.read(rows[qi]["question"])
        for doc in rows[qi]["documents"]:
            if doc["type"] == "noise":
                continue
            tokens = [ctx.TOKEN.findall(s) for s in ctx.sentences(doc["text"])]
            flat = [t.lower() for sent in tokens for t in sent]
            feats, spans = ctx.candidate_features(tokens, flat, q, reader.proximity_tau)
            for key, f in feats.items():
                x.append(ctx.candidate_vector(f))
                y.append(_matches(spans[key][1], doc["answer"]))
    return np.array(x), np.array(y)


def _relevance_rows(rows, dev):
    """Relevance features and labels (not noise) of dev documents."""
    x, y = [], []
    reader = ContradictoryContext()
    for qi in dev:
        q = cc._Question.read(rows[qi]["question"])
        for doc in rows[qi]["documents"]:
            p = reader._read("d", doc["text"], q)
            flat = [t.lower() for sent in p.tokens for t in sent]
            x.append(ctx.relevance_vector([s.weight for s in p.spans], flat, q.subject, q.terms))
            y.append(doc["type"] != "noise")
    return np.array(x), np.array(y)


def _set_rows(rows, sets):
    """Set features and labels of dev sets."""
    x = []
    reader = ContradictoryContext()
    for s in sets:
        q = cc._Question.read(rows[s["qi"]]["question"])
        passages = [reader._read(f"d{d}", rows[s["qi"]]["documents"][d]["text"], q)
                    for d in s["docs"]]
        aligned = cc._aligned_conflicts(passages, reader.align_threshold)
        x.append(cc._set_features(passages, aligned)[0])
    return np.array(x), np.array([s["label"] for s in sets])


def _fit_logistic(x, y, groups=None, C=1.0) -> tuple:
    """A logistic model as rounded constants; logs its (grouped 5-fold) dev AUROC."""
    model = LogisticRegression(C=C, max_iter=5000).fit(x, y)
    if groups is not None:
        oof = cross_val_predict(LogisticRegression(C=C, max_iter=5000), x, y, groups=groups,
                                cv=GroupKFold(5), method="decision_function")
        log.info("  out-of-fold dev AUROC %.3f", roc_auc_score(y, oof))
    log.info("  in-sample dev AUROC %.3f", roc_auc_score(y, model.decision_function(x)))
    return tuple(round(float(c), 3) for c in model.coef_[0]), round(float(model.intercept_[0]), 3)


def fit() -> None:
    """Refit the three models on the dev half, in order, and log the constants."""
    rows = load_questions()
    dev, _ = split_questions(len(rows))
    log.info("candidate model")
    ctx.CANDIDATE_MODEL = _fit_logistic(*_candidate_rows(rows, dev))
    log.info("CANDIDATE_MODEL = %s", ctx.CANDIDATE_MODEL)
    log.info("relevance model")
    ctx.RELEVANCE_MODEL = _fit_logistic(*_relevance_rows(rows, dev))
    log.info("RELEVANCE_MODEL = %s", ctx.RELEVANCE_MODEL)
    log.info("set model")
    sets = build_sets(rows, dev)
    x, y = _set_rows(rows, sets)
    ctx.SET_MODEL = _fit_logistic(x, y, groups=[s["qi"] for s in sets], C=SET_C)
    log.info("SET_MODEL = %s", ctx.SET_MODEL)
    log.info("dev AUROC with these constants: %.3f", evaluate(rows, dev)["auroc"])


def main() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    if "--fit" in sys.argv[1:]:
        fit()
        return
    start = time.perf_counter()
    section = run()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(section, encoding="utf-8")
    log.info("wrote %s in %.0f s", OUT, time.perf_counter() - start)


if __name__ == "__main__":
    main()
