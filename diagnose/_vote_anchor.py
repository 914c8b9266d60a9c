"""How far a single vote can be trusted: the ambiguity model's pooled reliability, anchored on the
rows the model gets right (shared by the lines that replay votes as their null)."""
from __future__ import annotations

import numpy as np

from diagnose._ambiguity import spread_fitted

__all__ = ["MIN_ANCHOR_VOTES", "pooled_reliability"]

#: votes on rows the model gets right needed to read the reliability there instead
MIN_ANCHOR_VOTES = 20


def pooled_reliability(post: dict, always: bool = False) -> float:
    """The ambiguity model's pooled reliability; when too few items carry two votes to fit it (its
    default then stands), at most the share of votes naming the gold on rows the model gets right,
    where the gold is almost always right (each vote weighed by its annotator's relative reliability).

    ``always``: the anchor bounds a fitted reliability too (a null that replays votes must not
    trust them more than the rows the model gets right show; with two votes per item the fit can
    read annotator noise as items that spread, and keep the reliability high).

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
    if (spread_fitted(codes) and not always) or "prior" not in post or "gold" not in post:
        return fitted
    gold, prior = np.asarray(post["gold"]), np.asarray(post["prior"], dtype=float)
    right = (gold >= 0) & (prior.argmax(axis=1) == gold) & (np.ptp(prior, axis=1) > 0)
    votes, rel = codes[right], np.asarray(post["rel"], dtype=float)[right]
    cast = votes >= 0
    if cast.sum() < MIN_ANCHOR_VOTES:
        return fitted
    named = (votes == gold[right][:, None]) & cast
    return float(min(fitted, named.sum() / rel[cast].sum()))
