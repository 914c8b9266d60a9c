"""The share of people who would disagree on an item, read from its votes alone.

Each item's votes come from the people of the annotator pool; ``theta_i`` is the share of
that pool naming each class. An item is either *clear* (one class, its class unknown: every
class alike; ``theta_i`` a Dirichlet of total ``sharp`` around that class named by all but a
share ``eps`` of the pool) or *spread* (``theta_i`` drawn from a symmetric Dirichlet of total
``alpha``), the spread ones a share ``pi`` of the set. ``eps``, ``alpha``, ``pi`` and
``sharp`` are fitted on the whole set by marginal likelihood (Dirichlet-multinomials have
closed forms), so the votes
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

DEFAULT = (0.05, 1.0, 0.1, 20.0)  # (eps, alpha, pi, sharp) with fewer than 20 items of two votes or more


def _counts(codes: np.ndarray, k: int) -> np.ndarray:
    """Each item's votes per class, sorted in decreasing order (its vote pattern)."""
    out = np.zeros((len(codes), k))
    for j in range(codes.shape[1]):
        ok = codes[:, j] >= 0
        np.add.at(out, (np.flatnonzero(ok), codes[ok, j]), 1.0)
    return -np.sort(-out, axis=1)


def _dm(counts: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Dirichlet-multinomial log likelihood of vote counts (rows) under Dirichlet parameters ``base``."""
    from scipy.special import gammaln

    total = base.sum(-1)
    return gammaln(total) - gammaln(total + counts.sum(-1)) + (gammaln(base + counts) - gammaln(base)).sum(-1)


def _clear_base(k: int, width: int, eps: float, sharp: float) -> np.ndarray:
    """Dirichlet parameters of a clear item whose class is each of the first ``width + 1`` sorted
    classes (the last stands for every class no vote named): ``(width + 1) x k``."""
    z = min(width + 1, k)
    base = np.full((z, k), sharp * eps / (k - 1))
    base[np.arange(z), np.arange(z)] = sharp * (1.0 - eps)
    return base


def _log_parts(counts: np.ndarray, k: int, eps: float, alpha: float, sharp: float) -> tuple[np.ndarray, np.ndarray]:
    """Log likelihood of each sorted vote pattern if the item is clear (class unknown, its share of
    people naming another class spread around ``eps`` with Dirichlet total ``sharp``) and if it is spread."""
    from scipy.special import logsumexp

    width = int(max(1, (counts > 0).sum(1).max(initial=1)))
    base = _clear_base(k, width, eps, sharp)
    per_class = _dm(counts[:, None, :], base[None])  # n x (width + 1)
    weight = np.ones(base.shape[0])
    weight[-1] = max(k - width, 1) if base.shape[0] > width else 1.0
    clear = logsumexp(per_class + np.log(weight), axis=1) - np.log(k)
    spread = _dm(counts, np.full(k, alpha / k)[None])
    return clear, spread


def fit_vote_mixture(codes: np.ndarray, k: int, *, eps_grid=(0.01, 0.02, 0.05, 0.1, 0.2),
                     alphas=(0.5, 1.0, 2.0, 4.0, 8.0, 16.0), shares=(0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.7),
                     sharps=(5.0, 20.0, 100.0, 1000.0),
                     default: tuple[float, float, float, float] = DEFAULT) -> tuple[float, float, float, float]:
    """``(eps, alpha, pi, sharp)`` maximising the marginal likelihood of the patterns of items with two votes or more.

    Examples
    --------
    >>> codes = np.array([[0, 0, 0]] * 40 + [[0, 1, 0]] * 10)
    >>> eps, alpha, pi, sharp = fit_vote_mixture(codes, 4)
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
            for sharp in sharps:
                clear, spread = _log_parts(patterns, k, eps, alpha, sharp)
                for pi in shares:
                    ll = float((weight * np.logaddexp(np.log(pi) + spread, np.log(1.0 - pi) + clear)).sum())
                    if ll > best_ll:
                        best, best_ll = (float(eps), float(alpha), float(pi), float(sharp)), ll
    return best


def vote_reading(codes: np.ndarray, k: int, fitted: tuple[float, float, float, float], *, samples: int = 2000,
                 seed: int = 0) -> dict[str, np.ndarray]:
    """Per item: posterior mean, 10% and 90% quantiles of the share of people not naming its most
    named class, and the posterior that the item is spread (NaN without votes).

    Computed once per vote pattern (the same pattern gives the same reading).

    Examples
    --------
    >>> out = vote_reading(np.array([[0, 0, 0, 0, 0], [0, 0, 0, 1, 1], [-1] * 5]), 10, (0.02, 0.5, 0.1, 20.0))
    >>> bool(out["ambiguity"][1] > out["ambiguity"][0]), bool(np.isnan(out["ambiguity"][2]))
    (True, True)
    """
    k = max(int(k), 2)
    eps, alpha, pi, sharp = fitted
    counts = _counts(codes, k)
    width = int(max(1, (counts > 0).sum(1).max(initial=1)))
    patterns, back = np.unique(counts[:, :width], axis=0, return_inverse=True)
    full = np.zeros((len(patterns), k))
    full[:, :width] = patterns
    clear, spread = _log_parts(full, k, eps, alpha, sharp)
    p_spread = 1.0 / (1.0 + np.exp(np.log(1.0 - pi) + clear - np.log(pi) - spread))
    rng = np.random.default_rng(seed)
    out = {key: np.zeros(len(patterns)) for key in ("ambiguity", "ambiguity_low", "ambiguity_high")}
    step = max(1, int(2e6 // (samples * (width + 1))))
    for s in range(0, len(patterns), step):
        sl = slice(s, s + step)
        for key, val in _mixture(patterns[sl], p_spread[sl], k, width, fitted, samples, rng).items():
            out[key][sl] = val
    out["p_spread"] = p_spread
    none = counts.sum(1) == 0
    return {key: np.where(none, np.nan, val[back]) for key, val in out.items()}


def _share(shape: np.ndarray, width: int, samples: int, rng) -> np.ndarray:
    """Draws of the share not naming the top class under Dirichlet ``shape`` (the last column lumps the
    classes no vote named: none of them leads)."""
    g = rng.gamma(np.repeat(np.maximum(shape, 1e-6)[:, None, :], samples, axis=1))
    theta = g / np.clip(g.sum(2, keepdims=True), 1e-300, None)
    return 1.0 - theta[:, :, :width].max(2)


def _mixture(patterns, p_spread, k, width, fitted, samples, rng) -> dict[str, np.ndarray]:
    """Mean and 10% / 90% quantiles of the share not naming the top class, per vote pattern; the clear
    reading takes the most named class as the item's."""
    eps, alpha, _, sharp = fitted
    rest = max(k - width, 0)
    spread = np.concatenate([alpha / k + patterns, np.full((len(patterns), 1), alpha * rest / k)], axis=1)
    clear = np.concatenate([sharp * eps / (k - 1) + patterns, np.full((len(patterns), 1), sharp * eps * rest / (k - 1))],
                           axis=1)
    clear[:, 0] += sharp * (1.0 - eps) - sharp * eps / (k - 1)
    values = np.concatenate([_share(spread, width, samples, rng), _share(clear, width, samples, rng)], axis=1)
    weights = np.concatenate([np.repeat((p_spread / samples)[:, None], samples, axis=1),
                              np.repeat(((1.0 - p_spread) / samples)[:, None], samples, axis=1)], axis=1)
    order = np.argsort(values, axis=1)
    v, cw = np.take_along_axis(values, order, axis=1), np.cumsum(np.take_along_axis(weights, order, axis=1), axis=1)
    quant = {q: np.take_along_axis(v, (cw < q).sum(1, keepdims=True).clip(0, v.shape[1] - 1), axis=1)[:, 0]
             for q in (0.1, 0.9)}
    return {"ambiguity": (weights * values).sum(1), "ambiguity_low": quant[0.1], "ambiguity_high": quant[0.9]}
