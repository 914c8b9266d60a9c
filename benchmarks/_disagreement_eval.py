"""Shared scoring of the disagreement benchmarks: verdict truth vs posterior, and the baselines.

Every figure is computed among the model's errors. ``truth`` holds one of
``ambiguous`` / ``wrong_gold`` / ``model_mistake`` per error.
"""
from __future__ import annotations

import numpy as np
from sklearn.metrics import f1_score, precision_recall_curve, roc_auc_score

from diagnose import votes as library_votes
from diagnose.votes import VERDICTS, ambiguity_posterior, class_noise, fit_spread, smooth_prior, spread_grids, spread_mean, verdicts, vote_mixture_fit_codes

__all__ = ["auroc", "recall_at", "macro_f1", "run_model", "vote_entropy", "model_entropy",
           "majority_verdicts", "calibration", "crowd_baselines"]


def auroc(score, truth) -> float:
    """AUROC of ``score`` for the boolean ``truth`` (NaN when one class is absent)."""
    truth = np.asarray(truth, bool)
    if truth.all() or not truth.any():
        return float("nan")
    return float(roc_auc_score(truth, np.nan_to_num(np.asarray(score, float), nan=0.0)))


def recall_at(score, truth, precision: float = 0.7) -> float:
    """Largest recall of ``truth`` reached at a threshold on ``score`` with precision >= ``precision``."""
    truth = np.asarray(truth, bool)
    if not truth.any():
        return float("nan")
    p, r, _ = precision_recall_curve(truth, np.nan_to_num(np.asarray(score, float), nan=0.0))
    ok = p >= precision
    return float(r[ok].max()) if ok.any() else 0.0


def macro_f1(pred, truth) -> float:
    """Macro F1 over the three verdicts."""
    return float(f1_score(list(truth), list(pred), labels=list(VERDICTS), average="macro", zero_division=0))


def run_model(probs, codes, rel, gold, *, seed: int, floor: float = 0.6, spread=None, who=None, noise=None, **kw):
    """The library's posterior on one set: returns (posterior dict, verdict, stated precision, spread).

    ``who``: each vote's annotator (0..m-1, -1 anonymous; None: all anonymous); ``noise``: the
    library's noise model ("one_coin" or "confusion", default the library's)."""
    prior = smooth_prior(probs, len(gold), probs.shape[1] if probs is not None else codes.max() + 1, floor)
    mean = spread_mean(probs, gold, len(gold), prior.shape[1])
    rows = None
    if (noise or library_votes.NOISE) == "confusion":
        rows = class_noise(codes, np.full(codes.shape, -1) if who is None else who, prior.shape[1])
    spread = spread or fit_spread(prior, codes, rel, mean=mean, noise=rows, seed=seed,  # the grids as the library's
                                  **spread_grids(vote_mixture_fit_codes(codes, prior.shape[1])))
    post = ambiguity_posterior(prior, codes, rel, gold, spread=spread, mean=mean, noise=rows, seed=seed, **kw)
    verdict, stated = verdicts(post)
    return post, verdict, stated, spread


def vote_counts(codes, k: int) -> np.ndarray:
    """Votes per class per item."""
    out = np.zeros((len(codes), k))
    for j in range(codes.shape[1]):
        ok = codes[:, j] >= 0
        np.add.at(out, (np.flatnonzero(ok), codes[ok, j]), 1.0)
    return out


def vote_entropy(codes, k: int) -> np.ndarray:
    """Entropy of each item's vote shares (0 with one vote)."""
    c = vote_counts(codes, k)
    p = c / np.clip(c.sum(1, keepdims=True), 1, None)
    return -(p * np.log(np.where(p > 0, p, 1.0))).sum(1)


def model_entropy(probs) -> np.ndarray:
    """Entropy of the model's probabilities."""
    p = np.clip(probs, 1e-12, 1.0)
    return -(p * np.log(p)).sum(1)


def majority_verdicts(codes, gold, k: int, below: float = 0.7) -> np.ndarray:
    """Votes-only rule: top vote share below ``below`` is ambiguous, else majority vs gold."""
    c = vote_counts(codes, k)
    share = c.max(1) / np.clip(c.sum(1), 1, None)
    top = c.argmax(1)
    out = np.where(top != gold, "wrong_gold", "model_mistake").astype(object)
    out[(share < below) & (c.sum(1) >= 2)] = "ambiguous"
    return out


def calibration(stated, hit, bins: int = 5) -> list[tuple[float, float, int]]:
    """(mean stated, measured share right, count) per equal-count bin of the stated precision."""
    order = np.argsort(stated)
    return [(float(np.mean(stated[b])), float(np.mean(hit[b])), int(len(b)))
            for b in np.array_split(order, bins) if len(b)]


def crowd_baselines(codes, k: int, probs=None) -> dict[str, np.ndarray]:
    """Dawid-Skene posterior (vote position = annotator) and CROWDLAB consensus quality, per item."""
    import warnings

    from diagnose.causes.annotator_inconsistency._crowd import dawid_skene

    n, width = codes.shape
    item, ann = np.nonzero(codes >= 0)
    post, _ = dawid_skene(item, ann, codes[item, ann], (n, width, k))
    out = {"ds_posterior": post}
    if probs is not None and width >= 1:
        import pandas as pd
        from cleanlab.multiannotator import get_label_quality_multiannotator

        frame = pd.DataFrame(np.where(codes >= 0, codes, np.nan).astype(float))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = get_label_quality_multiannotator(frame, probs, verbose=False)
            out["crowdlab_quality"] = res["label_quality"]["consensus_quality_score"].to_numpy()
            out["crowdlab_label"] = res["label_quality"]["consensus_label"].to_numpy()
        except Exception as exc:  # CROWDLAB refuses some layouts (e.g. one vote per item)
            out["crowdlab_error"] = str(exc)
    return out
