"""Item ambiguity: a per-item Bayesian model of who would disagree, and why an error happened.

Each item i has a distribution theta_i over the classes: the labels careful people would give it.
theta_i ~ Dirichlet(alpha * prior_i), prior_i the model's probabilities (smoothed), so alpha is how
far people's labels spread around what the model sees. An annotator of reliability r votes from
theta_i with probability r and otherwise uniformly at random (one-coin noise). alpha and the pooled
reliability are fitted on the whole set by marginal likelihood: when every item splits at random,
uniform noise explains the spread better than ambiguity around the model's classes does.

An error then reads as *ambiguous* (fewer than ``ambiguous_below`` of people would name the
top class), *wrong gold* (clear, and people name another class than the gold) or *model
mistake* (clear, and people name the gold); each with its posterior probability. The public
entry points are re-exported by :mod:`diagnose.votes`.
"""
from __future__ import annotations

import numpy as np

from diagnose._vote_reading import fit_vote_mixture, vote_reading

__all__ = ["VERDICTS", "ambiguity_posterior", "fit_spread", "noise_rows", "relative_reliability", "smooth_prior",
           "replay_clear", "spread_fitted", "spread_mean", "verdicts", "vote_arrays"]

def vote_arrays(votes: list[list[tuple[str, str]]], classes, reliability: dict | None = None):
    """Votes as padded class codes (``-1`` pads) and each vote's relative annotator weight.

    ``reliability`` maps an annotator to a relative reliability (mean about 1; None:
    anonymous, every vote counts the same). Votes naming an unknown class are dropped.

    Examples
    --------
    >>> codes, rel = vote_arrays([[("a", "x"), ("b", "y")], []], ["x", "y"])
    >>> codes.tolist(), rel.tolist()
    ([[0, 1], [-1, -1]], [[1.0, 1.0], [0.0, 0.0]])
    """
    index = {c: n for n, c in enumerate(classes)}
    width = max([len(v) for v in votes] + [1])
    codes = np.full((len(votes), width), -1, dtype=np.int64)
    rel = np.zeros((len(votes), width))
    for i, row in enumerate(votes):
        kept = [(who, index[lab]) for who, lab in row if lab in index]
        for j, (who, code) in enumerate(kept):
            codes[i, j] = code
            rel[i, j] = 1.0 if reliability is None else float(reliability.get(who, 1.0))
    return codes, rel


def relative_reliability(accuracy: dict, n_classes: int) -> dict:
    """Each annotator's above-chance agreement over the mean annotator's (mean about 1)."""
    k = max(n_classes, 2)
    raw = {who: max((a - 1.0 / k) / (1.0 - 1.0 / k), 0.0) for who, a in accuracy.items() if a is not None}
    mean = float(np.mean(list(raw.values()))) if raw else 0.0
    return {who: (v / mean if mean > 0 else 1.0) for who, v in raw.items()}


def smooth_prior(probs: np.ndarray | None, n: int, k: int, floor: float = 0.6) -> np.ndarray:
    """The model's probabilities mixed with ``floor`` of the uniform (uniform without a model)."""
    if probs is None:
        return np.full((n, k), 1.0 / k)
    p = np.clip(np.asarray(probs, float), 0.0, None)
    p = p / np.clip(p.sum(axis=1, keepdims=True), 1e-12, None)
    return (1.0 - floor) * p + floor / k


def spread_mean(probs: np.ndarray | None, gold, n: int, k: int, top: int = 3, floor: float = 0.1) -> np.ndarray:
    """Where people's labels spread on an ambiguous item: the model's ``top`` likeliest classes and the
    gold, in proportion to the model's probabilities (uniform without a model). Votes scattered over
    other classes are then annotator noise, not ambiguity."""
    if probs is None:
        return np.full((n, k), 1.0 / k)
    p = np.clip(np.asarray(probs, float), 0.0, None)
    keep = np.zeros(p.shape, dtype=bool)
    np.put_along_axis(keep, np.argsort(-p, axis=1)[:, :top], True, axis=1)
    gold = np.asarray(gold, dtype=np.int64)
    keep[np.flatnonzero(gold >= 0), gold[gold >= 0]] = True
    m = np.where(keep, p + 0.05 / top, 0.0)
    m = m / m.sum(axis=1, keepdims=True)
    return (1.0 - floor) * m + floor / k


def _draws(prior, codes, rel, alpha, samples, rng, lift=0.8):
    """theta draws from a proposal near the posterior and their log importance weights (prior / proposal)."""
    from scipy.special import gammaln

    counts = np.zeros_like(prior)
    for j in range(codes.shape[1]):
        ok = codes[:, j] >= 0
        np.add.at(counts, (np.flatnonzero(ok), codes[ok, j]), lift * np.minimum(rel[ok, j], 1.0))
    a0 = np.maximum(alpha * prior, 1e-3)
    a1 = a0 + counts
    g = rng.gamma(np.repeat(a1[:, None, :], samples, axis=1))
    theta = np.clip(g / np.clip(g.sum(axis=2, keepdims=True), 1e-300, None), 1e-12, 1.0)
    logt = np.log(theta)
    def log_dir(a):
        return gammaln(a.sum(1))[:, None] - gammaln(a).sum(1)[:, None] + np.einsum("nk,nsk->ns", a - 1.0, logt)
    return theta, log_dir(a0) - log_dir(a1)


def _narrow(prior, codes, gold, mean, noise=None):
    """The few classes that matter per item (its gold, its votes, the model's likeliest), so that many
    classes cost little: prior renormalised over them, codes and gold as positions among them, the
    full number of classes (noise still spreads over all of them), and per vote the chance that
    noise lands on it from each candidate true class (``noise_at``; ``1 / k`` for one-coin noise)."""
    n, k = prior.shape
    width = min(k, max(8, codes.shape[1] + 4))
    rows = np.arange(n)
    if width >= k:
        cand = np.tile(np.arange(k), (n, 1))
    else:
        bonus = prior.copy()
        for j in range(codes.shape[1]):
            ok = codes[:, j] >= 0
            bonus[rows[ok], codes[ok, j]] += 2.0
        bonus[rows[gold >= 0], gold[gold >= 0]] += 4.0
        cand = np.argsort(-bonus, axis=1, kind="stable")[:, :width]
    local, spread = prior[rows[:, None], cand], mean[rows[:, None], cand]
    pos = np.full((n, k), -1, dtype=np.int64)
    pos[rows[:, None], cand] = np.arange(width)
    local_codes = np.where(codes >= 0, pos[rows[:, None], np.clip(codes, 0, None)], -1)
    local_gold = np.where(gold >= 0, pos[rows, np.clip(gold, 0, None)], -1)
    return (local / local.sum(1, keepdims=True), local_codes, local_gold, k, spread / spread.sum(1, keepdims=True),
            _noise_at(codes, cand, k, noise))


def _noise_at(codes, cand, k, noise):
    """n x votes x candidates: P(a noise vote names this vote's class | true class = candidate)."""
    if noise is None:
        return np.full((*codes.shape, cand.shape[1]), 1.0 / k)
    who, rows = noise
    who = np.where(who >= 0, who, len(rows) - 1)  # anonymous votes: the pooled rows (last)
    return rows[who[:, :, None], cand[:, None, :], np.clip(codes, 0, None)[:, :, None]]


def _log_lik(theta, codes, rel, noise_r, k, nz):
    """Log likelihood of each item's votes at each theta draw, votes of reliability ``r * rel`` whose
    noise lands on class c from true class t with chance ``nz`` (per vote, per candidate t)."""
    out = np.zeros(theta.shape[:2])
    for j in range(codes.shape[1]):
        ok = codes[:, j] >= 0
        if not ok.any():
            continue
        r = np.clip(noise_r * rel[ok, j], 0.0, 1.0)[:, None]
        hit = np.take_along_axis(theta[ok], codes[ok, j][:, None, None], axis=2)[:, :, 0]
        out[ok] += np.log(r * hit + (1.0 - r) * np.einsum("nsl,nl->ns", theta[ok], nz[ok, j]))
    return out


_CLEAR_NOISE = 0.05  # a clear item: this share of careful people still name another class


def _clear_log_lik(codes, rel, reliability, k, width, nz):
    """Log likelihood of each item's votes if it were clear with class z, for every z (n x width)."""
    out = np.zeros((len(codes), width))
    for j in range(codes.shape[1]):
        ok = codes[:, j] >= 0
        if not ok.any():
            continue
        r = np.clip(reliability * rel[ok, j], 0.0, 1.0)[:, None]
        hit = np.arange(width)[None, :] == codes[ok, j][:, None]
        noise = (1.0 - _CLEAR_NOISE) * nz[ok, j] + _CLEAR_NOISE * nz[ok, j].mean(1, keepdims=True)
        out[ok] += np.log(r * np.where(hit, 1.0 - _CLEAR_NOISE, _CLEAR_NOISE / (k - 1)) + (1.0 - r) * noise)
    return out


def _components(prior, mean, codes, rel, spread, samples, rng, k, nz, odds=None):
    """Log evidence of the clear readings (n x k) and of the spread one (n), and the spread draws."""
    from scipy.special import logsumexp

    alpha, reliability, share = spread
    theta, logw = _draws(mean, codes, rel, alpha, samples, rng)
    amb = logw + _log_lik(theta, codes, rel, reliability, k, nz)
    clear = np.log(1.0 - share) + np.log(prior) + _clear_log_lik(codes, rel, reliability, k, prior.shape[1], nz)
    spread_ev = np.log(share) + logsumexp(amb, axis=1) - np.log(samples)
    if odds is not None:  # how much more often this item's class pair splits across the set than noise explains
        spread_ev = spread_ev + np.log(odds)
    return clear, spread_ev, theta, amb


#: items with two votes or more :func:`fit_spread` needs; with fewer it returns its default
MIN_SPREAD_ITEMS = 20


def spread_fitted(codes: np.ndarray) -> bool:
    """Whether enough items carry two votes or more for :func:`fit_spread` to fit the spread (codes: -1 = no vote)."""
    return int(((np.asarray(codes) >= 0).sum(axis=1) >= 2).sum()) >= MIN_SPREAD_ITEMS


def fit_spread(prior, codes, rel, *, mean=None, noise=None, seed: int = 0, samples: int = 48, max_items: int = 2000,
               alphas=(0.5, 1.0, 2.0, 4.0, 8.0, 16.0), reliabilities=(0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0),
               shares=(0.02, 0.05, 0.1, 0.2, 0.35, 0.5),
               default: tuple[float, float, float] = (2.0, 0.9, 0.1)) -> tuple[float, float, float]:
    """``(alpha, reliability, share)`` maximising the marginal likelihood of the items with two votes or more.

    ``share`` is the prior share of items on which people genuinely split, ``alpha`` how far
    their labels spread around the model's probabilities, ``reliability`` the pooled chance that
    a vote is meant (else uniform noise). With fewer than :data:`MIN_SPREAD_ITEMS` such items the three cannot be
    told apart and ``default`` is returned (chosen on the development draws of
    ``python -m benchmarks.disagreement_family``).
    """
    from scipy.special import logsumexp

    many = np.flatnonzero((codes >= 0).sum(axis=1) >= 2)
    if len(many) < MIN_SPREAD_ITEMS:
        return default
    rng = np.random.default_rng(seed)
    if len(many) > max_items:
        many = np.sort(rng.choice(many, max_items, replace=False))
    mean = prior if mean is None else mean
    p, c, _, k, m, nz = _narrow(prior[many], codes[many], np.full(len(many), -1), mean[many], _rows_of(noise, many))
    w = rel[many]
    best, best_ll = default, -np.inf
    for alpha in alphas:
        theta, logw = _draws(m, c, w, alpha, samples, rng)
        for r in reliabilities:
            amb = logsumexp(logw + _log_lik(theta, c, w, r, k, nz), axis=1) - np.log(samples)
            clear = logsumexp(np.log(p) + _clear_log_lik(c, w, r, k, p.shape[1], nz), axis=1)
            for share in shares:
                ll = float(np.logaddexp(np.log(share) + amb, np.log(1.0 - share) + clear).sum())
                if ll > best_ll:
                    best, best_ll = (float(alpha), float(r), float(share)), ll
    return best


def _rows_of(noise, rows):
    """The class-conditional noise ``(who, matrices)`` restricted to some items (None stays None)."""
    return None if noise is None else (noise[0][rows], noise[1])


def _weighted_quantile(values, weights, q):
    order = np.argsort(values, axis=1)
    v = np.take_along_axis(values, order, axis=1)
    cw = np.cumsum(np.take_along_axis(weights, order, axis=1), axis=1)
    pick = (cw < q).sum(axis=1, keepdims=True).clip(0, values.shape[1] - 1)
    return np.take_along_axis(v, pick, axis=1)[:, 0]


def ambiguity_posterior(prior, codes, rel, gold, *, spread: tuple[float, float, float], mean=None, odds=None, noise=None,
                        ambiguous_below: float = 0.7, samples: int = 256, seed: int = 0,
                        chunk: int = 1000, votes_only_share: bool = True) -> dict[str, np.ndarray]:
    """Per item: expected share of people who would disagree with the majority label, its 80%
    interval, and the posterior of the three readings of an error.

    The item is either clear (one class, named by all but a few careful people) or spread
    (a Dirichlet around the model's probabilities), in the proportion ``spread[2]``.
    Returns ``ambiguity``, ``ambiguity_low``, ``ambiguity_high`` (the share of people not naming
    the item's most named class: posterior mean, 10% and 90% quantiles; on items with votes, read
    from the votes alone by :func:`diagnose._vote_reading.vote_reading`, with the clear / spread
    mixture of vote patterns fitted on these items, unless ``votes_only_share`` is False; on
    items without votes, from the model's probabilities),
    ``p_ambiguous`` (that share is above ``1 - ambiguous_below``), ``p_wrong_gold`` (not
    ambiguous and most people name another class than ``gold``; NaN where gold is -1),
    ``p_model_mistake`` (not ambiguous and most people name the gold), ``p_spread`` (the item is
    in the spread component at all, however evenly people split) and ``n_votes``.
    """
    n = len(prior)
    keys = ("ambiguity", "ambiguity_low", "ambiguity_high", "p_ambiguous", "p_wrong_gold", "p_model_mistake", "p_spread")
    out = {key: np.full(n, np.nan) for key in keys}
    gold = np.asarray(gold, dtype=np.int64)
    rng = np.random.default_rng(seed)
    for s in range(0, n, chunk):
        sl = slice(s, min(n, s + chunk))
        p, c, g, k, m, nz = _narrow(prior[sl], codes[sl], gold[sl], (prior if mean is None else mean)[sl],
                                    _rows_of(noise, sl))
        _fill(out, sl, *_components(p, m, c, rel[sl], spread, samples, rng, k, nz, None if odds is None else odds[sl]),
              g, ambiguous_below)
    out["n_votes"] = (codes >= 0).sum(axis=1)
    if votes_only_share and out["n_votes"].any():  # the share of people is read from the votes alone
        read = vote_reading(codes, prior.shape[1], fit_vote_mixture(codes, prior.shape[1]), seed=seed)
        has = out["n_votes"] > 0
        for key in ("ambiguity", "ambiguity_low", "ambiguity_high"):
            out[key] = np.where(has, read[key], out[key])
    return out


def _fill(out, sl, clear, spread_ev, theta, amb, gold, below):
    """Posterior readings of one chunk from the clear and spread components."""
    from scipy.special import softmax

    k = clear.shape[1]
    total = np.logaddexp(np.logaddexp.reduce(clear, axis=1), spread_ev)
    p_clear = np.exp(clear - total[:, None])  # n x k: clear with class z
    p_spread = np.exp(spread_ev - total)
    w = softmax(amb, axis=1) * p_spread[:, None]  # each spread draw's share of the posterior
    top = theta.max(axis=2)
    values = np.concatenate([1.0 - top, np.full((len(top), 1), _CLEAR_NOISE)], axis=1)
    weights = np.concatenate([w, p_clear.sum(1, keepdims=True)], axis=1)
    out["ambiguity"][sl] = (weights * values).sum(1)
    out["ambiguity_low"][sl] = _weighted_quantile(values, weights, 0.1)
    out["ambiguity_high"][sl] = _weighted_quantile(values, weights, 0.9)
    firm = top >= below
    out["p_ambiguous"][sl] = (w * ~firm).sum(1)
    out["p_spread"][sl] = p_spread
    on_gold = np.where(gold >= 0, p_clear[np.arange(len(gold)), np.clip(gold, 0, k - 1)], np.nan)
    on_gold = on_gold + (w * firm * (theta.argmax(axis=2) == gold[:, None])).sum(1)
    out["p_model_mistake"][sl] = np.where(gold >= 0, on_gold, np.nan)
    out["p_wrong_gold"][sl] = np.where(gold >= 0, 1.0 - out["p_ambiguous"][sl] - on_gold, np.nan)


VERDICTS = ("ambiguous", "wrong_gold", "model_mistake")


def verdicts(post: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The likeliest of the three readings per item and its posterior probability (the stated precision)."""
    stack = np.nan_to_num(np.vstack([post["p_ambiguous"], post["p_wrong_gold"], post["p_model_mistake"]]), nan=-1.0)
    pick = stack.argmax(axis=0)
    return np.asarray(VERDICTS, dtype=object)[pick], stack[pick, np.arange(stack.shape[1])]


def replay_clear(prior, codes, rel, true, gold, *, spread: tuple[float, float, float], mean=None, odds=None,
                 noise=None, reps: int = 5, seed: int = 0, reliability: float | None = None, **kw) -> dict[str, np.ndarray]:
    """The posterior on votes redrawn ``reps`` times from each item's own voters when the item is
    clear with class ``true``: the reference of items without ambiguity. Each voter names it with
    probability ``r`` (``reliability``, default the fitted ``spread[1]``, times the voter's relative
    reliability), otherwise a class drawn from their noise row of ``true`` (uniform over all
    classes with one-coin noise, so ``r + (1 - r) / k`` in all)."""
    rng = np.random.default_rng(seed)
    k = prior.shape[1]
    c, w = np.repeat(codes, reps, axis=0), np.repeat(rel, reps, axis=0)
    t = np.repeat(np.asarray(true, dtype=np.int64), reps)
    r = np.clip((spread[1] if reliability is None else reliability) * w, 0.0, 1.0)
    if noise is None:
        right = rng.random(c.shape) < r + (1.0 - r) / k
        other = (t[:, None] + rng.integers(1, k, size=c.shape)) % k
    else:
        who = np.repeat(noise[0], reps, axis=0)
        row = noise[1][np.where(who >= 0, who, len(noise[1]) - 1), t[:, None]]  # n x votes x k
        right = rng.random(c.shape) < r
        cum = np.cumsum(row, axis=2)
        other = np.minimum((cum < rng.random(c.shape)[:, :, None] * cum[:, :, -1:]).sum(2), k - 1)
        noise = (who, noise[1])
    drawn = np.where(c >= 0, np.where(right, t[:, None], other), -1)
    return ambiguity_posterior(np.repeat(prior, reps, axis=0), drawn, w, np.repeat(np.asarray(gold), reps),
                               spread=spread, mean=None if mean is None else np.repeat(mean, reps, axis=0),
                               odds=None if odds is None else np.repeat(odds, reps), noise=noise,
                               seed=seed, **kw)


def noise_rows(item, annotator, label, shape: tuple[int, int, int], *, own: float = 10.0,
               pooled: float = 20.0) -> np.ndarray:
    """Where each annotator's noise votes go, per true class: ``(n_annotators + 1) x k x k`` rows
    (the last, uniform: anonymous votes and annotators never seen keep one-coin noise).

    Each vote's true class is read from the shares of the other votes on its item (items with two
    votes or more; the core may not import the Dawid–Skene of the annotator cause); a vote off
    that class crosses to another class. Only their
    crossings beyond what the other annotators' crossings predict (with ``pooled`` uniform
    pseudo-crossings per true class) are the annotator's own habit: a class pair that every
    annotator splits is the items' ambiguity (the pair odds read it), not anyone's noise. The
    habit shapes the row with ``own`` uniform pseudo-crossings, so annotators with few votes keep
    one-coin noise; as there, a noise vote names the true class with chance ``1 / k``.
    """
    n_items, n_ann, k = shape
    many = np.bincount(item, minlength=n_items)[item] >= 2
    other = (1.0 - np.eye(k)) / max(k - 1, 1)
    off = np.zeros((n_ann, k, k))
    if many.any():
        item, annotator, label = item[many], annotator[many], label[many]
        counts = np.zeros((n_items, k))
        np.add.at(counts, (item, label), 1.0)
        size = counts.sum(1)[item]  # the other votes on the item and one pseudo-vote spread over the classes
        for t in range(k):  # P(true = t) for each vote: the shares of the *other* votes on its item
            seen = (counts[item, t] - (label == t) + 1.0 / k) / size
            off[:, t, :] = np.bincount(annotator * k + label, weights=seen, minlength=n_ann * k).reshape(n_ann, k)
        off *= 1.0 - np.eye(k)
    others = off.sum(0)[None] - off + pooled * other  # the other annotators' crossings, smoothed
    habit = np.clip(off - off.sum(2, keepdims=True) * others / others.sum(2, keepdims=True), 0.0, None)
    rows = habit + own * other
    rows = (1.0 - 1.0 / k) * rows / rows.sum(2, keepdims=True) + np.eye(k) / k
    return np.concatenate([rows, ((1.0 - 1.0 / k) * other + np.eye(k) / k)[None]])
