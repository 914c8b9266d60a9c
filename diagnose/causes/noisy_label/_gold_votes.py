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

from diagnose.votes import VoteTable, split_probability, spread_fitted


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


#: votes on rows the model gets right needed to read the reliability there instead
MIN_ANCHOR_VOTES = 20


def pooled_reliability(post: dict) -> float:
    """The ambiguity model's pooled reliability; when too few items carry two votes to fit it (its
    default then stands), at most the share of votes naming the gold on rows the model gets right,
    where the gold is almost always right (each vote weighed by its annotator's relative reliability).

    Single votes cannot show how often people err; a default that trusts them too much makes a lone
    vote against the gold look like a wrong gold. The anchor only ever lowers the default.

    Examples
    --------
    >>> codes = np.array([[0], [1], [1], [0]] * 10)
    >>> post = {"codes": codes, "rel": np.ones((40, 1)), "spread": (2.0, 0.9, 0.1), "gold": np.zeros(40, int),
    ...         "prior": np.tile([0.8, 0.2], (40, 1))}
    >>> pooled_reliability(post)
    0.5
    """
    fitted = float(post["spread"][1])
    codes = np.asarray(post["codes"])
    if spread_fitted(codes) or "prior" not in post or "gold" not in post:
        return fitted
    gold, prior = np.asarray(post["gold"]), np.asarray(post["prior"], dtype=float)
    right = (gold >= 0) & (prior.argmax(axis=1) == gold) & (np.ptp(prior, axis=1) > 0)
    votes, rel = codes[right], np.asarray(post["rel"], dtype=float)[right]
    cast = votes >= 0
    if cast.sum() < MIN_ANCHOR_VOTES:
        return fitted
    named = (votes == gold[right][:, None]) & cast
    return float(min(fitted, named.sum() / rel[cast].sum()))
