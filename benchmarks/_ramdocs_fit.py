"""Fitting the models of ``contradictory_context`` on the RAMDocs dev half.

``python -m benchmarks.context_ramdocs --fit`` writes the weights of
:mod:`diagnose.causes.contradictory_context._context_models` (its package data
``weights.json``) from :func:`fit_models`;
``--cv`` reports :func:`cross_validate`, the grouped 5-fold cross-validation of
the whole fit on the dev half.
"""
from __future__ import annotations

import logging
import random
from collections import defaultdict
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from benchmarks._ramdocs_sets import (
    SEED,
    build_sets,
    evidence_precision,
    score_ours,
    training_sets,
)
from diagnose.causes.contradictory_context import _context_models as models
from diagnose.causes.contradictory_context import _context_text as ctx
from diagnose.causes.contradictory_context import analyzer as cc
from diagnose.causes.contradictory_context.analyzer import ContradictoryContext

SET_C = 100.0  # weak regularisation: the set model has seven features
CANDIDATE_C = 0.1  # chosen by grouped cross-validation on the dev half
CUE_MIN_QUESTIONS = 3  # a neighbour word must occur around candidates of 3 questions
CUE_MIN_WEIGHT = 0.05
FITTED = models.FITTED
FITTED_PATH = Path(models.__file__).with_name(models.WEIGHTS_FILE)
log = logging.getLogger("benchmarks.context_ramdocs")


def _matches(span: str, answer: str) -> bool:
    """A candidate matches a RAMDocs answer when the words (crudely stemmed) of one
    are a run of the other's ("2,764" matches "2,764 people"; "2" does not)."""
    a, b = (" ".join(ctx.stem(t) for t in ctx.norm(x).split()) for x in (span, answer))
    return bool(a) and (f" {a} " in f" {b} " or f" {b} " in f" {a} ")


def candidate_records(rows, qis):
    """Every answer candidate of the answering documents of questions ``qis``: its
    document ``(qi, di)``, features ``f``, ``span`` text, ``sentence`` tokens and
    ``y`` (is it the document's RAMDocs answer)."""
    tau = ContradictoryContext().proximity_tau
    for qi in qis:
        q = cc._Question.read(rows[qi]["question"])
        for di, doc in enumerate(rows[qi]["documents"]):
            if doc["type"] == "noise":
                continue
            _, tokens, flat = ctx.passage_tokens(doc["text"])
            found, spans = ctx.candidate_features(tokens, flat, q, tau)
            for key, f in found.items():
                _, span, s_idx = spans[key]
                yield {"doc": (qi, di), "f": f, "span": span, "sentence": tokens[s_idx],
                       "y": _matches(span, doc["answer"])}


def _candidate_rows(rows, qis):
    """Candidate feature records, labels (is it the document's answer) and question
    indices, over the answering documents of questions ``qis``."""
    recs = list(candidate_records(rows, qis))
    return ([r["f"] for r in recs], np.array([r["y"] for r in recs]),
            np.array([r["doc"][0] for r in recs]))


def _fit_candidates(feats, y, groups) -> tuple[tuple, dict]:
    """Dense candidate model and neighbour-word weights (cues seen in at least
    CUE_MIN_QUESTIONS questions; weights below CUE_MIN_WEIGHT dropped)."""
    seen = defaultdict(set)
    for f, g in zip(feats, groups):
        for c in f["cues"]:
            seen[c].add(g)
    vocab = sorted(c for c, qs in seen.items() if len(qs) >= CUE_MIN_QUESTIONS)
    index = {c: i for i, c in enumerate(vocab)}
    dense = np.array([models.candidate_vector(f) for f in feats])
    pairs = [(i, index[cue]) for i, f in enumerate(feats) for cue in f["cues"] if cue in index]
    r, c = [p[0] for p in pairs], [p[1] for p in pairs]
    cues = sparse.csr_matrix((np.ones(len(r)), (r, c)), shape=(len(feats), len(vocab)))
    x = sparse.hstack([sparse.csr_matrix(dense), cues]).tocsr()
    model = LogisticRegression(C=CANDIDATE_C, max_iter=5000).fit(x, y)
    coef = model.coef_[0]
    n = dense.shape[1]
    weights = {cue: round(float(w), 3) for cue, w in zip(vocab, coef[n:])
               if abs(w) >= CUE_MIN_WEIGHT}
    return (tuple(round(float(w), 3) for w in coef[:n]), round(float(model.intercept_[0]), 3)), \
        weights


def _relevance_rows(rows, qis):
    """Relevance features and labels (not noise) of the documents of questions ``qis``."""
    x, y = [], []
    reader = ContradictoryContext()
    for qi in qis:
        q = cc._Question.read(rows[qi]["question"])
        for doc in rows[qi]["documents"]:
            p = reader._read("d", doc["text"], q)
            flat = [t.lower() for sent in p.tokens for t in sent]
            x.append(models.relevance_vector([s.weight for s in p.spans], flat, q.subject, q.terms))
            y.append(doc["type"] != "noise")
    return np.array(x), np.array(y)


def _set_rows(rows, sets):
    """Set features and labels of ``sets``."""
    x = []
    reader = ContradictoryContext()
    for s in sets:
        q = cc._Question.read(rows[s["qi"]]["question"])
        passages = [reader._read(f"d{d}", rows[s["qi"]]["documents"][d]["text"], q)
                    for d in s["docs"]]
        aligned = cc._aligned_conflicts(passages, reader.align_threshold)
        x.append(cc._set_features(passages, aligned)[0])
    return np.array(x), np.array([s["label"] for s in sets])


def _logistic(x, y, C=1.0) -> tuple:
    """A logistic model as rounded constants (coefficients, intercept)."""
    model = LogisticRegression(C=C, max_iter=5000).fit(x, y)
    return tuple(round(float(c), 3) for c in model.coef_[0]), round(float(model.intercept_[0]), 3)


def fit_models(rows, qis) -> dict:
    """Fit the three models in order on questions ``qis``; installs and returns them."""
    log.info("candidate model (%d questions)", len(qis))
    models.CANDIDATE_MODEL, models.CUE_WEIGHTS = _fit_candidates(*_candidate_rows(rows, qis))
    log.info("relevance model")
    models.RELEVANCE_MODEL = _logistic(*_relevance_rows(rows, qis))
    log.info("set model")
    models.SET_MODEL = _logistic(*_set_rows(rows, training_sets(rows, qis)), C=SET_C)
    return {name: getattr(models, name) for name in FITTED}


def cross_validate(rows, qis, folds: int = 5) -> dict:
    """Grouped-by-question cross-validation of the whole fit on questions ``qis``:
    each fold's sets are scored by models fitted on the other folds' questions."""
    saved = {name: getattr(models, name) for name in FITTED}
    sets = build_sets(rows, qis)
    order = list(qis)
    random.Random(SEED).shuffle(order)
    scores = np.zeros(len(sets))
    precision_hits = []
    try:
        for k in range(folds):
            held = set(order[k::folds])
            fit_models(rows, [qi for qi in qis if qi not in held])
            part = [i for i, s in enumerate(sets) if s["qi"] in held]
            sub = [sets[i] for i in part]
            sc, conflicts = score_ours(rows, sub)
            scores[part] = sc
            precision_hits.append(evidence_precision(rows, sub, sc, conflicts))
    finally:
        for name, value in saved.items():
            setattr(models, name, value)
    flagged = sum(f for _, f in precision_hits)
    hits = sum(p * f for p, f in precision_hits if f)
    y = [s["label"] for s in sets]
    return {"auroc": roc_auc_score(y, scores), "precision": hits / max(flagged, 1),
            "flagged": flagged}


def write_fitted(fitted: dict, path: Path = FITTED_PATH) -> None:
    """Write the fitted weights to ``weights.json``, the package data of ``_context_models``."""
    path.write_text(models.weights_to_json(fitted), encoding="utf-8")
