"""Benchmark: the three readings of an error on generated sets whose truth is known.

Each draw makes items of varying true ambiguity (a share of them split between two
classes, the others clear), annotators of varying reliability with confusion
matrices of their own (a vote follows the item's distribution with probability r,
else a row of the annotator's random confusion matrix), 1 to 5 votes per item,
gold labels flipped on a share of the clear items, and a model whose probabilities
follow the item's distribution with noise. Truth per error (gold != model argmax):
ambiguous when the item's top class share is below 0.7, else wrong gold when the
gold is not its top class, else model mistake.

Defaults were chosen on the dev draws (seeds 1000-1009); the report draws (seeds
0-23) were looked at only to report. Run ``python -m benchmarks.disagreement_family``;
it writes ``benchmarks/results/disagreement_family.md``.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from pathlib import Path

import numpy as np

from benchmarks._disagreement_eval import auroc, calibration, macro_f1, majority_verdicts, run_model, vote_entropy

OUT = Path(__file__).parent / "results"
DEV, REPORT = tuple(range(1000, 1010)), tuple(range(24))


def draw(seed: int) -> dict:
    """One generated set: votes (codes, annotator ids), model probabilities, gold and the truth."""
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(400, 1500)), int(rng.integers(3, 12))
    theta = np.full((n, k), 0.0)
    top = rng.integers(0, k, n)
    amb = rng.random(n) < rng.uniform(0.1, 0.4)
    clear_share = rng.uniform(0.85, 1.0, n)
    theta[np.arange(n), top] = clear_share
    rest = rng.dirichlet(np.ones(k - 1), n) * (1.0 - clear_share)[:, None]
    for i in range(n):
        theta[i, np.arange(k) != top[i]] = rest[i]
    b = (top + rng.integers(1, k, n)) % k
    q = rng.uniform(0.35, 0.65, n)
    theta[amb] = 0.0
    theta[amb, top[amb]], theta[amb, b[amb]] = q[amb], 1.0 - q[amb]
    m = int(rng.integers(5, 30))
    lo = rng.uniform(0.3, 0.85)
    rel = rng.uniform(lo, min(lo + 0.3, 1.0), m)
    confusion = rng.dirichlet(np.ones(k) * 0.5, (m, k))
    votes = int(rng.choice([1, 2, 3, 3, 5, 5]))
    codes, who = np.full((n, votes), -1), np.full((n, votes), -1)
    for i in range(n):
        people = rng.choice(m, votes, replace=False)
        for j, a in enumerate(people):
            meant = rng.choice(k, p=theta[i])
            codes[i, j] = meant if rng.random() < rel[a] else rng.choice(k, p=confusion[a, meant])
            who[i, j] = a
    true = theta.argmax(1)
    gold = np.where(amb, [rng.choice(k, p=t) for t in theta], true)
    flip = ~amb & (rng.random(n) < rng.uniform(0.03, 0.15))
    gold[flip] = (true[flip] + rng.integers(1, k, flip.sum())) % k
    # the model learned from the gold labels: it sees the item's distribution and, a little, its gold
    seen = 0.8 * theta + 0.2 * np.eye(k)[gold]
    logits = rng.uniform(1.0, 3.0) * np.log(seen + 0.01) + rng.uniform(1.0, 3.0) * rng.normal(size=(n, k))
    probs = np.exp(logits - logits.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    truth = np.where(theta.max(1) < 0.7, "ambiguous", np.where(gold != true, "wrong_gold", "model_mistake")).astype(object)
    return {"codes": codes, "who": who, "probs": probs, "gold": gold, "truth": truth, "theta": theta, "votes": votes}


def reliability_weights(codes, who) -> np.ndarray:
    """Each vote's relative annotator reliability, from agreement with the others' majority (as the library does)."""
    import polars as pl

    from diagnose.votes import annotator_accuracy, relative_reliability

    rows = [(str(i), str(a), str(c)) for i in range(len(codes)) for a, c in zip(who[i], codes[i]) if c >= 0]
    ann = pl.DataFrame(rows, schema={"id": pl.Utf8, "annotator": pl.Utf8, "label": pl.Utf8}, orient="row")
    rel = relative_reliability(annotator_accuracy(ann), codes.max() + 1)
    return np.where(codes >= 0, np.vectorize(lambda a: rel.get(str(a), 1.0))(who), 0.0)


def evaluate(seed: int, **kw) -> dict:
    """All figures on one draw."""
    d = draw(seed)
    rel = reliability_weights(d["codes"], d["who"])
    post, verdict, stated, spread = run_model(d["probs"], d["codes"], rel, d["gold"], seed=seed, who=d["who"], **kw)
    none = np.full((len(d["gold"]), 1), -1)
    _, model_only, _, _ = run_model(d["probs"], none, np.zeros(none.shape), d["gold"], seed=seed, spread=spread, **kw)
    e = np.flatnonzero(d["probs"].argmax(1) != d["gold"])
    t = d["truth"][e]
    k = d["probs"].shape[1]
    hit = verdict[e] == t
    return {"seed": seed, "votes": d["votes"], "errors": int(len(e)), "alpha": spread[0], "reliability": spread[1], "share": spread[2],
            "macro_f1": macro_f1(verdict[e], t), "model_only_f1": macro_f1(model_only[e], t),
            "majority_f1": macro_f1(majority_verdicts(d["codes"], d["gold"], k)[e], t),
            "auroc": auroc(post["ambiguity"][e], t == "ambiguous"),
            "vote_entropy_auroc": auroc(vote_entropy(d["codes"], k)[e], t == "ambiguous"),
            "stated_minus_measured": float(np.mean(stated[e]) - np.mean(hit)),
            "ambiguity_gap": float(np.mean(np.abs(post["ambiguity"][e] - (1.0 - d["theta"][e].max(1))))),
            "calibration": calibration(stated[e], hit)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", choices=("dev", "report"), default="report")
    ap.add_argument("--floor", type=float, default=0.6)
    ap.add_argument("--noise", choices=("one_coin", "confusion"), default=None, help="default: the library's")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    start, results = time.time(), []
    for seed in DEV if args.seeds == "dev" else REPORT:
        results.append(evaluate(seed, floor=args.floor, **({"noise": args.noise} if args.noise else {})))
        print(json.dumps({key: v for key, v in results[-1].items() if key != "calibration"}), flush=True)
    if not args.no_write:
        from benchmarks._disagreement_report import render_family

        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        meta = {"seeds": args.seeds, "floor": args.floor, "noise": args.noise or "library default", "commit": commit, "seconds": round(time.time() - start, 1),
                "load": os.getloadavg()[0]}
        (OUT / f"disagreement_family_{args.seeds}.md").write_text(render_family(results, meta))


if __name__ == "__main__":
    main()
