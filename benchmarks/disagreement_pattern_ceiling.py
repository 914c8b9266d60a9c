"""How far can any reading of k sampled votes rank CIFAR-10H's ambiguous errors? A ceiling.

Among the model's errors (as in :mod:`benchmarks.disagreement_cifar10h`), every error
is keyed by its vote pattern: the sorted vote counts and how many votes name the gold
and the predicted label. The *oracle* scores each error by the share of ambiguous
errors (51-vote top share < 0.7) among the errors of its key, read from the truth
itself, in-sample: no score that sees only the k votes (and which of them name gold and
prediction) can rank better on these rows. It is printed next to vote entropy, so the
room left over vote entropy for any votes-only reading is on the table. Analysis of the
target only; nothing in the library is chosen from it.

Run ``python -m benchmarks.disagreement_pattern_ceiling --half dev``; it prints one line
per k and seed, and a median.
"""
from __future__ import annotations

import argparse
import statistics
from collections import defaultdict

import numpy as np

from benchmarks._disagreement_eval import auroc, vote_counts, vote_entropy
from benchmarks.disagreement_cifar10h import half, load, sample_votes, truth


def ceiling(counts: np.ndarray, gold: np.ndarray, pred: np.ndarray, amb: np.ndarray) -> float:
    """AUROC of the in-sample share of ambiguous errors per vote-pattern key."""
    keys = [(tuple(sorted(c[c > 0].astype(int).tolist(), reverse=True)), int(c[g]), int(c[p]))
            for c, g, p in zip(counts, gold, pred)]
    tally: dict = defaultdict(lambda: [0, 0])
    for key, a in zip(keys, amb):
        tally[key][0] += int(a)
        tally[key][1] += 1
    return auroc(np.array([tally[key][0] / tally[key][1] for key in keys]), amb)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--half", choices=("dev", "report"), default="dev")
    ap.add_argument("--ks", default="3,5")
    ap.add_argument("--seeds", default="0,1,2,3,4")
    args = ap.parse_args()
    d = load()
    rows = half(len(d["given"]), args.half)
    probs, gold = d["probs"][rows], d["given"][rows]
    e = np.flatnonzero(probs.argmax(1) != gold)
    amb = truth(d, rows)["ambiguous"][e]
    for k in [int(x) for x in args.ks.split(",")]:
        gaps = []
        for seed in [int(x) for x in args.seeds.split(",")]:
            codes = sample_votes(d["counts"][rows], k, seed)
            counts = vote_counts(codes, probs.shape[1])[e]
            top, ve = ceiling(counts, gold[e], probs[e].argmax(1), amb), auroc(vote_entropy(codes, probs.shape[1])[e], amb)
            gaps.append(top - ve)
            print(f"half {args.half} k {k} seed {seed}: vote entropy {ve:.3f}, votes-only ceiling {top:.3f} (+{top - ve:.3f})")
        print(f"half {args.half} k {k}: median room over vote entropy +{statistics.median(gaps):.3f}, largest +{max(gaps):.3f}")


if __name__ == "__main__":
    main()
