"""The reference of the gold_votes line: votes replayed with the gold label right.

Private helper of :mod:`diagnose.causes.noisy_label.analyzer`. A gold label is right on an
item in two ways: the item is clear and people name the gold, or people genuinely split
between the gold and another class (annotator inconsistency, not a wrong gold). Replaying
only the first makes every split look like a rejected gold: three of four votes for the
other class are rare when the gold is simply right, and common when the item is split.
The replay (:func:`diagnose.votes.simulate` with ``share``) therefore draws each item as
split with the set's estimated share of split items among errors, estimated here.
"""
from __future__ import annotations

import numpy as np

from diagnose._vote_anchor import pooled_reliability
from diagnose.votes import VoteTable, split_probability


def split_share(post: dict | None, rows: np.ndarray, fallback: float = 0.0) -> float:
    """Estimated share of split (ambiguous) items among ``rows``: the mean posterior ``p_ambiguous``
    of the ambiguity model (:func:`diagnose.votes.eval_posterior`) over the rows with votes, each
    row's at most what its own vote pattern allows under the annotators' clear/split mixture
    (:func:`diagnose.votes.split_probability`, rows with 3 votes or more: three reliable votes for
    one class make a split unlikely, whatever the model's doubt); ``fallback`` without a posterior.

    Examples
    --------
    >>> post = {"p_ambiguous": np.array([0.9, 0.1, np.nan]), "n_votes": np.array([3, 3, 0])}
    >>> round(split_share(post, np.array([0, 1, 2])), 2)
    0.5
    """
    if post is None or "p_ambiguous" not in post or not len(rows):
        return fallback
    values = np.asarray(post["p_ambiguous"], dtype=float)[rows]
    mixture = np.asarray(post.get("vote_mixture", (np.nan, np.nan)), dtype=float)
    if "codes" in post and np.isfinite(mixture).all():  # items with 3+ votes: capped by their vote patterns
        split = split_probability(np.asarray(post["codes"])[rows], len(post["classes"]), tuple(mixture))
        values = np.where(np.isfinite(split), np.fmin(split, values), values)
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
    chance = np.clip(pooled_reliability(post) * np.asarray(post["rel"], dtype=float), 0.0, 1.0)
    return np.where(np.asarray(post["codes"]) >= 0, chance, np.nan)


