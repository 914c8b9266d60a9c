"""Annotator disagreement between the two classes an error confuses (gold vs prediction)."""
from __future__ import annotations

from collections import Counter

import numpy as np
import polars as pl

from diagnose.analyzers.base import Prepared


def train_vote_shares(data: Prepared, ann: pl.DataFrame | None) -> dict[int, dict[str, float]]:
    """Per training row (by row number) with at least two votes: the share of votes per label."""
    if ann is None or data.train is None:
        return {}
    rows = {key: n for n, key in enumerate(data.train.get_column("id").to_list())}
    votes: dict[int, Counter] = {}
    for key, label in ann.filter(pl.col("split") == "train").select("id", "label").iter_rows():
        votes.setdefault(rows[key], Counter())[label] += 1
    return {r: {lab: c / sum(v.values()) for lab, c in v.items()} for r, v in votes.items() if sum(v.values()) >= 2}


def _split(shares: dict[str, float], gold: str, pred: str) -> float:
    """1 when some annotators chose ``gold`` and others ``pred`` for the same row, else 0."""
    return float(shares.get(gold, 0.0) > 0 and shares.get(pred, 0.0) > 0)


def pair_scores(data: Prepared, item_votes: dict, train_shares: dict, *, k: int, dup: float):
    """Score each error by disagreement between its gold and predicted labels.

    Combines (noisy-OR) the split of the item's own votes, the similarity-weighted
    split among its annotated training neighbours, and near-duplicate training rows
    (similarity ≥ ``dup``) labelled with the prediction. Rows that are not errors
    get NaN (the caller decides).
    """
    n = data.eval.height
    out, texts = np.full(n, np.nan), [None] * n
    gold = data.eval.get_column("label").to_list()
    pred = data.eval.get_column("prediction").to_list()
    ids = data.eval.get_column("id").to_list()
    for i in range(n):
        g, p = gold[i], pred[i]
        if g is None or p is None or g == p:
            continue
        parts, notes = [], []
        votes = item_votes.get(ids[i]) or []
        if len(votes) >= 2:
            labels = [lab for _, lab in votes]
            parts.append(_split({lab: c / len(labels) for lab, c in Counter(labels).items()}, g, p))
            notes.append(f"its own annotators gave gold {g!r} {labels.count(g)} and predicted {p!r} {labels.count(p)} of {len(labels)} votes")
        near, note = _neighbour_split(data, train_shares, i, g, p, k)
        if near is None:
            near, note = _duplicate_split(data, i, g, p, k, dup)
        if near is not None:
            parts.append(near)
            notes.append(note)
        dup_score, dup_note = _near_duplicates(data, i, g, p, dup)
        if dup_score:
            parts.append(dup_score)
            notes.append(dup_note)
        out[i] = 1.0 - float(np.prod([1.0 - s for s in parts])) if parts else 0.0
        texts[i] = "; ".join(notes) if out[i] > 0 else None
    return out, texts


def _neighbour_split(data: Prepared, shares: dict, i: int, g: str, p: str, k: int):
    if data.eval_neighbors is None or not shares:
        return None, ""
    idx = data.eval_neighbors.indices[i, :k]
    sims = np.clip(data.eval_neighbors.similarities[i, :k], 1e-6, None)
    known = [(j, s) for j, s in zip(idx, sims) if int(j) in shares]
    if not known:
        return None, ""
    splits = np.array([_split(shares[int(j)], g, p) for j, _ in known])
    weights = np.array([s for _, s in known])
    score = float((splits * weights).sum() / weights.sum())
    n_split = int((splits > 0).sum())
    return score, f"{n_split} of its {len(known)} annotated nearest training rows have annotators split between {g!r} and {p!r}"


def _duplicate_split(data: Prepared, i: int, g: str, p: str, k: int, dup: float):
    """Without annotations: share of nearest training rows whose near-duplicate group
    (training rows with similarity ≥ ``dup``) carries both the gold and the predicted label."""
    if data.eval_neighbors is None or data.train_neighbors is None or data.train is None:
        return None, ""
    labels = data.train.get_column("label")
    idx = data.eval_neighbors.indices[i, :k]
    sims = np.clip(data.eval_neighbors.similarities[i, :k], 1e-6, None)
    splits = []
    for j in idx:
        group = {labels[int(j)]} | {labels[int(m)] for m, s in zip(data.train_neighbors.indices[j], data.train_neighbors.similarities[j]) if s >= dup}
        splits.append(float({g, p} <= group))
    splits = np.array(splits)
    if not splits.any():
        return 0.0, ""
    score = float((splits * sims).sum() / sims.sum())
    return score, f"{int(splits.sum())} of its {len(idx)} nearest training rows have near-duplicates labelled both {g!r} and {p!r}"


def _near_duplicates(data: Prepared, i: int, g: str, p: str, dup: float):
    """Near-duplicate training rows of the item that carry both the gold and the predicted label."""
    if data.eval_neighbors is None or data.train is None:
        return 0.0, ""
    idx = data.eval_neighbors.indices[i]
    sims = data.eval_neighbors.similarities[i]
    labels = data.train.get_column("label")
    close = [(int(j), float(s), labels[int(j)]) for j, s in zip(idx, sims) if s >= dup]
    if not ({g, p} <= {lab for _, _, lab in close}):
        return 0.0, ""
    train_ids = data.train.get_column("id")
    shown = ", ".join(f"{train_ids[j]} [{lab}] (sim {s:.2f})" for j, s, lab in close if lab in (g, p))
    return min(s for _, s, lab in close if lab in (g, p)), f"near-duplicate training rows carry both labels: {shown}"
