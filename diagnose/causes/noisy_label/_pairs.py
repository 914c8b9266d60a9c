"""Class-pair evidence of noisy_label: how often training labels of one class were given as another.

Private helper of :mod:`diagnose.causes.noisy_label.analyzer`. A flip runs one way; two classes
that simply overlap are confused both ways. The pair rates come from cleanlab's calibrated
confident joint ``joint[given, true]``.
"""
from __future__ import annotations

import numpy as np
import polars as pl

from diagnose.causes.noisy_label._row_evidence import _rejected
from diagnose.core import Prepared


def _rate_lower_bound(joint: np.ndarray, level: float = 0.1) -> np.ndarray:
    """Lower ``level`` (Jeffreys) bound of each pair rate of :func:`_pair_noise`, read as
    ``joint[given, true]`` rows out of the true class's estimated size: a rate resting on a
    handful of rows of a rare class (5 of 15: 0.33) is weak evidence (bound 0.18), one on
    hundreds is not."""
    from scipy.stats import beta

    size = joint.sum(axis=0, keepdims=True).astype(float)
    low = beta.ppf(level, joint + 0.5, np.maximum(size - joint, 0.0) + 0.5)
    low = np.where(size > 0, low, 0.0)
    np.fill_diagonal(low, 0.0)
    return low


def _shortfall(data: Prepared, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Per class: how far its share of the training labels falls short of its share of the eval
    gold labels, ``1 - train share / eval share`` (0 where it does not, or without eval gold), over
    the classes that have training rows.

    Flips out of a class leave it rarer among the training labels than among the eval gold
    labels drawn from the same distribution; a class that is simply rare is rare in both.
    Shares are smoothed by half a row per class (Jeffreys).
    """
    index = {c: i for i, c in enumerate(data.classes)}
    seen = np.bincount(labels, minlength=n_classes)[:n_classes] > 0  # classes without training rows are coverage gaps
    gold = np.asarray([index[g] for g in data.eval.get_column("label").to_list() if g is not None and g in index], dtype=np.int64)
    gold = gold[seen[gold]] if len(gold) else gold
    if not len(gold):
        return np.zeros(n_classes)
    k = int(seen.sum())
    train = (np.bincount(labels, minlength=n_classes)[:n_classes] + 0.5) / (len(labels) + 0.5 * k)
    evals = (np.bincount(gold, minlength=n_classes)[:n_classes] + 0.5) / (len(gold) + 0.5 * k)
    return np.where(seen, np.clip(1.0 - train / evals, 0.0, 1.0), 0.0)


def _reverse_rate(joint: np.ndarray, shortfall: np.ndarray, rate: np.ndarray, low: np.ndarray) -> np.ndarray:
    """``out[given, true]``: how often the pair is confused the other way, the baseline a one-way
    flip ``true -> given`` must exceed.

    Two overlapping classes are confused about as many times each way, whatever their sizes: the
    confident joint's count the other way, ``joint[true, given]``, as a share of the true class
    (:func:`_pair_noise`'s denominator). But a proxy fitted on flipped labels learns the flip and
    confuses the pair both ways too. Where the true class's training share falls short of its
    eval share (``shortfall``, the mark flips out of it leave), that part of the flip rate (its
    lower bound ``low``, as the evidence reads it) is measured against the other way's own rate
    ``rate[true, given]`` instead.

    Examples
    --------
    >>> joint = np.array([[900, 40], [40, 60]])  # symmetric confusion, class 1 is rare
    >>> rate = joint / joint.sum(axis=0, keepdims=True)
    >>> _reverse_rate(joint, np.zeros(2), rate, rate).round(2).tolist()  # rare in eval too: by counts
    [[0.0, 0.4], [0.04, 0.0]]
    >>> _reverse_rate(joint, np.array([0.0, 1.0]), rate, rate).round(2).tolist()  # rarer in training
    [[0.0, 0.04], [0.04, 0.0]]
    """
    size = np.maximum(joint.sum(axis=0, keepdims=True), 1).astype(float)
    by_count = joint.T / size
    backed = np.clip(shortfall[None, :] / np.maximum(low, 1e-12), 0.0, 1.0)  # [given, true]: true's shortfall
    out = backed * rate.T + (1.0 - backed) * by_count
    np.fill_diagonal(out, 0.0)
    return out


def _pair_noise(joint: np.ndarray, data: Prepared, support: dict, index: dict, suggested: np.ndarray | None = None):
    """Per (given, true) class pair: estimated share of true-class rows given the other label
    (cleanlab's calibrated confident ``joint``, normalised per true class), and how much annotators back the
    given label on annotated training rows of that pair: rows labelled ``given`` on which some
    annotator chose ``true`` (mean share of votes for the given label, at least two such rows).
    A pair whose given label annotators reject is a labelling error; one they back about as often
    as the other label is a matter of opinion (annotator inconsistency), not noise."""
    rate = joint / np.maximum(joint.sum(axis=0, keepdims=True), 1)
    np.fill_diagonal(rate, 0.0)
    kept = _single_vote_kept(data, index, suggested)
    if not support:
        return rate, {}, kept
    ann = data.annotations.select(pl.col("id").cast(pl.Utf8), pl.col("label").cast(pl.Utf8)).unique()
    given = data.train.select(pl.col("id").cast(pl.Utf8), pl.col("label").cast(pl.Utf8).alias("given"))
    rows = pl.DataFrame({"id": list(support), "share": list(support.values())}, schema={"id": pl.Utf8, "share": pl.Float64})
    pairs = (ann.join(rows, on="id").join(given, on="id").filter(pl.col("label") != pl.col("given"))
             .filter(pl.col("label").is_in(list(index)) & pl.col("given").is_in(list(index)))
             .group_by("given", "label").agg(pl.len().alias("n"), pl.col("share").mean()).filter(pl.col("n") >= 2))
    multi = {(index[g], index[t]): float(v) for g, t, _, v in pairs.iter_rows()}
    return rate, multi, {**kept, **{key: float(_rejected(v)) for key, v in multi.items()}}


def _single_vote_kept(data: Prepared, index: dict, suggested: np.ndarray | None, slip: float = 0.2,
                      source: float = 0.98) -> dict:
    """Per (given, true) class pair, from votes on training rows with any number of votes: the
    posterior that the pair's label flow is a labelling mistake rather than opinion.

    One vote per item cannot show a split within an item, but across a pair's rows it can. Over the
    rows labelled ``given`` whose suggested label (``suggested``, one per training row) is ``true``,
    count the votes naming either class: under opinion (one reading of an
    ambiguous item each) a vote names the given label half the time; under a mistake, at most ``slip``
    of the time (annotator slips, and rows flagged in error; 0.2, chosen on development draws 204 and
    208 of ``python -m benchmarks.family``); even prior odds. Votes that agree with the given label on
    at least ``source`` of those rows are the labels' own source and tell nothing: then none."""
    if data.annotations is None or not data.annotations.height or data.train is None or suggested is None:
        return {}
    given = data.train.get_column("label").cast(pl.Utf8)
    rows = np.flatnonzero(np.asarray(suggested, dtype=object) != given.to_numpy())  # only rows that look like another class
    train = pl.DataFrame({"id": data.train.get_column("id").cast(pl.Utf8).gather(rows), "given": given.gather(rows),
                          "called": pl.Series(np.asarray(suggested, dtype=object)[rows].tolist(), dtype=pl.Utf8)})
    votes = data.annotations.select(pl.col("id").cast(pl.Utf8), pl.col("label").cast(pl.Utf8)).join(train, on="id")
    if not votes.height or (votes.get_column("label") == votes.get_column("given")).mean() >= source:
        return {}
    either = votes.filter((pl.col("label") == pl.col("given")) | (pl.col("label") == pl.col("called")))
    pairs = either.group_by("given", "called").agg(pl.len().alias("n"), (pl.col("label") == pl.col("given")).sum().alias("k"))
    out = {}
    for g, t, n, k in pairs.iter_rows():
        if g in index and t in index:
            mistake = slip ** k * (1.0 - slip) ** (n - k)
            out[(index[g], index[t])] = float(mistake / (mistake + 0.5 ** n))
    return out


def _error_excess(golds: list, preds: list, suspect: np.ndarray) -> dict[tuple[str, str], float]:
    """Per (gold, prediction) class pair among the eval errors: the share of its errors beyond those
    the other way, ``1 - (back + 1) * size ratio / (count + 1)``.

    A one-way flip of training labels from A to B teaches the model to call A rows B; two classes
    of about the same size that simply overlap are confused about as often each way. Between
    classes of unequal size the errors run one way by themselves (towards the larger class, and the
    rarer one is seldom predicted at all), so ``back + 1`` is scaled up by the ratio of the two
    classes' eval sizes. Rows whose own gold label looks wrong (``suspect``) are left out: a
    flipped gold makes an error the other way.

    Examples
    --------
    >>> golds = ["a"] * 10 + ["b"] * 10
    >>> preds = ["b"] * 7 + ["a"] * 3 + ["b"] * 9 + ["a"]
    >>> ex = _error_excess(golds, preds, np.zeros(20, bool))
    >>> round(ex[("a", "b")], 2), round(ex[("b", "a")], 2)
    (0.75, 0.0)
    """
    counts: dict[tuple[str, str], int] = {}
    size: dict[str, int] = {}
    for g, p, bad in zip(golds, preds, suspect):
        if g is None:
            continue
        size[g] = size.get(g, 0) + 1
        if p is not None and g != p and not bad:
            counts[(g, p)] = counts.get((g, p), 0) + 1
    out = {}
    for (a, b), c in counts.items():
        back = counts.get((b, a), 0)
        ratio = max(size[a], size.get(b, 0)) / max(min(size[a], size.get(b, 0)), 1)
        out[(a, b)] = max(0.0, 1.0 - (back + 1.0) * ratio / (c + 1.0))
    return out
