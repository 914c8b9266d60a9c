"""Benchmark: ambiguous item / wrong gold / model mistake on Snow et al. (2008) RTE, among the model's errors.

Data (benchmarks only, never copied into the repository): ``data_dir()/snow2008_rte_temp``
(800 RTE-1 premise / hypothesis pairs, 10 MTurk votes per item by 164 identified
workers, the expert gold label), loaded by :func:`benchmarks.annotators_rte.load`.

Model: :func:`benchmarks.annotators_rte.text_probs` (TF-IDF word 1-2 grams of premise ||
hypothesis + 3 premise / hypothesis overlap features, logistic regression), scored
out-of-fold by seeded 5-fold cross-validation over the 800 items and trained on the
gold labels of the other folds, so every item has a prediction and ``prob_0`` / ``prob_1``.

Per half, vote-sampling seed and k: each item keeps k of its 10 votes (seeded, with
their worker ids), and ``diagnose.run(eval=the half's items, train=None,
annotations=those votes)`` reads each error from ``result.examples``
(``annotator_inconsistency_reading``, ``_p_wrong_gold``, ``_ambiguity``, ...). No
training table is given: the votes path needs none (coverage_gap is then skipped).
Truth per error from all 10 votes: ``ambiguous`` when the top share is below 0.7;
else ``wrong_gold`` when the 10-vote majority differs from gold; else ``model_mistake``.

The items are split in two seeded halves, ``dev`` and ``report``. One default of the
library was chosen on ``dev`` (``diagnose.votes.RELIABILITY_PRIOR``); ``report`` is only
measured. Run
``python -m benchmarks.disagreement_rte --half report``; it writes
``benchmarks/results/disagreement_rte_<half>.{md,json}``.
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
SPLIT_SEED = 20260316
BELOW = 0.7
COL = "annotator_inconsistency_"


def load() -> dict:
    """Votes, item texts, gold (0/1 per item, in ``texts`` order) and the out-of-fold text-model probabilities."""
    from benchmarks.annotators_rte import load as load_rte
    from benchmarks.annotators_rte import text_probs

    ann, texts = load_rte()
    ids = texts["id"].to_list()
    gold_of = dict(ann.group_by("id").agg(pl.col("gold").first()).iter_rows())
    gold = np.array([int(gold_of[i]) for i in ids])
    pos = {k: i for i, k in enumerate(ids)}
    counts = np.zeros((len(ids), 2))
    np.add.at(counts, (np.array([pos[i] for i in ann["id"]]), ann["label"].cast(pl.Int64).to_numpy()), 1.0)
    return {"ann": ann, "texts": texts, "ids": ids, "gold": gold, "counts": counts, "probs": text_probs(texts, gold)}


def half(n: int, which: str) -> np.ndarray:
    """The seeded half of the items: ``dev`` or ``report``."""
    order = np.random.default_rng(SPLIT_SEED).permutation(n)
    return np.sort(order[: n // 2] if which == "dev" else order[n // 2:])


def sample_votes(ann: pl.DataFrame, ids: list[str], k: int, seed: int) -> pl.DataFrame:
    """k of each item's votes (id, annotator, label), drawn without replacement by ``seed``."""
    rng = np.random.default_rng(seed)
    own = ann.filter(pl.col("id").is_in(ids)).sort("id", "annotator")
    return (own.with_columns(pl.Series("_r", rng.random(own.height)))
            .with_columns(pl.col("_r").rank("ordinal").over("id").alias("_k"))
            .filter(pl.col("_k") <= k).sort("id", "_k").select("id", "annotator", "label"))


def code_matrices(votes: pl.DataFrame, ids: list[str], k: int) -> tuple[np.ndarray, np.ndarray]:
    """Class codes per item: by vote position (n x k, anonymous) and by worker (n x workers, -1 = no vote)."""
    pos = {key: i for i, key in enumerate(ids)}
    workers = {w: j for j, w in enumerate(sorted(set(votes["annotator"].to_list())))}
    anon = np.full((len(ids), max(k, 1)), -1, dtype=np.int64)
    wide = np.full((len(ids), len(workers)), -1, dtype=np.int64)
    fill = np.zeros(len(ids), dtype=np.int64)
    for item, who, label in votes.iter_rows():
        i = pos[item]
        anon[i, fill[i]] = wide[i, workers[who]] = int(label)
        fill[i] += 1
    return anon, wide


def truth(counts: np.ndarray, gold: np.ndarray, below: float = BELOW) -> dict[str, np.ndarray]:
    """Per item from all its votes: top share, ambiguous flag, the three-way verdict, share disagreeing.

    Examples
    --------
    >>> t = truth(np.array([[5.0, 5.0], [8.0, 2.0], [1.0, 9.0], [3.0, 7.0]]), np.array([0, 0, 0, 1]))
    >>> t["verdict"].tolist()
    ['ambiguous', 'model_mistake', 'wrong_gold', 'model_mistake']
    """
    share = counts / counts.sum(1, keepdims=True)
    amb = share.max(1) < below
    wrong = ~amb & (share.argmax(1) != gold)
    verdict = np.where(amb, "ambiguous", np.where(wrong, "wrong_gold", "model_mistake")).astype(object)
    return {"share": share, "ambiguous": amb, "verdict": verdict, "disagree": 1.0 - share.max(1)}


def run_library(d: dict, rows: np.ndarray, votes: pl.DataFrame, seed: int) -> pl.DataFrame:
    """``diagnose.run`` on the half's items with the sampled votes; examples in ``rows`` order."""
    import diagnose

    texts = d["texts"][rows.tolist()]
    ev = pl.DataFrame({"id": [d["ids"][i] for i in rows], "text": texts["text"] + " || " + texts["hypothesis"],
                       "label": [str(g) for g in d["gold"][rows]],
                       "prob_0": d["probs"][rows, 0], "prob_1": d["probs"][rows, 1]})
    res = diagnose.run(ev, None, votes, seed=seed, config=diagnose.RunConfig(progress=False))
    return ev.select("id").join(res.examples, on="id", how="left", maintain_order="left")


def _num(ex: pl.DataFrame, name: str) -> np.ndarray:
    return ex.get_column(COL + name).cast(pl.Float64).fill_null(np.nan).to_numpy()


def _pr(flag: np.ndarray, hit: np.ndarray) -> dict:
    """Precision and recall of a yes/no flag, with the flag count."""
    tp = int((flag & hit).sum())
    return {"precision": tp / flag.sum() if flag.any() else float("nan"),
            "recall": tp / hit.sum() if hit.any() else float("nan"), "flagged": int(flag.sum())}


def _library_fit() -> dict:
    """The fitted spread and vote weights of the posterior ``diagnose.run`` just used (read from its cache)."""
    from diagnose import votes as library_votes

    post = getattr(library_votes, "_LAST", {}).get("post")
    if post is None:
        return {"spread_library": None, "low_weight_votes": None}
    w = post["rel"][post["codes"] >= 0]
    return {"spread_library": [float(x) for x in post["spread"]], "low_weight_votes": float(np.mean(w < 0.5))}


def _readings(ex: pl.DataFrame) -> dict[str, np.ndarray]:
    """The library's per-row ambiguity and per-error reading, from ``result.examples``."""
    return {"ambiguity": _num(ex, "ambiguity"), "low": _num(ex, "ambiguity_low"), "high": _num(ex, "ambiguity_high"),
            "p_ambiguous": _num(ex, "p_ambiguous"), "p_wrong_gold": _num(ex, "p_wrong_gold"),
            "stated": _num(ex, "reading_precision"),
            "reading": np.array(ex[COL + "reading"].fill_null("none").to_list(), dtype=object),
            "noisy_label": np.array(["noisy_label" in (c or []) for c in ex["causes"].to_list()])}


def evaluate(d: dict, rows: np.ndarray, k: int, seed: int) -> dict:
    """All figures on one half, k sampled votes, one sampling seed."""
    ids = [d["ids"][i] for i in rows]
    probs, gold, t = d["probs"][rows], d["gold"][rows], truth(d["counts"][rows], d["gold"][rows])
    votes = sample_votes(d["ann"], ids, k, seed)
    anon, wide = code_matrices(votes, ids, k)
    ex = run_library(d, rows, votes, seed)
    err = ex["is_error"].fill_null(False).to_numpy()
    e, ours, fit = np.flatnonzero(err), _readings(ex), _library_fit()
    post_a, verdict_a, _, spread = run_model(probs, anon, (anon >= 0).astype(float), gold, seed=seed)
    none = np.full((len(rows), 1), -1, dtype=np.int64)
    _, model_only, _, _ = run_model(probs, none, np.zeros_like(none, float), gold, seed=seed, spread=spread)
    crowd = crowd_baselines(wide, 2, probs)
    res = {"k": k, "seed": seed, "errors": int(len(e)), "n_ambiguous": int(t["ambiguous"][e].sum()),
           "n_wrong_gold": int((t["verdict"][e] == "wrong_gold").sum()), "spread_anonymous": list(spread),
           "model_accuracy": float(1.0 - err.mean()), "crowdlab": crowd.get("crowdlab_error", "ran"), **fit}
    res.update(_ambiguity_figures(ours, post_a, anon, probs, crowd, t, e))
    res.update(_wrong_gold_figures(ours, post_a, anon, probs, crowd, gold, t, e))
    res["macro_f1"] = {"ours": macro_f1(ours["reading"][e], t["verdict"][e]),
                       "ours_anonymous": macro_f1(verdict_a[e], t["verdict"][e]),
                       "model_only": macro_f1(model_only[e], t["verdict"][e]),
                       "majority_rule": macro_f1(majority_verdicts(anon, gold, 2)[e], t["verdict"][e])}
    res["readings"] = {v: int((ours["reading"][e] == v).sum()) for v in ("ambiguous", "wrong_gold", "model_mistake")}
    res["precision_calibration"] = calibration(ours["stated"][e], ours["reading"][e] == t["verdict"][e])
    res["ambiguity_reliability"] = calibration(ours["ambiguity"][e], t["disagree"][e])
    res.update(_accuracy_split(ours["p_ambiguous"], err, t["ambiguous"]))
    return res


def _accuracy_split(p_ambiguous: np.ndarray, err: np.ndarray, ambiguous: np.ndarray) -> dict:
    """Model accuracy where people agree / disagree: by P(ambiguous) < 0.5 and by the 10 votes."""
    agreed = p_ambiguous < 0.5
    return {"accuracy_agreed": float(np.mean(~err[agreed])) if agreed.any() else None,
            "accuracy_disagreed": float(np.mean(~err[~agreed])) if (~agreed).any() else None,
            "accuracy_agreed_10": float(np.mean(~err[~ambiguous])), "accuracy_disagreed_10": float(np.mean(~err[ambiguous]))}


def _ambiguity_figures(ours, post_a, anon, probs, crowd, t, e) -> dict:
    """Ambiguity AUROC (ours, baselines) and the stated vs 10-vote share of disagreement."""
    amb_t = t["ambiguous"][e]
    out = {"auroc": {"ours": auroc(ours["ambiguity"][e], amb_t), "ours_anonymous": auroc(post_a["ambiguity"][e], amb_t),
                     "vote_entropy": auroc(vote_entropy(anon, 2)[e], amb_t),
                     "model_entropy": auroc(model_entropy(probs)[e], amb_t),
                     "dawid_skene": auroc(1.0 - crowd["ds_posterior"][e].max(1), amb_t)}}
    if "crowdlab_quality" in crowd:
        out["auroc"]["crowdlab"] = auroc(1.0 - crowd["crowdlab_quality"][e], amb_t)
    gap = ours["ambiguity"][e] - t["disagree"][e]
    out["ambiguity_gap"] = float(np.nanmean(np.abs(gap)))
    out["ambiguity_bias"] = float(np.nanmean(gap))
    out["ambiguity_gap_anonymous"] = float(np.mean(np.abs(post_a["ambiguity"][e] - t["disagree"][e])))
    out["p_ambiguous_max"] = float(np.nanmax(ours["p_ambiguous"][e]))
    out["ambiguity_mean"] = {"ambiguous_10": float(np.nanmean(ours["ambiguity"][e][amb_t])),
                             "clear_10": float(np.nanmean(ours["ambiguity"][e][~amb_t]))}
    out["interval_cover"] = float(np.mean((ours["low"][e] <= t["disagree"][e]) & (t["disagree"][e] <= ours["high"][e])))
    return out


def _wrong_gold_figures(ours, post_a, anon, probs, crowd, gold, t, e) -> dict:
    """Wrong gold: precision / recall of the readings, and recall at precision >= 0.7 / AUROC of the scores."""
    wg = t["verdict"][e] == "wrong_gold"
    ge = gold[e]
    scores = {"ours": ours["p_wrong_gold"][e], "ours_anonymous": post_a["p_wrong_gold"][e],
              "vote_share_against": 1.0 - vote_counts(anon, 2)[e, ge] / np.clip((anon[e] >= 0).sum(1), 1, None),
              "model_1_minus_p_gold": 1.0 - probs[e, ge], "dawid_skene": 1.0 - crowd["ds_posterior"][e, ge]}
    if "crowdlab_quality" in crowd:
        scores["crowdlab"] = np.where(crowd["crowdlab_label"][e] != ge, crowd["crowdlab_quality"][e], 0.0)
    flags = {"ours_reading": ours["reading"][e] == "wrong_gold",
             "majority_rule": majority_verdicts(anon, gold, 2)[e] == "wrong_gold", "noisy_label_cause": ours["noisy_label"][e]}
    return {"wrong_gold": {b: recall_at(s, wg) for b, s in scores.items()},
            "wrong_gold_auroc": {b: auroc(s, wg) for b, s in scores.items()},
            "wrong_gold_flags": {b: _pr(f, wg) for b, f in flags.items()}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--half", choices=("dev", "report"), default="report")
    ap.add_argument("--ks", default=",".join(map(str, KS)))
    ap.add_argument("--seeds", default=",".join(map(str, SEEDS)))
    ap.add_argument("--noise", choices=("one_coin", "confusion"), default=None, help="default: the library's")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    if args.noise:
        from diagnose import votes as library_votes

        library_votes.NOISE = args.noise
    start = time.time()
    d = load()
    rows = half(len(d["ids"]), args.half)
    results = []
    for k in [int(x) for x in args.ks.split(",")]:
        for seed in [int(x) for x in args.seeds.split(",")]:
            results.append(evaluate(d, rows, k, seed))
            print(json.dumps({key: results[-1][key] for key in ("k", "seed", "readings", "auroc", "wrong_gold_flags",
                                                                "macro_f1", "ambiguity_gap")}, default=str), flush=True)
    if not args.no_write:
        from benchmarks._disagreement_rte_report import render_rte

        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        meta = {"half": args.half, "commit": commit, "seconds": round(time.time() - start, 1), "load": os.getloadavg()[0], "noise": args.noise or "library default",
                "items": int(len(rows)), "model_accuracy_all": float(np.mean(d["probs"].argmax(1) == d["gold"]))}
        (OUT / f"disagreement_rte_{args.half}.md").write_text(render_rte(results, meta))
        (OUT / f"disagreement_rte_{args.half}.json").write_text(json.dumps({"meta": meta, "results": results}, indent=1,
                                                                           default=str))


if __name__ == "__main__":
    main()
