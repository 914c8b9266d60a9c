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

Run ``python -m benchmarks.context_ramdocs`` from the repository root (so the
working tree's ``diagnose`` is imported); it prints progress to stderr and
writes ``benchmarks/results/context_ramdocs.md``. ``--fit`` refits the analyzer's
three small logistic models (answer candidates, passage relevance, set conflict)
on the dev half only and writes the constants of ``diagnose/analyzers/_context_models.py``;
``--cv`` reports their grouped 5-fold cross-validation on the dev half.
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
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from diagnose.analyzers import _context_models as models
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
SET_C = 100.0  # weak regularisation: the set model has six features
TRAIN_DRAWS = 10  # positive/negative set pairs per dev question to fit the set model
CANDIDATE_C = 0.1  # chosen by grouped cross-validation on the dev half
CUE_MIN_QUESTIONS = 3  # a neighbour word must occur around candidates of 3 questions
CUE_MIN_WEIGHT = 0.05
FITTED = ("CANDIDATE_MODEL", "CUE_WEIGHTS", "RELEVANCE_MODEL", "SET_MODEL")
FITTED_PATH = Path(models.__file__)
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


def _subset_groups(docs: list[dict]) -> list[dict[bool, list]]:
    """K-subsets of one question's documents by noise count: the groups holding both
    labels, in order of noise count."""
    groups: dict[int, dict[bool, list]] = defaultdict(lambda: {True: [], False: []})
    for subset in combinations(range(len(docs)), K):
        label = _label(docs, subset)
        if label is not None:
            groups[sum(docs[i]["type"] == "noise" for i in subset)][label].append(subset)
    return [groups[m] for m in sorted(groups) if groups[m][True] and groups[m][False]]


def training_sets(rows: list[dict], indices: list[int], draws: int = TRAIN_DRAWS,
                  seed: int = SEED + 1) -> list[dict]:
    """More labelled sets from the same questions, to fit the set model: ``draws``
    positive/negative pairs per question, each from a random usable noise group."""
    rng = random.Random(seed)
    sets = []
    for qi in indices:
        usable = _subset_groups(rows[qi]["documents"])
        for _ in range(draws if usable else 0):
            group = rng.choice(usable)
            for label in (True, False):
                sets.append({"qi": qi, "label": label, "docs": list(rng.choice(group[label]))})
    return sets


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
        usable = _subset_groups(rows[qi]["documents"])
        if not usable:
            continue
        group = rng.choice(usable)
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
    log.info("grouped 5-fold cross-validation on the dev half (%d questions)", len(dev))
    cv = cross_validate(rows, dev)
    log.info("scoring dev half")
    d = evaluate(rows, dev)
    log.info("dev AUROC %.3f (cv %.3f); scoring test half (%d questions)", d["auroc"],
             cv["auroc"], len(test))
    t = evaluate(rows, test)
    log.info("test AUROC %.3f", t["auroc"])
    return _render(d, t, cv)


def _render(d: dict, t: dict, cv: dict) -> str:
    return f"""## contradictory_context on RAMDocs (equal-count document sets)

Command: `python -m benchmarks.context_ramdocs` (data: `{DATA}`, RAMDocs test split,
500 questions, MIT).

| measure (test half) | ours | lexical baseline | target |
|---|---:|---:|---:|
| AUROC, conflicting vs agreeing sets | {t['auroc']:.3f} | {t['baseline']:.3f} | ≥ {TARGET_AUROC} |
| AUROC of passage count (control) | {t['count']:.3f} | {t['count']:.3f} | ≈ 0.5 |
| evidence precision (flagged positives whose quoted pair disagrees) | {t['precision']:.3f} ({t['flagged']} flagged) | — | ≥ {TARGET_PRECISION} |
| recall at score > 0.5 / false-positive rate at 0.5 | {t['recall_at_half']:.3f} / {t['fpr_at_half']:.3f} | — | — |
| seconds to score {t['n_sets']} sets | {t['seconds']:.1f} | — | — |

Dev half (used to choose settings): grouped 5-fold cross-validated AUROC {cv['auroc']:.3f}
and evidence precision {cv['precision']:.3f} ({cv['flagged']} flagged) — every fold's sets
scored by models refitted on the other folds' questions; with the shipped constants
(fitted on the whole dev half, so in-sample) AUROC {d['auroc']:.3f}, baseline
{d['baseline']:.3f}, count control {d['count']:.3f}, evidence precision {d['precision']:.3f}
({d['flagged']} flagged), {d['n_sets']} sets from {d['n_questions']} questions.
Test half: {t['n_sets']} sets from {t['n_questions']} questions.

Status: AUROC target {"met" if t['auroc'] >= TARGET_AUROC else "NOT met"}; evidence-precision
target {"met" if t['precision'] >= TARGET_PRECISION else "NOT met"}.

Notes
- Method (default, offline, NumPy only): three small logistic models whose constants
  `python -m benchmarks.context_ramdocs --fit` writes to
  `diagnose/analyzers/_context_models.py` from the dev half only. Answer candidates (is
  this span the document's RAMDocs answer): closeness to the question's words (matched
  through a crude stem, so "directed" meets "director"), how much of the question the
  candidate's sentence holds, answer-type fit, and learned weights of the word right
  before and after it, tagged with the expected answer type (`CUE_WEIGHTS`: words seen
  around candidates of at least {CUE_MIN_QUESTIONS} dev questions, C={CANDIDATE_C}).
  Candidate labels match on whole (stemmed) words, so "2" no longer counts as the
  answer "2,764 people". Relevance: is this document not noise. Set: is this set
  conflicting, fitted on {TRAIN_DRAWS} extra positive/negative draws per dev question
  (`training_sets`, seed {SEED + 1}) rather than on the benchmark's one pair.
  Answers are compared with stems ("footballer" states "football") and a year is
  stated by a full date of that year; ordinals ("1st") and zero-padded numbers ("04")
  are not candidates, and a footnote number glued to a year ("1590.2") is dropped.
- Protocol: every choice was made on the grouped cross-validated dev AUROC above
  (`python -m benchmarks.context_ramdocs --cv`); the test half was scored once for this
  round, by the run that wrote this section. Before it, the test half had been seen three
  times by the previous round (test AUROC 0.809 and 0.820, evidence precision 0.798 and
  0.842), so the test figures are not entirely untouched.
- What moved the cross-validated dev AUROC (same protocol; 0.846 with the previous
  round's features): neighbour-word cues and sentence alignment 0.846 -> 0.852; stem
  matching of answers 0.853; ordinal / zero-padded / footnoted-year fixes 0.855;
  candidate C 0.3 -> 0.1, 0.864 (0.859 after dropping the candidate's own words as
  cues, which were not kept); set model on extra dev draws 0.867; whole-word candidate
  labels 0.883; with stems 0.884. Tried and not kept: each candidate's features relative
  to the best of its passage (0.842); a softmax answer distribution (no change); a
  pair-level model combined by noisy-OR (0.78); gradient boosting or squared terms in
  the set model (0.80-0.85); answer-type interactions in the set model (+0.003);
  candidates sharing a two-word context across passages, set-wide answer consensus,
  one-sided agreement and shared-rank features (no gain); a bag-of-words relevance
  model (document AUROC 0.838 -> 0.848, no set gain). Sentence vectors
  (all-MiniLM-L6-v2, the `neural` extra) stacked on the three models, refitted per
  fold: question-to-span and question-to-sentence cosines for candidates (dev top-1
  answer 0.61 -> 0.64), closest sentences to the question for relevance (document
  AUROC 0.84 -> 0.85), cosine of the pair's answer sentences for sets: cross-validated
  dev AUROC 0.878 with all three, 0.878-0.882 with any one or two (lexical 0.884),
  evidence precision 0.91 (lexical 0.87); not wired in.
- Where the rest is: with the document's true answer forced to the top of its candidates
  with probability 0.95, the same set features reach a dev AUROC of about 0.93; ours puts
  the answer first for about 58% of dev documents (top 3: 80%). Several sets cannot be
  right from the text: about 5% of answering documents do not contain their own answer,
  and some answers differ only in form ("September 2010" / "Fall of 2010"). A judge
  (`ContradictoryContext(judge=...)`) is not measured here.
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
    """A candidate matches a RAMDocs answer when the words (crudely stemmed) of one
    are a run of the other's ("2,764" matches "2,764 people"; "2" does not)."""
    a, b = (" ".join(ctx.stem(t) for t in ctx.norm(x).split()) for x in (span, answer))
    return bool(a) and (f" {a} " in f" {b} " or f" {b} " in f" {a} ")


def _candidate_rows(rows, qis):
    """Candidate feature records, labels (is it the document's answer) and question
    indices, over the answering documents of questions ``qis``."""
    feats, y, groups = [], [], []
    tau = ContradictoryContext().proximity_tau
    for qi in qis:
        q = cc._Question.read(rows[qi]["question"])
        for doc in rows[qi]["documents"]:
            if doc["type"] == "noise":
                continue
            tokens = [ctx.TOKEN.findall(s) for s in ctx.sentences(doc["text"])]
            flat = [t.lower() for sent in tokens for t in sent]
            found, spans = ctx.candidate_features(tokens, flat, q, tau)
            for key, f in found.items():
                feats.append(f)
                y.append(_matches(spans[key][1], doc["answer"]))
                groups.append(qi)
    return feats, np.array(y), np.array(groups)


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


def _wrap(items: list[str], opening: str = "") -> str:
    """Items joined into indented lines of at most 95 characters."""
    lines, line = [], "   "
    for item in items:
        if len(line) + len(item) + 1 > 95:
            lines.append(line)
            line = "   "
        line += " " + item
    lines.append(line)
    return opening + "\n" + "\n".join(lines)


MARKER = "# ---- fitted constants: written by `python -m benchmarks.context_ramdocs --fit` ----"


def write_fitted(fitted: dict, path: Path = FITTED_PATH) -> None:
    """Rewrite the constants below the marker line of ``_context_models``."""
    cues = _wrap([f"{k!r}: {v}," for k, v in sorted(fitted["CUE_WEIGHTS"].items())])
    code = path.read_text(encoding="utf-8").split(MARKER)[0]
    path.write_text(code + MARKER + f'''
# Answer candidates: is this span the passage's answer to the question?
CANDIDATE_MODEL = ({_wrap([f"{c}," for c in fitted["CANDIDATE_MODEL"][0]], "(")}
), {fitted["CANDIDATE_MODEL"][1]})
# Neighbouring words of a candidate ("<answer type>|before|<word>"): added to its logit.
CUE_WEIGHTS: dict[str, float] = {{{cues}
}}
# Passages: does this passage answer the question at all (vs. retrieved noise)?
RELEVANCE_MODEL = {fitted["RELEVANCE_MODEL"]!r}
# Sets of passages: do they give more than one answer?
SET_MODEL = {fitted["SET_MODEL"]!r}
''', encoding="utf-8")


def main() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    rows = load_questions()
    dev, _ = split_questions(len(rows))
    if "--cv" in sys.argv[1:]:
        cv = cross_validate(rows, dev)
        log.info("grouped 5-fold dev AUROC %.3f, evidence precision %.3f (%d flagged)",
                 cv["auroc"], cv["precision"], cv["flagged"])
        return
    if "--fit" in sys.argv[1:]:
        write_fitted(fit_models(rows, dev))
        log.info("wrote %s; dev AUROC %.3f", FITTED_PATH, evaluate(rows, dev)["auroc"])
        return
    start = time.perf_counter()
    section = run()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(section, encoding="utf-8")
    log.info("wrote %s in %.0f s", OUT, time.perf_counter() - start)


if __name__ == "__main__":
    main()
