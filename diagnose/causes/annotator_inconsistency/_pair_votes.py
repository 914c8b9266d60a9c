"""Annotator disagreement between the two classes an error confuses (gold vs prediction)."""
from __future__ import annotations

import numpy as np
import polars as pl

from diagnose.core import Prepared

#: Class-pair split rate (share of the rarer class's items whose votes hold both labels)
#: at which the pair counts as fully inconsistent; half of the items split is a coin flip.
PAIR_RATE_FULL = 0.5
#: Items with votes for both labels needed before a class pair's split rate is trusted.
MIN_PAIR_ITEMS = 2


def class_pair_rates(ann: pl.DataFrame | None, weights: dict | None = None) -> dict[tuple[str, str], float]:
    """Per unordered label pair: how often annotators split between the two labels.

    Over items with at least two votes (train and eval), the number of items
    whose votes contain both labels divided by the number of items on which the
    rarer of the two labels leads the vote (ties count for every leader; a label
    that merely collects single annotators' slips does not lead). Pairs split on
    fewer than ``MIN_PAIR_ITEMS`` items are left out (random slips of single
    annotators do not form a pattern), and one shared item is discounted as coincidence.
    An item counts towards a pair with the smaller of the two labels' backing, the
    ``weights`` (reliability, 1 when unknown) of their most reliable voters, so a
    spammer's votes hardly split anything.

    Examples
    --------
    >>> ann = pl.DataFrame({"id": ["1", "1", "2", "2", "3", "3"], "annotator": ["x", "y"] * 3,
    ...                     "label": ["a", "b", "a", "b", "a", "a"]})
    >>> class_pair_rates(ann)
    {('a', 'b'): 0.5}
    """
    if ann is None or ann.height == 0:
        return {}
    multi = ann.group_by("id").agg(pl.len().alias("n")).filter(pl.col("n") >= 2).select("id")
    weight = pl.col("annotator").replace_strict(weights or {}, default=1.0, return_dtype=pl.Float64)
    counts = (ann.join(multi, on="id").with_columns(w=weight).group_by("id", "label")
              .agg(pl.len().alias("votes"), pl.col("w").max()))
    leads = counts.filter(pl.col("votes") == pl.col("votes").max().over("id"))
    n_lead = dict(leads.group_by("label").agg(pl.len()).iter_rows())
    labels = counts.select("id", "label", "w")
    both = (labels.join(labels, on="id", suffix="_b").filter(pl.col("label") < pl.col("label_b"))
            .group_by("label", "label_b").agg(pl.min_horizontal("w", "w_b").sum().alias("len"))
            .filter(pl.col("len") >= MIN_PAIR_ITEMS))
    return {(a, b): min(1.0, (c - 1) / max(min(n_lead.get(a, 0), n_lead.get(b, 0)), c))
            for a, b, c in both.iter_rows()}


def _pair_rate(rates: dict, a: str, b: str) -> float:
    return rates.get((a, b) if a < b else (b, a), 0.0)


def train_vote_backing(data: Prepared, ann: pl.DataFrame | None, weights: dict | None = None) -> dict[int, dict[str, float]]:
    """Per training row (by row number) with at least two votes: each chosen label's backing.

    A label's backing is the largest ``weights`` (reliability, 1 when unknown)
    among the annotators who chose it, so a label only a spammer chose hardly counts.
    """
    if ann is None or data.train is None:
        return {}
    rows = {key: n for n, key in enumerate(data.train.get_column("id").to_list())}
    votes: dict[int, list[tuple[str, str]]] = {}
    for key, who, label in ann.filter(pl.col("split") == "train").select("id", "annotator", "label").iter_rows():
        votes.setdefault(rows[key], []).append((who, label))
    return {r: _backing(v, weights or {}) for r, v in votes.items() if len(v) >= 2}


def _backing(votes: list[tuple[str, str]], weights: dict) -> dict[str, float]:
    """Each chosen label's backing: the largest weight (1 when unknown) among the annotators who chose it."""
    backing: dict[str, float] = {}
    for who, lab in votes:
        backing[lab] = max(backing.get(lab, 0.0), weights.get(who, 1.0))
    return backing


def _split(backing: dict[str, float], gold: str, pred: str) -> float:
    """How firmly some annotators chose ``gold`` and others ``pred`` for the same row (the weaker backing; 0 if either is missing)."""
    return min(backing.get(gold, 0.0), backing.get(pred, 0.0))


def pair_scores(data: Prepared, item_votes: dict, train_shares: dict, *, k: int, dup: float,
                rates: dict | None = None, weights: dict | None = None, pred: list | None = None):
    """Score each error by disagreement between its gold and predicted labels.

    Combines (noisy-OR) the split of the item's own votes (each label backed
    by its most reliable voter, ``weights`` per annotator, 1 when unknown), the
    similarity-weighted split among its annotated training neighbours (each
    split counted with the weaker backing of the two labels; without annotated
    neighbours, neighbours whose near duplicates carry both labels), near-duplicate
    training rows (similarity ≥ ``dup``) of the item carrying both labels (only
    when the item has no votes of its own: near-duplicate labels stand in for
    annotators, and an item's own votes are the direct evidence), how often
    annotators split between the two classes anywhere
    (``rates``, from :func:`class_pair_rates`), and, when no annotator chose
    the gold label, how often annotators split between the labels they did
    choose and the prediction (or, when they chose the prediction, between
    it and the gold). A chosen label that pairs only with the gold shows the
    gold is contested, not why the model predicted a third label, and scores
    nothing. Rows that are not errors get NaN (the caller decides). ``pred``
    replaces the predictions (e.g. each correct row's likeliest confusion).
    """
    rates, weights = rates or {}, weights or {}
    n = data.eval.height
    out, texts = np.full(n, np.nan), [None] * n
    gold = data.eval.get_column("label").to_list()
    pred = data.eval.get_column("prediction").to_list() if pred is None else pred
    ids = data.eval.get_column("id").to_list()
    groups = _DuplicateGroups(data, dup)
    for i in range(n):
        g, p = gold[i], pred[i]
        if g is None or p is None or g == p:
            continue
        votes = item_votes.get(ids[i]) or []
        found = _own_votes(votes, g, p, rates, weights)
        near, note = _neighbour_split(data, train_shares, i, g, p, k)
        if near is None:
            near, note = _duplicate_split(data, groups, i, g, p, k)
        found += [(near, note), _class_split(rates, g, p)]
        if len(votes) < 2:  # near-duplicate labels stand in for annotators only where the item has none
            found.append(_near_duplicates(data, groups, i, g, p, dup))
        found = [(min(1.0, s), t) for s, t in found if s]  # float32 similarity sums can pass 1 by rounding
        out[i] = 1.0 - float(np.prod([1.0 - s for s, _ in found])) if found else 0.0
        texts[i] = "; ".join(t for _, t in found) if out[i] > 0 else None
    return out, texts


def _own_votes(votes: list, g: str, p: str, rates: dict, weights: dict) -> list[tuple[float, str]]:
    """Evidence from the item's own votes: a gold/prediction split, or a confused pair without the gold."""
    if len(votes) < 2:
        return []
    backing = _backing(votes, weights)
    labels = [lab for _, lab in votes]
    if g in backing:
        note = f"its own annotators gave gold {g!r} {labels.count(g)} and predicted {p!r} {labels.count(p)} of {len(labels)} votes"
        return [(min(backing[g], backing.get(p, 0.0)), note)]
    # the chosen label q must pair with the prediction (annotators confuse what they chose with it), or be the
    # prediction itself paired with the gold; a label that pairs only with the gold says nothing about this mistake
    rate, other, side = max(((_pair_rate(rates, side, q) * backing[q], q, side) for q in backing for side in (p, g)
                             if q != side and (side == p or q == p)), default=(0.0, None, None))
    if not rate:
        return []
    what = f"the predicted {p!r}" if side == p else f"the gold {g!r}"
    note = (f"no annotator chose the gold {g!r}; they chose {other!r}, and annotators split between "
            f"{other!r} and {what} on {100 * _pair_rate(rates, side, other):.0f}% of items")
    return [(min(1.0, rate / PAIR_RATE_FULL), note)]


def _class_split(rates: dict, g: str, p: str) -> tuple[float, str]:
    """Annotators split between the gold and the predicted class across the data."""
    rate = _pair_rate(rates, g, p)
    if not rate:
        return 0.0, ""
    return min(1.0, rate / PAIR_RATE_FULL), (f"across all annotated items, annotators split between {g!r} and "
                                             f"{p!r} on {100 * rate:.0f}% of the items that got either label")


def _neighbour_split(data: Prepared, shares: dict, i: int, g: str, p: str, k: int):
    if data.eval_neighbors is None or not shares:
        return None, ""
    idx = data.eval_neighbors.indices[i, :k]
    sims = np.clip(data.eval_neighbors.similarities[i, :k].astype(np.float64), 1e-6, None)
    known = [(j, s) for j, s in zip(idx, sims) if int(j) in shares]
    if not known:
        return None, ""
    splits = np.array([_split(shares[int(j)], g, p) for j, _ in known])
    weights = np.array([s for _, s in known])
    score = float((splits * weights).sum() / weights.sum())
    n_split = int((splits > 0).sum())
    return score, f"{n_split} of its {len(known)} annotated nearest training rows have annotators split between {g!r} and {p!r}"


class _DuplicateGroups:
    """Training labels as a list, and each training row's near-duplicate label group (computed once per row)."""

    def __init__(self, data: Prepared, dup: float) -> None:
        self.labels = None if data.train is None else data.train.get_column("label").to_list()
        self.neighbors, self.dup, self.found = data.train_neighbors, dup, {}

    def of(self, j: int) -> set:
        """Row ``j``'s label and those of its training neighbours with similarity ≥ ``dup``."""
        group = self.found.get(j)
        if group is None:
            close = self.neighbors.indices[j][self.neighbors.similarities[j] >= self.dup].tolist()
            group = self.found[j] = {self.labels[j]} | {self.labels[m] for m in close}
        return group


def _duplicate_split(data: Prepared, groups: _DuplicateGroups, i: int, g: str, p: str, k: int):
    """Without annotations: share of nearest training rows whose near-duplicate group
    (training rows with similarity ≥ ``dup``) carries both the gold and the predicted label."""
    if data.eval_neighbors is None or data.train_neighbors is None or data.train is None:
        return None, ""
    idx = data.eval_neighbors.indices[i, :k]
    sims = np.clip(data.eval_neighbors.similarities[i, :k].astype(np.float64), 1e-6, None)
    splits = np.array([float({g, p} <= groups.of(j)) for j in idx.tolist()])
    if not splits.any():
        return 0.0, ""
    score = float((splits * sims).sum() / sims.sum())
    return score, f"{int(splits.sum())} of its {len(idx)} nearest training rows have near-duplicates labelled both {g!r} and {p!r}"


def _near_duplicates(data: Prepared, groups: _DuplicateGroups, i: int, g: str, p: str, dup: float):
    """Near-duplicate training rows of the item that carry both the gold and the predicted label."""
    if data.eval_neighbors is None or data.train is None:
        return 0.0, ""
    idx = data.eval_neighbors.indices[i]
    sims = data.eval_neighbors.similarities[i]
    close = [(int(j), float(s), groups.labels[int(j)]) for j, s in zip(idx, sims) if s >= dup]
    if not ({g, p} <= {lab for _, _, lab in close}):
        return 0.0, ""
    train_ids = data.train.get_column("id")
    shown = ", ".join(f"{train_ids[j]} [{lab}] (sim {s:.2f})" for j, s, lab in close if lab in (g, p))
    return min(s for _, s, lab in close if lab in (g, p)), f"near-duplicate training rows carry both labels: {shown}"


def split_posterior(votes: list, gold: list, pred: list, ratio: np.ndarray, accuracy: dict, k: int,
                    strength: float = 10.0, rounds: int = 20, pair_noise: dict | None = None,
                    pair_split: dict | None = None) -> np.ndarray:
    """Per error: the posterior that its item is split between its gold and prediction.

    An item split between the two classes has each voter mean either at random (then
    name it at their accuracy ``a``, else one of the other ``k - 1`` classes); a clear
    item has one of the two (either alike). The prior share of split items among the errors
    of a class pair is fitted on those errors' own votes (EM), starting from and shrunk
    towards ``1 - 1/ratio`` (the share of the pair's crossings that the annotators' error
    rates leave unexplained) with ``strength`` pseudo-errors: a pair that splits across the
    set still holds clear items, and an item whose several votes all agree is likelier one
    of them. ``pair_noise`` (:func:`pair_clear_noise`) gives, per class pair, how often a
    voter names the other class of the pair on a clear item where that is likelier than a
    random mistake (annotators who confuse two classes on every item), and ``pair_split`` the
    share of the pair's items split, which bounds the prior from above: crossings the one-coin
    null leaves unexplained may be such confusion. NaN for rows without votes or without a pair
    ratio.

    Examples
    --------
    >>> post = split_posterior([[("x", "a"), ("y", "b")], [("x", "a"), ("y", "a"), ("z", "a"), ("w", "a")]],
    ...                        ["a", "a"], ["b", "b"], np.array([20.0, 20.0]), {}, 10)
    >>> bool(post[0] > 0.9 > post[1])
    True
    """
    known = [float(v) for v in accuracy.values() if v is not None]
    mean = float(np.mean(known)) if known else 0.8
    lr = np.full(len(gold), np.nan)
    for i, (row, g, p) in enumerate(zip(votes, gold, pred)):
        if not row or np.isnan(ratio[i]) or g is None or p is None or g == p:
            continue
        a = np.clip(np.array([mean if accuracy.get(w) is None else float(accuracy[w]) for w, _ in row]), 1.0 / k, 0.999)
        miss = (1.0 - a) / (k - 1)
        cross = np.maximum(miss, (pair_noise or {}).get(frozenset((g, p)), 0.0))  # naming the pair's other class
        on_g = np.array([lab == g for _, lab in row])
        on_p = np.array([lab == p for _, lab in row])
        half = 0.5 * (a + cross)
        split = np.where(on_g | on_p, half, miss)
        clear_g, clear_p = np.where(on_g, a, np.where(on_p, cross, miss)), np.where(on_p, a, np.where(on_g, cross, miss))
        lr[i] = np.exp(np.log(split).sum() - np.logaddexp(np.log(clear_g).sum(), np.log(clear_p).sum()) + np.log(2.0))
    keys = [frozenset((g, p)) if g is not None and p is not None else None for g, p in zip(gold, pred)]
    out = np.full(len(gold), np.nan)
    by_key: dict = {}  # each class pair's rows with a ratio, in row order
    for i in np.flatnonzero(~np.isnan(lr)):
        by_key.setdefault(keys[i], []).append(i)
    for rows in by_key.values():
        rows = np.asarray(rows)
        start = 1.0 - 1.0 / max(ratio[rows][0], 1.0)
        if pair_split is not None and keys[rows[0]] in pair_split:  # no more than the pair's items split
            start = min(start, pair_split[keys[rows[0]]])
        start = float(np.clip(start, 1e-3, 1.0 - 1e-3))
        pi = start
        for _ in range(rounds):
            post = pi * lr[rows] / (pi * lr[rows] + 1.0 - pi)
            pi = float(np.clip((post.sum() + strength * start) / (len(rows) + strength), 1e-3, 1.0 - 1e-3))
        out[rows] = pi * lr[rows] / (pi * lr[rows] + 1.0 - pi)
    return out


def clear_accuracy(quality: dict, post: dict | None, k: int, max_classes: int = 10) -> dict:
    """Each annotator's accuracy on items people do not split on.

    The fitted ``quality`` counts a vote for the other class of a split item as a mistake;
    where the clear/split vote mixture (``post["vote_mixture"]``, :func:`diagnose.votes.vote_mixture_fit`)
    reads the average annotator as more accurate than their mean quality, every error rate is
    scaled down by the same factor. Unchanged without a mixture fit (fewer than three votes per
    item, two classes), when it reads them as no more accurate, and above ``max_classes``
    classes: the mixture spreads a mistaken vote evenly over the other classes, and among many
    classes people who confuse two similar ones on every item (intents) put their mistakes on
    one class far more often than that, which the mixture reads as split items
    (BANKING77 planted scenarios, 77 classes: 16 of 30 verdicts false with it, 0 of 13 without).

    Examples
    --------
    >>> post = {"vote_mixture": np.array([0.9, 0.1])}  # one-coin reliability 0.9 of 5 classes: accuracy 0.92
    >>> out = clear_accuracy({"x": 0.8, "y": 0.7, "z": None}, post, 5)  # mean 0.75: error rates x 0.32
    >>> round(out["x"], 3), round(out["y"], 3), out["z"]
    (0.936, 0.904, None)
    >>> clear_accuracy({"x": 0.8}, post, 77)  # many classes: unchanged
    {'x': 0.8}
    """
    fit = np.asarray((post or {}).get("vote_mixture", (np.nan, np.nan)), dtype=float)
    known = [float(v) for v in quality.values() if v is not None]
    if not known or np.isnan(fit[0]) or k > max_classes:
        return quality
    mixed = fit[0] + (1.0 - fit[0]) / max(k, 2)
    mean = float(np.mean(known))
    if mixed <= mean or mean >= 1.0:
        return quality
    factor = (1.0 - mixed) / (1.0 - mean)
    return {w: (None if q is None else float(1.0 - (1.0 - float(q)) * factor)) for w, q in quality.items()}


#: votes an item needs before it tells a pair's clear-item confusion from items people split on
MIN_PAIR_VOTES = 4


def pair_clear_noise(counts: np.ndarray, classes: list, pairs: set, min_votes: int = MIN_PAIR_VOTES,
                     min_items: int = 20) -> tuple[dict, dict]:
    """Per class pair: how often a voter names the pair's other class on an item that is clear,
    and the share of the pair's items split.

    ``counts`` holds each annotated item's votes per class. Every item whose most voted class
    is in the pair gives ``x`` votes for the pair's other class out of its ``n``. A clear
    item gives ``x ~ Binomial(n, m)``; an item people split on gives any share (``x`` uniform
    over ``0..n``, folded at the plurality). The share of split items is the smallest whose
    profile likelihood (over ``m``) is within the 95% chi-square bound of the best, ``m`` the
    most likely rate at that share (a grid over both, as
    :func:`diagnose.votes.vote_mixture_fit`): annotators who confuse the two classes on every
    item raise ``m``, items people split on spread their votes beyond what one rate allows.
    Only items with ``min_votes`` votes or more tell the two apart (with three, ``x`` is 0 or 1
    and one rate fits any mix), and a pair needs ``min_items`` of them; other pairs are left out.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> noisy = np.stack([5 - (b := rng.binomial(5, 0.15, 400)), b], axis=1)  # every item: 15% for the other class
    >>> rate, share = pair_clear_noise(noisy, ["a", "b"], {frozenset("ab")})
    >>> bool(0.1 < rate[frozenset("ab")] < 0.2), share[frozenset("ab")]
    (True, 0.0)
    >>> split = np.stack([5 - (s := rng.integers(0, 6, 100)), s], axis=1)  # 100 items split at any share
    >>> clear = np.stack([5 - (c := rng.binomial(5, 0.02, 300)), c], axis=1)
    >>> rate, share = pair_clear_noise(np.vstack([split, clear]), ["a", "b"], {frozenset("ab")})
    >>> bool(rate[frozenset("ab")] < 0.05), bool(0.1 < share[frozenset("ab")] < 0.35)
    (True, True)
    """
    from scipy.stats import binom

    index = {c: i for i, c in enumerate(classes)}
    counts = counts[counts.sum(axis=1) >= min_votes]  # only these tell the two apart
    n = counts.sum(axis=1)
    top = counts.argmax(axis=1)
    shares = np.array([0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8])
    rates = np.geomspace(1e-3, 0.5, 80)
    out, split = {}, {}
    for pair in pairs:
        if len(pair) != 2 or not all(c in index for c in pair):
            continue
        a, b = (index[c] for c in pair)
        rows = np.flatnonzero((top == a) | (top == b))
        if len(rows) < min_items:
            continue
        x = np.where(top[rows] == a, counts[rows, b], counts[rows, a])
        m_n = n[rows]
        uniform = np.where(2 * x < m_n, 2.0, 1.0) / (m_n + 1.0)
        clear = binom.pmf(x[None, :], m_n[None, :], rates[:, None])  # rates x items, folded at the plurality
        clear = clear + np.where(2 * x < m_n, binom.pmf((m_n - x)[None, :], m_n[None, :], rates[:, None]), 0.0)
        ll = np.log(shares[:, None, None] * uniform + (1.0 - shares[:, None, None]) * clear + 1e-300).sum(axis=2)
        best = ll.max(axis=1)  # profile over the rate, per share
        pick = int(np.flatnonzero(best >= best.max() - 1.92)[0])
        out[pair], split[pair] = float(rates[ll[pick].argmax()]), float(shares[pick])
    return out, split
