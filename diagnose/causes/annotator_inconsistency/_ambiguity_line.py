"""The ambiguity posterior of eval rows turned into columns, evidence and a line of evidence.

Private helper of the analyzer. :func:`diagnose.votes.eval_posterior` gives every eval
row with votes its expected share of people who would disagree (with an 80% interval)
and, for an error, the posterior of its three readings: ambiguous item, wrong gold,
model mistake. The cause's line of evidence is the posterior that people split on the item at
all (``p_spread``: the spread component of the model, however evenly they split), calibrated
against the same errors' voters replayed on a clear item (:func:`diagnose.votes.replay_clear`).
P(ambiguous), that the split is wide (under 70% name the top class), is what the *reading*
reports; with 3-5 votes it rarely passes 0.5 even on an even split, so capping the verdict's
stated precision there (as before) left errors on split items unexplained.
"""
from __future__ import annotations

import numpy as np
import polars as pl

from diagnose.core import ScorePart
from diagnose.votes import _noise_rows_of, replay_clear, replay_reliability, verdicts

_PREFIX = "annotator_inconsistency_"
READING = {"ambiguous": "ambiguous item", "wrong_gold": "wrong gold label", "model_mistake": "model mistake"}


def error_mask(data) -> np.ndarray:
    """Rows whose gold and prediction are known and differ."""
    if "is_error" not in data.eval.columns:
        return np.zeros(data.eval.height, dtype=bool)
    return np.array([e is True for e in data.eval.get_column("is_error").to_list()], dtype=bool)


def columns(data, post: dict | None) -> dict[str, pl.Series]:
    """Extra per-row columns: ambiguity (mean, 80% interval), votes, and the reading of errors."""
    if post is None:
        return {}
    has = post["n_votes"] > 0
    err = error_mask(data) & has
    verdict, stated = verdicts(post)
    clip = lambda v: pl.Series(np.where(has, np.round(v, 4), np.nan)).fill_nan(None)  # noqa: E731
    return {
        f"{_PREFIX}n_votes": pl.Series(post["n_votes"].astype(np.int64)),
        f"{_PREFIX}ambiguity": clip(post["ambiguity"]),
        f"{_PREFIX}ambiguity_low": clip(post["ambiguity_low"]),
        f"{_PREFIX}ambiguity_high": clip(post["ambiguity_high"]),
        f"{_PREFIX}p_ambiguous": clip(post["p_ambiguous"]),
        f"{_PREFIX}reading": pl.Series([str(v) if e else None for v, e in zip(verdict, err)], dtype=pl.Utf8),
        f"{_PREFIX}reading_precision": pl.Series(np.where(err, np.round(stated, 4), np.nan)).fill_nan(None),
        f"{_PREFIX}p_wrong_gold": pl.Series(np.where(err, np.round(post["p_wrong_gold"], 4), np.nan)).fill_nan(None),
    }


def evidence(data, post: dict | None) -> list[str | None]:
    """One sentence per row with votes: the ambiguity estimate and, for an error, its reading."""
    out: list[str | None] = [None] * data.eval.height
    if post is None:
        return out
    verdict, stated = verdicts(post)
    err = error_mask(data)
    few = "; 1-2 votes say little, so this leans on the model"
    for i in np.flatnonzero(post["n_votes"] > 0):
        text = (f"about {100 * post['ambiguity'][i]:.0f}% of people would disagree on this item "
                f"(80% interval {100 * post['ambiguity_low'][i]:.0f}-{100 * post['ambiguity_high'][i]:.0f}%, "
                f"{int(post['n_votes'][i])} votes)")
        if err[i]:
            text += f"; reading: {READING[verdict[i]]} (p={stated[i]:.2f})"
            text += few if post["n_votes"][i] <= 2 else ""
        out[i] = text
    return out


def part(data, post: dict | None, reps: int = 5) -> ScorePart | None:
    """P(people split on the item) on errors with votes, against the same voters replayed on a clear item."""
    if post is None:
        return None
    err = error_mask(data) & (post["n_votes"] > 0)
    rows = np.flatnonzero(err)
    scores = np.where(err, post["p_spread"], np.nan)
    if not len(rows):
        return ScorePart("ambiguity", scores, np.zeros(0), "no errors with votes")
    index = {c: n for n, c in enumerate(post["classes"])}
    pred = np.array([index.get(p, -1) for p in data.eval.get_column("prediction").cast(pl.Utf8).to_list()])
    gold = post["gold"]
    true = np.where((post["p_wrong_gold"] > post["p_model_mistake"]) & (pred >= 0), pred, gold)[rows]
    true = np.where(true >= 0, true, 0)
    again = replay_clear(post["prior"][rows], post["codes"][rows], post["rel"][rows], true, gold[rows],
                         spread=post["spread"], mean=post["mean"][rows], odds=post["odds"][rows],
                         noise=_noise_rows_of(post, rows), reps=reps, seed=data.seed,
                         reliability=replay_reliability(data, post))
    return ScorePart("ambiguity", scores, again["p_spread"],
                     "the same errors' voters replayed on a clear item (each names its class at their "
                     "estimated reliability)")
