"""Votes that cross between two classes across all annotated items, against annotator noise.

Private helper of :mod:`diagnose.votes` (re-exported there as ``pair_cross_votes``).
"""
from __future__ import annotations

import numpy as np

__all__ = ["pair_cross_votes"]


def pair_cross_votes(annotations, accuracy: dict, n_classes: int, noise: tuple | None = None) -> tuple[dict, dict]:
    """Votes that cross between two classes across all annotated items, observed and expected.

    Every two votes on the same item that name different classes cross between them;
    each crossing counts ``1 / (n - 1)`` on an item of ``n`` votes, so every vote carries
    one unit however many voted (an item split 1-1 counts as much as one split 3-2, and
    ties count). Under the one-coin null, an annotator of accuracy ``a`` names the item's
    class with probability ``a`` and otherwise one of the other ``k - 1`` at random, the
    item's class drawn from its own vote shares (one pseudo-vote spread over the classes).
    Returns two dicts keyed by the unordered pair ``frozenset({c, d})``: observed
    crossings and their expectation. With ``noise`` = ``(annotator index, class index,
    noise rows)`` (:func:`diagnose.votes.noise_rows`) the null is class-conditional
    (:func:`_majority_crossings`).

    Examples
    --------
    >>> import polars as pl
    >>> ann = pl.DataFrame({"id": ["i"] * 3 + ["j"] * 3, "annotator": ["a", "b", "c"] * 2,
    ...                     "label": ["x", "x", "y", "x", "x", "x"]})
    >>> seen, expected = pair_cross_votes(ann, {"a": 0.9, "b": 0.9, "c": 0.9}, 3)
    >>> seen[frozenset({"x", "y"})], round(float(expected[frozenset({"x", "y"})]), 2)
    (1.0, 0.25)
    """
    if noise is not None:
        return _majority_crossings(annotations, accuracy, n_classes, noise)
    from collections import defaultdict

    k = max(n_classes, 2)
    by_item, mean = _by_item(annotations), _mean_accuracy(accuracy)
    classes = sorted({label for votes in by_item.values() for _, label in votes})
    index = {c: n for n, c in enumerate(classes)}
    seen: dict = defaultdict(float)
    base, lean = 0.0, np.zeros(len(classes))  # expected[c, d] = base + lean[c] + lean[d]
    for votes in by_item.values():
        n = len(votes)
        if n < 2:
            continue
        share = np.full(len(classes), 1.0 / k / (n + 1))
        for _, label in votes:
            share[index[label]] += 1.0 / (n + 1)
        acc = [mean if accuracy.get(w) is None else float(accuracy[w]) for w, _ in votes]
        for u in range(n):
            for v in range(u + 1, n):
                if votes[u][1] != votes[v][1]:
                    seen[frozenset((votes[u][1], votes[v][1]))] += 1.0 / (n - 1)
                one = (acc[u] * (1.0 - acc[v]) + acc[v] * (1.0 - acc[u])) / (k - 1) / (n - 1)
                two = 2.0 * (1.0 - acc[u]) * (1.0 - acc[v]) / (k - 1) ** 2 / (n - 1)
                base += two
                lean += share * (one - two)
    expected = {frozenset((c, d)): base + lean[i] + lean[j] for i, c in enumerate(classes) for j, d in
                enumerate(classes) if i < j}
    return dict(seen), expected


def _majority_crossings(annotations, accuracy: dict, n_classes: int, noise: tuple) -> tuple[dict, dict]:
    """Crossings from each item's clear majority to its other votes, with a class-conditional null."""
    from collections import Counter, defaultdict

    k = max(n_classes, 2)
    by_item, mean = _by_item(annotations), _mean_accuracy(accuracy)
    volume: dict = defaultdict(float)  # per majority class: expected crossings to any one other class
    seen: dict = defaultdict(int)
    spent: dict = defaultdict(float)  # per (annotator, majority class): expected errors
    for votes in by_item.values():
        (top, count), *rest = Counter(label for _, label in votes).most_common()
        if len(votes) < 2 or (rest and rest[0][1] == count):
            continue
        for who, label in votes:
            a = accuracy.get(who)
            volume[top] += (1.0 - (mean if a is None else a)) / (k - 1)
            spent[(who, top)] += 1.0 - (mean if a is None else a)
            if label != top:
                seen[frozenset((top, label))] += 1
    classes = sorted({label for votes in by_item.values() for _, label in votes})
    expected = {frozenset((c, d)): volume[c] + volume[d] for i, c in enumerate(classes) for d in classes[i + 1:]}
    expected.update(_class_crossings(spent, noise))
    return dict(seen), expected


def _by_item(annotations) -> dict:
    """Each item's votes as ``(annotator, label)`` pairs, in table order."""
    from collections import defaultdict

    by_item: dict = defaultdict(list)
    for item, who, label in annotations.select("id", "annotator", "label").iter_rows():
        by_item[item].append((who, label))
    return by_item


def _mean_accuracy(accuracy: dict) -> float:
    """The mean of the known annotator accuracies (0.8 when none is known)."""
    known = [v for v in accuracy.values() if v is not None]
    return float(np.mean(known)) if known else 0.8


def _class_crossings(spent: dict, noise: tuple) -> dict:
    """Expected crossings per class pair when each annotator's errors follow their noise rows."""
    people, index, rows = noise
    off = rows * (1.0 - np.eye(rows.shape[1]))
    off = off / np.clip(off.sum(2, keepdims=True), 1e-12, None)
    flow = np.zeros(rows.shape[1:])
    for (who, top), miss in spent.items():
        if top in index:
            flow[index[top]] += miss * off[people.get(who, -1), index[top]]
    names = list(index)
    return {frozenset((c, d)): flow[i, j] + flow[j, i] for i, c in enumerate(names) for j, d in enumerate(names) if i < j}
