"""The share of people who would disagree on an item, read from its votes alone.

Each item's votes come from the people of the annotator pool; ``theta_i`` is the share of
that pool naming each class. An item is either *clear* (one class, named by all but a share
``eps`` of the pool, its class unknown: every class alike) or *spread* (``theta_i`` drawn
from a symmetric Dirichlet of total ``alpha``), the spread ones a share ``pi`` of the set.
``eps``, ``alpha`` and ``pi`` are fitted on the whole set by marginal likelihood (the
Dirichlet-multinomial and the clear items' multinomial have closed forms), so the votes
are read in the light of how this set's items split, and nothing else can overrule them:
the estimate depends on an item's vote pattern only (how many votes name each class, not
which classes), and the model's probabilities do not enter. Noisy annotators are part of
the pool, so their splits count: this is the share of people, as the pool is, who would
name another class than the item's most named one.

Private helper of :mod:`diagnose._ambiguity`.
"""
from __future__ import annotations

import numpy as np

__all__ = ["fit_vote_mixture", "vote_reading"]

DEFAULT = (0.05, 1.0, 0.1)  # (eps, alpha, pi) with fewer than 20 items of two votes or more


def _counts(codes: np.ndarray, k: int) -> np.ndarray:
    """Each item's votes per class, sorted in decreasing order (its vote pattern)."""
    out = np.zeros((len(codes), k))
    for j in range(codes.shape[1]):
        ok = codes[:, j] >= 0
        np.add.at(out, (np.flatnonzero(ok), codes[ok, j]), 1.0)
    return -np.sort(-out, axis=1)


def _log_parts(counts: np.ndarray, k: int, eps: float, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Log likelihood of each vote pattern if the item is clear (class unknown) and if it is spread."""
    from scipy.special import gammaln, logsumexp

    n = counts.sum(1)
    clear = logsumexp(counts * np.log(1.0 - eps) + (n[:, None] - counts) * np.log(eps / (k - 1)), axis=1) - np.log(k)
    a = alpha / k
    spread = gammaln(alpha) - gammaln(alpha + n) + (gammaln(a + counts) - gammaln(a)).sum(1)
    return clear, spread


def fit_vote_mixture(codes: np.ndarray, k: int, *, eps_grid=(0.01, 0.02, 0.05, 0.1, 0.2),
                     alphas=(0.5, 1.0, 2.0, 4.0, 8.0, 16.0), shares=(0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.7),
                     default: tuple[float, float, float] = DEFAULT) -> tuple[float, float, float]:
    """``(eps, alpha, pi)`` maximising the marginal likelihood of the patterns of items with two votes or more.

    Examples
    --------
    >>> codes = np.array([[0, 0, 0]] * 40 + [[0, 1, 0]] * 10)
    >>> eps, alpha, pi = fit_vote_mixture(codes, 4)
    >>> bool(pi <= 0.35)
    True
    """
    k = max(int(k), 2)
    counts = _counts(codes, k)
    many = counts.sum(1) >= 2
    if many.sum() < 20:
        return default
    patterns, weight = np.unique(counts[many], axis=0, return_counts=True)
    best, best_ll = default, -np.inf
    for eps in eps_grid:
        for alpha in alphas:
            clear, spread = _log_parts(patterns, k, eps, alpha)
            for pi in shares:
                ll = float((weight * np.logaddexp(np.log(pi) + spread, np.log(1.0 - pi) + clear)).sum())
                if ll > best_ll:
                    best, best_ll = (float(eps), float(alpha), float(pi)), ll
    return best


def vote_reading(codes: np.ndarray, k: int, fitted: tuple[float, float, float], *, samples: int = 4000,
                 seed: int = 0) -> dict[str, np.ndarray]:
    """Per item: posterior mean, 10% and 90% quantiles of the share of people not naming its most
    named class, and the posterior that the item is spread (NaN without votes).

    Computed once per vote pattern (the same pattern gives the same reading).

    Examples
    --------
    >>> out = vote_reading(np.array([[0, 0, 0, 0, 0], [0, 0, 0, 1, 1], [-1] * 5]), 10, (0.02, 0.5, 0.1))
    >>> bool(out["ambiguity"][1] > out["ambiguity"][0]), bool(np.isnan(out["ambiguity"][2]))
    (True, True)
    """
    k = max(int(k), 2)
    eps, alpha, pi = fitted
    counts = _counts(codes, k)
    width = int(max(1, (counts > 0).sum(1).max(initial=1)))
    patterns, back = np.unique(counts[:, :width], axis=0, return_inverse=True)
    full = np.zeros((len(patterns), k))
    full[:, :width] = patterns
    clear, spread = _log_parts(full, k, eps, alpha)
    p_spread = 1.0 / (1.0 + np.exp(np.log(1.0 - pi) + clear - np.log(pi) - spread))
    rng = np.random.default_rng(seed)
    out = {key: np.zeros(len(patterns)) for key in ("ambiguity", "ambiguity_low", "ambiguity_high")}
    step = max(1, int(2e6 // (samples * (width + 1))))
    for s in range(0, len(patterns), step):
        sl = slice(s, s + step)
        for key, val in _mixture(patterns[sl], p_spread[sl], k, width, eps, alpha, samples, rng).items():
            out[key][sl] = val
    out["p_spread"] = p_spread
    none = counts.sum(1) == 0
    return {key: np.where(none, np.nan, val[back]) for key, val in out.items()}


def _mixture(patterns, p_spread, k, width, eps, alpha, samples, rng) -> dict[str, np.ndarray]:
    """Mean and 10% / 90% quantiles of the share not naming the top class, per vote pattern."""
    shape = np.concatenate([alpha / k + patterns, np.full((len(patterns), 1), alpha * (k - width) / k)], axis=1)
    g = rng.gamma(np.repeat(np.maximum(shape, 1e-6)[:, None, :], samples, axis=1))
    theta = g / np.clip(g.sum(2, keepdims=True), 1e-300, None)
    share = 1.0 - theta[:, :, :width].max(2)  # classes no vote named share the rest: none of them leads
    values = np.concatenate([share, np.full((len(patterns), 1), eps)], axis=1)
    weights = np.concatenate([np.repeat((p_spread / samples)[:, None], samples, axis=1), (1.0 - p_spread)[:, None]], axis=1)
    order = np.argsort(values, axis=1)
    v, cw = np.take_along_axis(values, order, axis=1), np.cumsum(np.take_along_axis(weights, order, axis=1), axis=1)
    quant = {q: np.take_along_axis(v, (cw < q).sum(1, keepdims=True).clip(0, v.shape[1] - 1), axis=1)[:, 0]
             for q in (0.1, 0.9)}
    return {"ambiguity": (weights * values).sum(1), "ambiguity_low": quant[0.1], "ambiguity_high": quant[0.9]}
