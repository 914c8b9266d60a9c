"""Benchmark: ambiguous item / wrong gold / model mistake on CIFAR-10H, among the model's errors.

Data (benchmarks only, never copied into the repository): ``data_dir()/cifar10h``
(~51 human votes per CIFAR-10 test image, counts only, no annotator ids) and
``data_dir()/cleanlab_label_errors`` (the cross-validated probabilities of a
CIFAR-10 model, the given test labels and the MTurk-verified label errors), both
in the original CIFAR-10 test order. For each image, k of its ~51 votes are drawn
(without replacement, seeded) as k anonymous annotators; the tool sees those and
the model's probabilities. Errors are images whose model argmax differs from the
given label. Truth per error: ``wrong_gold`` when MTurk verified the given label
as an error; else ``ambiguous`` when the 51-vote top share is below 0.7; else
``model_mistake``. The ambiguity AUROC uses the 51-vote truth alone.

The images are split in two seeded halves: ``dev`` (defaults were chosen there)
and ``report`` (no choice looked at it). Run
``python -m benchmarks.disagreement_cifar10h --half report``; it writes
``benchmarks/results/disagreement_cifar10h_<half>.md``.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from pathlib import Path

import numpy as np
import polars as pl

from benchmarks._data import data_dir
from benchmarks._disagreement_eval import (
    auroc,
    calibration,
    crowd_baselines,
    macro_f1,
    majority_verdicts,
    model_entropy,
    recall_at,
    run_model,
    vote_counts,
    vote_entropy,
)

OUT = Path(__file__).parent / "results"
SEEDS = (0, 1, 2, 3, 4)
KS = (1, 3, 5)


def load() -> dict[str, np.ndarray]:
    """Counts, model probabilities, given labels and the verified label-error mask."""
    base = data_dir()
    lab = base / "cleanlab_label_errors"
    flags = pl.read_csv(lab / "derived_mturk_label_error_flags.csv").filter(
        (pl.col("dataset") == "cifar10") & (pl.col("is_label_error_majority") == 1))
    counts = np.load(base / "cifar10h" / "cifar10h-counts.npy")
    wrong = np.zeros(len(counts), bool)
    wrong[flags["index"].to_numpy()] = True
    return {"counts": counts, "probs": np.load(lab / "cross_validated_predicted_probabilities/cifar10_test_set_pyx.npy"),
            "given": np.load(lab / "original_test_labels/cifar10_test_set_original_labels.npy").astype(np.int64),
            "wrong": wrong}


def half(n: int, which: str) -> np.ndarray:
    """The seeded half of the images: ``dev`` or ``report``."""
    order = np.random.default_rng(20261207).permutation(n)
    return np.sort(order[: n // 2] if which == "dev" else order[n // 2:])


def sample_votes(counts: np.ndarray, k: int, seed: int) -> np.ndarray:
    """k of each image's votes drawn without replacement, as class codes (n x k)."""
    rng = np.random.default_rng(seed)
    out = np.full((len(counts), max(k, 1)), -1, dtype=np.int64)
    for i, row in enumerate(counts):
        pool = np.repeat(np.arange(len(row)), row)
        out[i, :k] = rng.choice(pool, size=min(k, len(pool)), replace=False)[:k] if k else []
    return out


def truth(d: dict, rows: np.ndarray) -> dict[str, np.ndarray]:
    """Per row: 51-vote top share, ambiguous flag and the three-way verdict."""
    share = d["counts"][rows] / d["counts"][rows].sum(1, keepdims=True)
    amb = share.max(1) < 0.7
    verdict = np.where(d["wrong"][rows], "wrong_gold", np.where(amb, "ambiguous", "model_mistake")).astype(object)
    return {"share": share, "ambiguous": amb, "verdict": verdict, "disagree": 1.0 - share.max(1)}


def evaluate(d: dict, rows: np.ndarray, k: int, seed: int, floor: float = 0.6) -> dict:
    """All figures on one half, k sampled votes, one sampling seed."""
    probs, gold = d["probs"][rows], d["given"][rows]
    codes = sample_votes(d["counts"][rows], k, seed)
    rel = (codes >= 0).astype(float)
    t = truth(d, rows)
    err = probs.argmax(1) != gold
    post, verdict, stated, spread = run_model(probs, codes, rel, gold, seed=seed, floor=floor)
    none = np.full((len(rows), 1), -1, dtype=np.int64)
    _, model_only, _, _ = run_model(probs, none, np.zeros_like(none, float), gold, seed=seed, floor=floor, spread=spread)
    e = np.flatnonzero(err)
    kk = probs.shape[1]
    share_against = 1.0 - vote_counts(codes, kk)[e, gold[e]] / max(k, 1)
    crowd = crowd_baselines(codes, kk, probs) if k >= 1 else {}
    res = {"k": k, "seed": seed, "alpha": spread[0], "reliability": spread[1], "share": spread[2], "errors": int(len(e)),
           "n_ambiguous": int(t["ambiguous"][e].sum()), "n_wrong_gold": int(d["wrong"][rows][e].sum())}
    amb_t, wg_t = t["ambiguous"][e], t["verdict"][e] == "wrong_gold"
    res["auroc"] = {"ours": auroc(post["ambiguity"][e], amb_t), "vote_entropy": auroc(vote_entropy(codes, kk)[e], amb_t),
                    "model_entropy": auroc(model_entropy(probs)[e], amb_t)}
    res["wrong_gold"] = {"ours": recall_at(post["p_wrong_gold"][e], wg_t), "vote_share_against": recall_at(share_against, wg_t),
                         "model_1_minus_p_gold": recall_at(1.0 - probs[e, gold[e]], wg_t),
                         "oracle_51_votes": recall_at(1.0 - t["share"][e, gold[e]], wg_t)}
    res["wrong_gold_auroc"] = {"ours": auroc(post["p_wrong_gold"][e], wg_t), "vote_share_against": auroc(share_against, wg_t),
                               "model_1_minus_p_gold": auroc(1.0 - probs[e, gold[e]], wg_t)}
    if "ds_posterior" in crowd:
        ds = crowd["ds_posterior"]
        res["auroc"]["dawid_skene"] = auroc(1.0 - ds[e].max(1), amb_t)
        res["wrong_gold"]["dawid_skene"] = recall_at(1.0 - ds[e, gold[e]], wg_t)
    if "crowdlab_quality" in crowd:
        res["auroc"]["crowdlab"] = auroc(1.0 - crowd["crowdlab_quality"][e], amb_t)
        cl_against = np.where(crowd["crowdlab_label"][e] != gold[e], crowd["crowdlab_quality"][e], 0.0)
        res["wrong_gold"]["crowdlab"] = recall_at(cl_against, wg_t)
    res["macro_f1"] = {"ours": macro_f1(verdict[e], t["verdict"][e]), "model_only": macro_f1(model_only[e], t["verdict"][e]),
                       "majority_rule": macro_f1(majority_verdicts(codes, gold, kk)[e], t["verdict"][e])}
    res["ambiguity_gap"] = float(np.mean(np.abs(post["ambiguity"][e] - t["disagree"][e])))
    res["ambiguity_bias"] = float(np.mean(post["ambiguity"][e] - t["disagree"][e]))
    res["interval_cover"] = float(np.mean((post["ambiguity_low"][e] <= t["disagree"][e]) & (t["disagree"][e] <= post["ambiguity_high"][e])))
    res["precision_calibration"] = calibration(stated[e], verdict[e] == t["verdict"][e])
    res["ambiguity_reliability"] = calibration(post["ambiguity"][e], t["disagree"][e])
    res["accuracy_agreed"] = float(np.mean(~err[post["p_ambiguous"] < 0.5])) if (post["p_ambiguous"] < 0.5).any() else None
    res["accuracy_disagreed"] = float(np.mean(~err[post["p_ambiguous"] >= 0.5])) if (post["p_ambiguous"] >= 0.5).any() else None
    res["accuracy_agreed_51"] = float(np.mean(~err[~t["ambiguous"]]))
    res["accuracy_disagreed_51"] = float(np.mean(~err[t["ambiguous"]]))
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--half", choices=("dev", "report"), default="report")
    ap.add_argument("--floor", type=float, default=0.6)
    ap.add_argument("--ks", default=",".join(map(str, KS)))
    ap.add_argument("--seeds", default=",".join(map(str, SEEDS)))
    ap.add_argument("--noise", choices=("one_coin", "confusion"), default=None, help="default: the library's")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    if args.noise:
        from diagnose import votes as library_votes

        library_votes.NOISE = args.noise
    d = load()
    rows = half(len(d["given"]), args.half)
    start, results = time.time(), []
    for k in [int(x) for x in args.ks.split(",")]:
        for seed in [int(x) for x in args.seeds.split(",")]:
            results.append(evaluate(d, rows, k, seed, args.floor))
            print(json.dumps({key: results[-1][key] for key in ("k", "seed", "alpha", "reliability", "auroc",
                                                                "wrong_gold", "macro_f1", "ambiguity_gap")}, default=str), flush=True)
    if not args.no_write:
        from benchmarks._disagreement_report import render_cifar

        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        meta = {"half": args.half, "floor": args.floor, "commit": commit, "seconds": round(time.time() - start, 1),
                "load": os.getloadavg()[0], "noise": args.noise or "library default"}
        (OUT / f"disagreement_cifar10h_{args.half}.md").write_text(render_cifar(results, meta))
        (OUT / f"disagreement_cifar10h_{args.half}.json").write_text(json.dumps({"meta": meta, "results": results}, indent=1, default=str))


if __name__ == "__main__":
    main()
