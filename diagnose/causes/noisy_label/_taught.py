"""The taught line of noisy_label: mislabelled training rows next to an error carry its prediction.

Private helper of :mod:`diagnose.causes.noisy_label.analyzer`. The evidence: an error's nearest
training rows that carry the predicted label and that confident learning flags (suggesting the
gold). Its stated precision asks how many training rows of the predicted class that look like the
gold class are mislabelled, and reads that from a comparison both sides allow: one predictor, the
vote of the training neighbours not flagged (each row without itself), applied to training rows
and to eval rows. A class that simply overlaps another crosses as often in training as among the
eval gold labels; flipped training labels cross only in training. Correct eval rows cannot serve
as the reference: the mislabelled rows sit next to correct rows of the gold class too.

Examples
--------
>>> import numpy as np
>>> train = np.array([[60, 20], [0, 40]])   # label 0: 20 of 80 training rows vote 1
>>> evals = np.array([[39, 1], [0, 20]])     # gold 0: 1 of 40 eval rows votes 1
>>> round(float(excess_precision(train, evals)[0, 1]), 2)   # 1 - 0.057 (upper bound) / 0.212 (lower bound)
0.73
"""
from __future__ import annotations

import numpy as np
import polars as pl

from diagnose.core import Neighbors, Prepared

#: one-sided level of the bounds: the eval rate at its upper and the training rate at its lower bound
LEVEL = 0.8


def neighbour_vote(neighbors: Neighbors, labels: np.ndarray, k: int, n_classes: int,
                   voters: np.ndarray | None = None, chunk: int = 16_384) -> np.ndarray:
    """Per query row, the class its ``k`` nearest training rows vote for (similarity-weighted;
    only rows where ``voters`` is True vote; -1 where no vote has weight)."""
    out = np.full(len(neighbors.indices), -1, dtype=np.int64)
    for start in range(0, len(out), chunk):  # in chunks: rows x classes at a time
        idx = neighbors.indices[start:start + chunk, :k]
        sims = np.clip(neighbors.similarities[start:start + chunk, :k], 0.0, None).astype(np.float64)
        if voters is not None:
            sims = np.where(voters[idx], sims, 0.0)
        n = len(idx)
        flat = (np.arange(n)[:, None] * n_classes + labels[idx]).ravel()
        votes = np.bincount(flat, weights=sims.ravel(), minlength=n * n_classes).reshape(n, n_classes)
        out[start:start + n] = np.where(votes.max(axis=1) > 0, votes.argmax(axis=1), -1)
    return out


def crossings(labels: np.ndarray, voted: np.ndarray, n_classes: int) -> np.ndarray:
    """``counts[label, voted]`` over rows with a label (>= 0) and a vote."""
    keep = (labels >= 0) & (voted >= 0)
    flat = labels[keep] * n_classes + voted[keep]
    return np.bincount(flat, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def excess_precision(train: np.ndarray, evals: np.ndarray, level: float = LEVEL) -> np.ndarray:
    """``q[label, voted]``: the share of training rows labelled ``label`` whose neighbours vote
    ``voted`` that the eval gold labels' own crossing rate does not explain,
    ``1 - eval rate (upper bound) / training rate (lower bound)``, Jeffreys bounds at ``level``
    (0 on the diagonal, where a class has no eval gold, and where the eval rate is as high)."""
    from scipy.stats import beta

    n_tr = train.sum(axis=1, keepdims=True).astype(float)
    n_ev = evals.sum(axis=1, keepdims=True).astype(float)
    low = beta.ppf(1.0 - level, train + 0.5, np.maximum(n_tr - train, 0.0) + 0.5)
    high = beta.ppf(level, evals + 0.5, np.maximum(n_ev - evals, 0.0) + 0.5)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where((n_tr > 0) & (n_ev > 0) & (low > 0), 1.0 - high / low, 0.0)
    q = np.clip(np.nan_to_num(q, nan=0.0), 0.0, 1.0)
    np.fill_diagonal(q, 0.0)
    return q


def opinion_share(data, index: dict, kept: dict) -> np.ndarray:
    """``out[given, true]``: how much of a label flow between two classes can be a labelling mistake
    rather than opinion: ``kept`` per (given, true) pair from the annotators' votes on its training
    rows (see ``_pairs``), and, over all annotated items, 1 / r where annotators cross between the two
    classes r times more often than their error rates explain (one-coin null): they split on the
    pair, so the flow is annotator inconsistency, not noise (1 where no votes tell)."""
    from diagnose.votes import annotator_accuracy, pair_cross_votes

    out = np.ones((len(index), len(index)))
    for (given, true), share in kept.items():
        out[given, true] = share
    if data.annotations is None or not data.annotations.height:
        return out
    ann = data.annotations.select("id", "annotator", "label").cast({"id": str, "annotator": str, "label": str})
    seen, expected = pair_cross_votes(ann, annotator_accuracy(ann), len(index))
    for key, count in seen.items():
        pair = [index[c] for c in key if c in index]
        if len(pair) == 2 and expected.get(key, 0.0) > 0 and count > expected[key]:
            a, b = pair
            out[a, b], out[b, a] = min(out[a, b], expected[key] / count), min(out[b, a], expected[key] / count)
    return out


def taught_evidence(data: Prepared, preds: list, issues: pl.DataFrame, kept: np.ndarray, k: int,
                    show: int) -> tuple[np.ndarray, list[str]]:
    """Per eval row: the noisy-OR of the issue strengths of its ``k`` nearest training rows that carry
    its prediction (``preds``; correct rows: their likeliest confusion) and are flagged suggesting its gold,
    times their share of the neighbours' support for the prediction; and a note naming them.
    ``kept`` discounts each training row's strength where annotators back its given label."""
    strength = np.where(issues.get_column("is_label_issue").to_numpy(), 1.0 - issues.get_column("label_quality").to_numpy(), 0.0)
    strength = strength * kept
    given, suggested = issues.get_column("label").to_list(), issues.get_column("suggested_label").to_list()
    ids = issues.get_column("id").to_list()
    n = data.eval.height
    out, notes = np.full(n, np.nan), [""] * n
    for i, (pred, gold) in enumerate(zip(preds, data.eval.get_column("label").to_list())):
        if pred is None:
            continue
        nbr = data.eval_neighbors.indices[i, :k]
        hits = [j for j in nbr if given[j] == pred and strength[j] > 0 and suggested[j] == (gold or suggested[j])]
        out[i] = 1.0 - np.prod([1.0 - strength[j] for j in hits]) if hits else 0.0
        if hits:  # share of the neighbours' support for the prediction that comes from suspect rows
            sims = dict(zip(nbr, np.clip(data.eval_neighbors.similarities[i, :k], 1e-6, None)))
            out[i] *= sum(sims[j] for j in hits) / sum(sims[j] for j in nbr if given[j] == pred)
            listed = ", ".join(f"{ids[j]} labelled {given[j]!r}, suggested {suggested[j]!r}" for j in hits[:show])
            notes[i] = f"{len(hits)} of {len(nbr)} nearest training rows look mislabelled as the predicted {pred!r}: {listed}"
    return out, notes


def taught_precision(data: Prepared, preds: list, index: dict, train_crossings: np.ndarray, train_codes: np.ndarray,
                     voters: np.ndarray | None, k: int, kept: dict) -> np.ndarray:
    """Per eval row: the share of training rows labelled as its prediction whose neighbours vote for its
    gold beyond the share of eval rows of that class (as gold) whose neighbours vote for it
    (:func:`excess_precision`), times the share of that flow that can be a mistake rather than
    opinion (:func:`opinion_share`); NaN without a gold or prediction among the classes."""
    golds = np.array([index.get(g, -1) if g is not None else -1 for g in data.eval.get_column("label").to_list()])
    voted = neighbour_vote(data.eval_neighbors, train_codes, k, len(index), voters)
    q = excess_precision(train_crossings, crossings(golds, voted, len(index))) * opinion_share(data, index, kept)
    codes = np.array([index.get(p, -1) if p is not None else -1 for p in preds])
    known = (golds >= 0) & (codes >= 0)
    return np.where(known, q[np.maximum(codes, 0), np.maximum(golds, 0)], np.nan)


def with_share(notes: list[str], share: np.ndarray, preds: list, golds: list) -> list[str]:
    """Each taught note with the share of training rows so labelled that its precision rests on.

    Examples
    --------
    >>> with_share(["2 rows look mislabelled"], np.array([0.8]), ["b"], ["a"])[0].split("; ")[1]
    "of the training rows labelled 'b' that look like 'a', an estimated 80% are mislabelled (beyond the eval rows of 'b' that look like 'a')"
    """
    return [f"{note}; of the training rows labelled {p!r} that look like {g!r}, an estimated {100 * q:.0f}% are mislabelled "
            f"(beyond the eval rows of {p!r} that look like {g!r})" if note and np.isfinite(q) else note
            for note, q, p, g in zip(notes, share, preds, golds)]
