"""Quality-Spearman helpers and the simulation ceiling for :mod:`benchmarks.annotators_rte`.

Labels are redrawn from each worker's confusion matrix vs gold (same items and
workers as a subsample); an oracle that knows every matrix scores each worker by
the exact posterior probability of their own labels, which bounds the Spearman
any estimate of annotator quality can reach on such labels.
"""
from __future__ import annotations

import numpy as np
import polars as pl
from scipy.stats import spearmanr

from diagnose.causes.annotator_inconsistency._crowd import consensus, posterior_accuracy

SUBSAMPLES = (10, 5, 3)
SEEDS = (0, 1, 2, 3, 4)
MIN_LABELS = 10  # annotators with fewer labels (after subsampling) are left out of Spearman
QUALITY_TARGET = 0.8
SIM_REPEATS = 4  # simulated label sets per subsample (oracle ceiling: x5)
FIXED = {"prior_strength": 1.0}  # the previous default: pooled prior, 1 pseudo-label per row


def em_only(item, annotator, label, n_items, n_ann, **settings):
    """The analyzer's EM kernels without a model vote: consensus and posterior-accuracy quality."""
    post, _, _ = consensus(item, annotator, label, (n_items, n_ann, 2), **settings)
    return post.argmax(1), posterior_accuracy(post, item, annotator, label, n_ann)


def true_confusion(ann: pl.DataFrame) -> dict[str, np.ndarray]:
    """Each worker's 2x2 confusion (gold x label) over the whole release, add-one smoothed."""
    out = {}
    for (who,), rows in ann.group_by("annotator"):
        conf = np.ones((2, 2))
        np.add.at(conf, (rows["gold"].cast(pl.Int64).to_numpy(),
                         rows["label"].cast(pl.Int64).to_numpy()), 1.0)
        out[who] = conf / conf.sum(1, keepdims=True)
    return out


def rho(quality, hits, annotator, n_ann) -> float:
    """Spearman of quality vs accuracy on the labels given, over annotators with enough labels."""
    n_lab = np.bincount(annotator, minlength=n_ann)
    acc = np.bincount(annotator, hits.astype(float), n_ann) / np.maximum(n_lab, 1)
    keep = n_lab >= MIN_LABELS
    return float(spearmanr(quality[keep], acc[keep])[0])


def oracle_quality(item, annotator, label, conf, gold) -> np.ndarray:
    """Posterior probability of each worker's own labels when every confusion matrix is known."""
    n_items, n_ann = len(gold), len(conf)
    log_post = np.tile(np.log(np.bincount(gold, minlength=2) / n_items), (n_items, 1))
    for c in range(2):
        log_post[:, c] += np.bincount(item, np.log(conf[annotator, c, label]), n_items)
    post = np.exp(log_post - log_post.max(1, keepdims=True))
    post /= post.sum(1, keepdims=True)
    return posterior_accuracy(post, item, annotator, label, n_ann)


def simulate(item, annotator, label, conf, gold, seed) -> dict[str, float]:
    """Quality Spearman on labels redrawn from each worker's true confusion (same design).

    ``oracle`` knows every confusion matrix and the class balance and scores each
    worker by the exact posterior probability of their own labels, the best
    estimate of their accuracy on these labels, so its Spearman is the ceiling.
    ``oracle_real`` is the same oracle on the real ``label`` of the subsample.
    """
    rng, n_items, n_ann = np.random.default_rng(seed), len(gold), len(conf)
    out = {"oracle": [], "ours": [], "fixed": []}
    for rep in range(SIM_REPEATS * 5):
        drawn = (rng.random(len(item)) < conf[annotator, gold[item], 1]).astype(int)
        hits = drawn == gold[item]
        out["oracle"].append(rho(oracle_quality(item, annotator, drawn, conf, gold),
                                 hits, annotator, n_ann))
        if rep < SIM_REPEATS:
            for name, settings in (("ours", {}), ("fixed", FIXED)):
                q = em_only(item, annotator, drawn, n_items, n_ann, **settings)[1]
                out[name].append(rho(q, hits, annotator, n_ann))
    out = {k: float(np.mean(v)) for k, v in out.items()}
    out["oracle_real"] = rho(oracle_quality(item, annotator, label, conf, gold),
                             label == gold[item], annotator, n_ann)
    return out
