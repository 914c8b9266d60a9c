"""Per-row evidence helpers of noisy_label: annotator support, suggestion strength, the shown gold score.

Private helper of :mod:`diagnose.causes.noisy_label.analyzer`.
"""
from __future__ import annotations

import numpy as np
import polars as pl

from diagnose.causes.noisy_label._label_rank import centre_margin
from diagnose.core import Prepared


def _suggestion_strength(data: Prepared, labels: np.ndarray, flagged: np.ndarray, probs: np.ndarray,
                         choice: np.ndarray) -> dict[str, pl.Series]:
    """How sure each suggested relabel is: the table columns ``suggested_label_prob``,
    ``centre_margin`` and ``relabel_supported``.

    ``suggested_label_prob`` is the blended probability of the suggested label.
    ``centre_margin`` (flagged rows, needs ``train_embeddings``; see
    :func:`~diagnose.causes.noisy_label._label_rank.centre_margin`) is how much closer the
    row lies to the suggested class's rows than to its own class's; a suggestion
    is supported when that margin is positive. Without embeddings both are null.
    """
    n = len(labels)
    prob = probs[np.arange(n), choice].astype(float)
    margin = np.full(n, np.nan)
    if data.train_embeddings is not None and flagged.any():
        margin = centre_margin(data.train_embeddings, labels, choice, probs.shape[1])
        margin[~flagged] = np.nan
    supported = [None if np.isnan(m) else bool(m > 0) for m in margin]
    return {"suggested_label_prob": pl.Series(prob, dtype=pl.Float64),
            "centre_margin": pl.Series(margin, dtype=pl.Float64).fill_nan(None),
            "relabel_supported": pl.Series(supported, dtype=pl.Boolean)}


def _shown_gold(p_gold: float, share_pred, share_gold, votes) -> float:
    """The wrong-gold strength shown in ``score_noisy_label``: (1 − p(gold)), raised when the
    neighbours side with the prediction, lowered when annotators back the gold. It is a reading
    aid; the verdict rests on the calibrated lines of :meth:`NoisyLabel.parts`."""
    against = [v for v in (share_pred, None if share_gold is None else 1.0 - share_gold) if v is not None]
    value = (1.0 - p_gold) * (0.5 + 0.5 * max(against) if against else 1.0)
    return value * (float(_rejected(votes)) if votes is not None else 1.0)


def _annotator_support(data: Prepared) -> dict[str, float]:
    """Share of each training row's annotators (≥ 2) who chose its given label."""
    if data.annotations is None or data.train is None:
        return {}
    ann = data.annotations.join(data.train.select("id", pl.col("label").alias("given")), on="id")
    agg = ann.group_by("id").agg(pl.len().alias("n"), (pl.col("label") == pl.col("given")).mean().alias("share"))
    agg = agg.filter(pl.col("n") >= 2)
    return dict(zip(agg.get_column("id").to_list(), agg.get_column("share").to_list()))


def _item_vote_share(data: Prepared, pred: list) -> dict[int, float]:
    """Share of each eval row's annotators who chose the label ``pred[row]``."""
    if data.annotations is None:
        return {}
    pos = {i: n for n, i in enumerate(data.eval.get_column("id").to_list())}
    out: dict[int, list[int]] = {}
    for item, label in data.annotations.select("id", "label").iter_rows():
        n = pos.get(item)
        if n is not None and pred[n] is not None:
            out.setdefault(n, []).append(int(label == pred[n]))
    return {n: float(np.mean(v)) for n, v in out.items()}


def _rejected(support):
    """How consistently annotators reject a label they back with share ``support``.

    A wrong label is one annotators reject; a label some of them back is a matter of
    opinion (annotator inconsistency). The chance that two annotators both reject it,
    ``(1 - support) ** 2``, keeps the first and discounts the second: support 0.05 keeps
    0.90 of the evidence, an even split keeps 0.25.
    """
    return (1.0 - np.asarray(support, dtype=float)) ** 2


def confident_off_diagonal(data: Prepared, gold: list, class_index: dict) -> np.ndarray:
    """Confident learning on the eval set itself: cleanlab's per-class thresholds flag rows whose
    probability for another class reaches that class's mean self-confidence (and whose count fits
    the estimated noise), using the probabilities the model gave the eval rows."""
    codes = np.array([class_index.get(g, -1) if g is not None else -1 for g in gold])
    known = codes >= 0
    out = np.zeros(len(gold), dtype=bool)
    if known.sum() < 2 * len(class_index) or len(np.unique(codes[known])) < 2:
        return out
    present = np.unique(codes[known])
    probs = data.eval_probs[known][:, present]
    probs = probs / np.clip(probs.sum(axis=1, keepdims=True), 1e-12, None)
    remap = np.searchsorted(present, codes[known])
    from cleanlab.filter import find_label_issues

    out[np.flatnonzero(known)] = find_label_issues(remap, probs, n_jobs=1)
    return out


def neighbour_share(data: Prepared, pred: list, k: int) -> list[float | None]:
    """Similarity-weighted share of each eval row's ``k`` nearest training rows labelled ``pred``."""
    if data.eval_neighbors is None or data.train is None:
        return [None] * len(pred)
    labels = np.asarray(data.train.get_column("label").to_list(), dtype=object)
    idx = data.eval_neighbors.indices[:, : k]
    sims = np.clip(data.eval_neighbors.similarities[:, : k], 1e-6, None)
    match = labels[idx] == np.asarray(pred, dtype=object)[:, None]
    share = (match * sims).sum(axis=1) / sims.sum(axis=1)
    return [None if p is None else float(s) for p, s in zip(pred, share)]
