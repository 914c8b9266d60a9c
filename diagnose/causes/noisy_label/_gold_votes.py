"""The reference of the gold_votes line: votes replayed with the gold label right.

Private helper of :mod:`diagnose.causes.noisy_label.analyzer`. A gold label is right on an
item in two ways: the item is clear and people name the gold, or people genuinely split
between the gold and another class (annotator inconsistency, not a wrong gold). Replaying
only the first makes every split look like a rejected gold: three of four votes for the
other class are rare when the gold is simply right, and common when the item is split.
The replay therefore draws each item as split with the set's estimated share of split items
among errors.
"""
from __future__ import annotations

import numpy as np

from diagnose.votes import VoteTable


def split_share(post: dict | None, rows: np.ndarray, fallback: float = 0.0) -> float:
    """Estimated share of split (ambiguous) items among ``rows``: the mean posterior
    ``p_ambiguous`` of the ambiguity model (:func:`diagnose.votes.eval_posterior`) over the rows
    with votes, or ``fallback`` without a posterior.

    Examples
    --------
    >>> post = {"p_ambiguous": np.array([0.9, 0.1, np.nan]), "n_votes": np.array([3, 3, 0])}
    >>> round(split_share(post, np.array([0, 1, 2])), 2)
    0.5
    """
    if post is None or "p_ambiguous" not in post or not len(rows):
        return fallback
    values = np.asarray(post["p_ambiguous"], dtype=float)[rows]
    voted = np.asarray(post.get("n_votes", np.ones(len(values))))[rows] > 0
    values = values[voted & np.isfinite(values)]
    return float(values.mean()) if len(values) else fallback


def follow_chance(table: VoteTable, post: dict | None) -> np.ndarray:
    """Per vote (rows x votes, NaN where none): the chance that the voter names the class they mean.

    With the ambiguity posterior, its fitted pooled reliability times each annotator's relative
    reliability: the same model that estimated the split share, so that split items are not
    counted twice (once in the share, once in accuracies lowered by agreeing less on them).
    Without it, each annotator's agreement with the others (``table.accuracy``).
    """
    if post is None or not {"codes", "rel", "spread"} <= set(post) or post["codes"].shape[0] != table.n.shape[0]:
        return table.accuracy
    chance = np.clip(float(post["spread"][1]) * np.asarray(post["rel"], dtype=float), 0.0, 1.0)
    return np.where(np.asarray(post["codes"]) >= 0, chance, np.nan)


def replay_gold_right(table: VoteTable, rows: np.ndarray, share: float, seed: int, reps: int = 20,
                      alpha: float = 2.0, follow: np.ndarray | None = None) -> np.ndarray:
    """``share_against`` on the rows' voters replayed ``reps`` times with the gold right.

    Each replayed item is split with probability ``share``: its people name the gold with a
    share ``theta ~ Beta(alpha, alpha)`` and one other class otherwise; else it is clear and
    they name the gold. Each voter follows the item with chance ``follow`` (default: their
    accuracy, ``table.accuracy``) and otherwise names one of the other ``k - 1`` classes at
    random (the one-coin noise of :func:`diagnose.votes.simulate`, which this equals at
    ``share = 0``).

    Examples
    --------
    >>> t = VoteTable([[("a", "x"), ("b", "y"), ("c", "y")]], {"a": 0.9, "b": 0.9, "c": 0.9}, 5)
    >>> clear = replay_gold_right(t, np.array([0]), 0.0, seed=0, reps=200)
    >>> split = replay_gold_right(t, np.array([0]), 1.0, seed=0, reps=200)
    >>> bool((split > 0.5).mean() > (clear > 0.5).mean())
    True
    """
    rng = np.random.default_rng(seed)
    acc = np.repeat((table.accuracy if follow is None else follow)[rows], reps, axis=0)
    n = np.repeat((~np.isnan(acc[::reps])).sum(axis=1) if len(acc) else np.zeros(0, dtype=int), reps)
    present = ~np.isnan(acc)
    split = rng.random(len(acc)) < share
    theta = np.where(split, rng.beta(alpha, alpha, size=len(acc)), 1.0)
    follows = (rng.random(acc.shape) < np.nan_to_num(acc)) & present
    names_gold = follows & (rng.random(acc.shape) < theta[:, None])  # theta = 1 on a clear item
    # noise goes to a class other than the one meant: on a split item meaning the other class,
    # it lands on the gold with probability 1 / (k - 1)
    noise_gold = (~follows & present) & split[:, None] & (rng.random(acc.shape) < 1.0 / (table.k - 1))
    n_gold = (names_gold | noise_gold).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        against = 1.0 - n_gold / n
    out = np.where(against > 0.5, against, 0.0)
    return out[n > 0]
