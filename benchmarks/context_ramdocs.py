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
on the dev half only and writes their weights to ``diagnose/causes/contradictory_context/weights.json``;
``--cv`` reports their grouped 5-fold cross-validation on the dev half;
``--ceilings`` reruns dev CV and test with an oracle doing answer extraction,
relevance or both (:mod:`benchmarks._ramdocs_oracle`), to show where the gap is.
"""
from __future__ import annotations

import logging
import re
import sys
import time
from itertools import combinations
from pathlib import Path

from sklearn.metrics import roc_auc_score

from benchmarks._ramdocs_fit import (
    CANDIDATE_C,
    CUE_MIN_QUESTIONS,
    FITTED_PATH,
    cross_validate,
    fit_models,
    write_fitted,
)
from benchmarks._ramdocs_sets import (
    DATA,
    SEED,
    TRAIN_DRAWS,
    K,
    build_sets,
    evidence_precision,
    load_questions,
    score_ours,
    split_questions,
    training_sets,
)

__all__ = ["build_sets", "cross_validate", "evaluate", "fit_models", "load_questions", "run",
           "score_baseline", "score_ours", "split_questions", "training_sets", "write_fitted"]
OUT = Path(__file__).parent / "results" / "context_ramdocs.md"
OUT_CEILINGS = OUT.with_name("context_ramdocs_ceilings.md")
TARGET_AUROC = 0.9
TARGET_PRECISION = 0.8
log = logging.getLogger("benchmarks.context_ramdocs")


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
- Method (default, offline, NumPy only): three small logistic models whose weights
  `python -m benchmarks.context_ramdocs --fit` writes to
  `diagnose/causes/contradictory_context/weights.json` from the dev half only. Answer candidates (is
  this span the document's RAMDocs answer): closeness to the question's words (matched
  through a crude stem, so "directed" meets "director"), how much of the question the
  candidate's sentence holds, answer-type fit, and learned weights of the word right
  before and after it, tagged with the expected answer type (`CUE_WEIGHTS`: words seen
  around candidates of at least {CUE_MIN_QUESTIONS} dev questions, C={CANDIDATE_C}).
  Candidate labels match on whole (stemmed) words, so "2" no longer counts as the
  answer "2,764 people". Relevance: is this document not noise. Set: is this set
  conflicting, fitted on {TRAIN_DRAWS} extra positive/negative draws per dev question
  (`training_sets`, seed {SEED + 1}) rather than on the benchmark's one pair, over
  relevance-weighted pair features: answer mass neither document states, top answers
  absent from each other, shared mass, the aligned-sentence conflict, the chance that
  the most conflicting pair answers differently (joint mass of the two answer
  distributions on keys naming one answer: equal, a year inside a date, numbers within
  10%, nested names) and whether one document is an edited copy of another (word
  alignment showing a replaced name or number between matching stretches).
  Answers are compared with stems ("footballer" states "football") and a year is
  stated by a full date of that year; ordinals ("1st") and zero-padded numbers ("04")
  are not candidates, and a footnote number glued to a year ("1590.2") is dropped.
- Protocol: every choice was made on the grouped cross-validated dev AUROC above
  (`python -m benchmarks.context_ramdocs --cv`); the test half was scored once for this
  round, by the run that wrote this section. That is the sixth look at the test half
  overall (earlier rounds reported test AUROC 0.809, 0.820 and 0.839, evidence precision
  0.798, 0.842 and 0.876), so the test figures are not untouched. The analyzer has not
  changed since; the `--ceilings` diagnostic also scores the test half, with oracle
  readers, and chooses nothing.
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
- This round (cross-validated dev AUROC 0.884 -> 0.894, evidence precision 0.873 ->
  0.886; about 15 variants were compared on this one dev estimate, so the gain is
  optimistic; on 10 extra held-out draws per dev question, 0.863 -> 0.873): the chance
  that a pair answers differently (exact keys 0.886; with nested names and years in dates
  0.886; with numbers within 10%, in the final set 0.891 -> 0.894); an edited-copy
  feature (0.885 alone; -0.002 when left out of a later set); the subject-description
  feature dropped (its pair-level AUROC is 0.49; 0.889 either way). Edited copies are a
  small part of the task: only 12 of 146 dev positive sets hold two answering documents
  with word overlap >= 0.38 and different answers, and those already scored 0.89 on
  average (aligned sentences fire in 11); most positives are three correct documents about
  namesakes. Tried and not kept: relation-word-tagged neighbour cues (top-1 answer 0.583
  -> 0.591, AUROC no change), two-away neighbour words (+0.002, none on extra draws),
  names ended at capitalised function words and infobox fields (top-1 0.588, AUROC
  0.881), the nearest typed candidate to a relation word (top-3 0.812, AUROC 0.874),
  candidate labels matched by key ("December 21 1906"; no change), boosted trees for
  candidates (top-1 0.576), clash weighted by answer confidence (0.882), fuzzy numbers
  also in answer support (0.886), at least 3 matching words around the replaced span
  (0.893), answer sharpness 1 or 3 (0.878), top 2 or 5 answers (0.878 / 0.882), 30 set
  draws per question (0.880), title qualifiers and content-word overlap (no gain).
- Where the rest is: `python -m benchmarks.context_ramdocs --ceilings`
  (`context_ramdocs_ceilings.md`) reruns this benchmark with an oracle doing the answer
  extraction, the noise detection or both; in its last run only near-perfect reading of
  one of them reached the target. Readers trained on the dev half (frozen MiniLM sentence
  vectors, fine-tuned MiniLM cross-encoders) lift answer top-1 and noise AUROC a few
  points (`python -m benchmarks.ramdocs_neural_probe`, `ramdocs_neural_probe.md`), far
  from that.
  Several sets cannot be right from the text: about 5% of answering documents do not
  contain their own answer, some answers differ only in form ("September 2010" / "Fall of
  2010"), and some noise documents are about a namesake the question could mean. A judge
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



def main() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    rows = load_questions()
    dev, _ = split_questions(len(rows))
    if "--cv" in sys.argv[1:]:
        cv = cross_validate(rows, dev)
        log.info("grouped 5-fold dev AUROC %.3f, evidence precision %.3f (%d flagged)",
                 cv["auroc"], cv["precision"], cv["flagged"])
        return
    if "--ceilings" in sys.argv[1:]:
        from benchmarks._ramdocs_oracle import ceilings, render_ceilings

        table = ceilings(rows, dev, split_questions(len(rows))[1], evaluate)
        OUT_CEILINGS.write_text(render_ceilings(table), encoding="utf-8")
        log.info("wrote %s", OUT_CEILINGS)
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
