"""How reliable annotators are, read with the items they split on.

Private helper of :mod:`diagnose.votes` (re-exported there). Plain agreement between annotators
reads every item people split on as two mistakes; here each item is clear or split between two
classes (at any share), and the annotators' accuracy and the share of split items are fitted
together on the vote-count patterns of items with 3 votes or more.
"""
from __future__ import annotations

import numpy as np

__all__ = ["split_probability", "spread_grids", "vote_mixture_fit", "vote_mixture_fit_codes"]


def spread_grids(fit: tuple[float, float] | None, reliabilities=(0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0)) -> dict:
    """The reliabilities :func:`fit_spread` may choose: none above what the vote patterns allow
    (:func:`vote_mixture_fit`), so that the posterior does not read annotator noise as items people
    split on. (Capping the spread share at the fitted split share as well cost macro F1 on the
    development halves of the CIFAR-10H and generated disagreement benchmarks: 0.475 -> 0.399 at
    3 votes, 0.406 -> 0.312; people's disagreement is a continuum, not only even splits.)

    Examples
    --------
    >>> spread_grids((0.86, 0.1))["reliabilities"]
    (0.3, 0.5, 0.7, 0.8, 0.86)
    """
    if fit is None:
        return {"reliabilities": reliabilities}
    r = fit[0]
    return {"reliabilities": tuple(sorted({*(v for v in reliabilities if v < r), round(max(r, 0.05), 4)}))}


def vote_mixture_fit(annotations, k: int, min_items: int = 20) -> tuple[float, float] | None:
    """One-coin reliability of the average annotator, fitted with items people split on.

    Each item with three votes or more is clear (one class; a voter names it with accuracy ``a``,
    else one of the other ``k - 1`` classes at random) or, with share ``pi``, split between two
    classes (a voter means the first with a chance ``theta``, uniform on (0, 1) across items).
    ``pi`` is the smallest share whose profile
    likelihood (over ``a``) is within the 95% chi-square bound of the best, ``a`` the most likely
    accuracy at that share (a grid over both); returned as ``(r, pi)`` with one-coin reliability
    ``(a - 1/k) / (1 - 1/k)``. Plain agreement would read every split item as two annotators'
    mistakes, and the annotators as noisier than they are. Only items with three votes or more
    tell the two apart (two votes give one number, whether they agree), so None with fewer than
    ``min_items`` of them (as :func:`fit_spread`), and with two classes: there a noise vote and a
    split both name the other class, the vote patterns barely tell them apart (on RTE the fit read
    real disagreement as noise).

    Examples
    --------
    >>> import polars as pl
    >>> labels = [c for n in range(40) for c in ("xxxx" if n < 30 else "xxyy")]  # 30 clear, 10 split 2-2
    >>> ann = pl.DataFrame({"id": [f"i{n}" for n in range(40) for _ in range(4)], "annotator": list("abcd") * 40,
    ...                     "label": labels})
    >>> r, share = vote_mixture_fit(ann, 5)
    >>> bool(r > 0.9), bool(share > 0)
    (True, True)
    """
    import polars as pl

    if k < 3:
        return None
    votes = annotations.select(pl.col(c).cast(pl.Utf8) for c in ("id", "label")).drop_nulls()
    counts = votes.group_by("id", "label").len()
    return _fit_patterns(counts.group_by("id").agg(pl.col("len"))["len"].to_list(), k, min_items)


def vote_mixture_fit_codes(codes: np.ndarray, k: int, min_items: int = 20) -> tuple[float, float] | None:
    """:func:`vote_mixture_fit` on padded class codes (items x votes, ``-1`` pads)."""
    if k < 3:
        return None
    lists = []
    for row in np.asarray(codes):
        c = np.bincount(row[row >= 0], minlength=k)
        lists.append(c[c > 0].tolist())
    return _fit_patterns(lists, k, min_items)


def split_probability(codes: np.ndarray, k: int, fit: tuple[float, float] | None) -> np.ndarray:
    """Per row of padded class codes: the posterior that people split on the item, under the fitted
    mixture ``fit = (r, share)`` (:func:`vote_mixture_fit`); NaN for rows with fewer than 3 votes.

    Examples
    --------
    >>> p = split_probability(np.array([[0, 0, 1, 1], [0, 0, 0, 0], [0, -1, -1, -1]]), 5, (0.9, 0.1))
    >>> bool(p[0] > 0.5 > p[1]), bool(np.isnan(p[2]))
    (True, True)
    """
    codes = np.asarray(codes)
    out = np.full(len(codes), np.nan)
    if fit is None or k < 3 or not len(codes):
        return out
    r, share = fit
    counts = np.zeros((len(codes), k))
    for j in range(codes.shape[1]):
        ok = codes[:, j] >= 0
        np.add.at(counts, (np.flatnonzero(ok), codes[ok, j]), 1.0)
    rows = np.flatnonzero(counts.sum(1) >= 3)
    if share <= 0 or not len(rows):
        out[rows] = 0.0
        return out
    c = -np.sort(-counts[rows], axis=1)
    c = c[:, : max(1, int((c > 0).sum(1).max()))]
    clear, split = _pattern_log_lik(c, c.sum(1), (c > 0).sum(1), r + (1.0 - r) / k, k)
    out[rows] = 1.0 / (1.0 + np.exp(np.log1p(-share) + clear - np.log(share) - split))
    return out


def _fit_patterns(per_item: list, k: int, min_items: int) -> tuple[float, float] | None:
    """The fit on each item's vote counts per named class (items with 3 votes or more)."""
    from collections import Counter

    patterns = Counter(tuple(sorted(c, reverse=True)) for c in per_item if sum(c) >= 3)
    if sum(patterns.values()) < min_items:
        return None
    width = max(len(c) for c in patterns)
    c = np.array([list(row) + [0] * (width - len(row)) for row in patterns], dtype=float)
    accuracy, share = _fit_split_mixture(c, np.array(list(patterns.values()), dtype=float), max(k, 2))
    return float(max(0.0, (accuracy - 1.0 / k) / (1.0 - 1.0 / k))), share


def _fit_split_mixture(c: np.ndarray, mult: np.ndarray, k: int) -> tuple[float, float]:
    """Grid maximum likelihood of (accuracy, split share) for vote-count patterns ``c`` (rows, classes
    with votes, zero-padded) seen ``mult`` times each."""
    n = c.sum(1)
    m = (c > 0).sum(1)
    shares = (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5)
    grid = np.linspace(1.0 / k + 0.01, 0.995, 80)
    ll = np.full((len(grid), len(shares)), -np.inf)
    for i, a in enumerate(grid):
        clear, split = _pattern_log_lik(c, n, m, a, k)
        for j, pi in enumerate(shares):
            mix = np.logaddexp(np.log1p(-pi) + clear, np.log(pi) + split) if pi > 0 else clear
            ll[i, j] = float((mult * mix).sum())
    # the fewest split items the votes allow: the smallest share whose profile likelihood is within
    # the 95% chi-square(1) bound of the best (splits only where the votes demand them)
    profile = ll.max(axis=0)
    j = int(np.flatnonzero(profile >= profile.max() - 1.92)[0])
    return float(grid[int(ll[:, j].argmax())]), shares[j]


def _pattern_log_lik(c, n, m, a, k, grid: int = 24):
    """Log likelihood of each vote-count pattern if its item is clear, and if people split it over a
    pair of classes at a share ``theta`` uniform on (0, 1) (integrated on ``grid`` midpoints)."""
    from scipy.special import gammaln, logsumexp

    q = (1.0 - a) / (k - 1)
    lq = np.log(q)
    clear = np.where(c > 0, c * np.log(a) + (n[:, None] - c) * lq, -np.inf)  # clear with a named class
    clear = logsumexp(np.c_[clear, np.log(np.maximum(k - m, 1e-300)) + n * lq], axis=1) - np.log(k)
    theta = (np.arange(grid) + 0.5) / grid
    lt, lu = np.log(theta * a + (1.0 - theta) * q), np.log((1.0 - theta) * a + theta * q)  # P(vote names t / u)
    def mean_over_theta(x, y):  # log of the mean over theta of P(t)^x P(u)^y
        return logsumexp(x[..., None] * lt + y[..., None] * lu, axis=-1) - np.log(grid)
    upper = np.triu(np.ones((c.shape[1], c.shape[1]), dtype=bool), 1)[None] & (c[:, :, None] > 0) & (c[:, None, :] > 0)
    x, y = np.broadcast_arrays(c[:, :, None], c[:, None, :])
    rest = n[:, None, None] - x - y
    pair = np.where(upper, mean_over_theta(x, y) + rest * lq, -np.inf).reshape(len(c), -1)  # both named
    one = np.where(c > 0, np.log(np.maximum(k - m, 1e-300))[:, None] + mean_over_theta(c, np.zeros_like(c))
                   + (n[:, None] - c) * lq, -np.inf)  # one named, the other not
    free = (k - m) * (k - m - 1) / 2.0
    none = np.where(free > 0, np.log(np.maximum(free, 1e-300)) + n * lq, -np.inf)
    split = logsumexp(np.c_[pair, one, none], axis=1) - (gammaln(k + 1) - gammaln(3) - gammaln(k - 1))
    return clear, split
