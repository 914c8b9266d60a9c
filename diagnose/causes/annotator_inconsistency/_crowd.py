"""Numeric kernels for crowd labels: Dawid–Skene EM, annotator quality, agreement.

Everything here works on integer-coded NumPy arrays with one entry per
annotation (``item``, ``annotator``, ``label``) and trusts its inputs; the
analyzer in :mod:`diagnose.causes.annotator_inconsistency.analyzer` validates and
encodes the user's tables.
"""
from __future__ import annotations

import logging
import warnings

import numpy as np

__all__ = ["alpha_reading", "consensus", "crowdlab_quality", "dawid_skene", "krippendorff_alpha",
           "posterior_accuracy", "voter_skill", "weighted_agreement"]

log = logging.getLogger(__name__)

_CLEANLAB_MAX_CELLS = 50_000_000  # items x annotators x classes: CROWDLAB's working arrays grow with it
_EB_MAX_CELLS = 200_000  # annotators x classes^2 above which the fixed pooled prior is used
_MAX_CONCENTRATION = 1e4  # numerical cap on a learned Dirichlet row's total


def dawid_skene(
    item: np.ndarray,
    annotator: np.ndarray,
    label: np.ndarray,
    shape: tuple[int, int, int],
    *,
    soft: np.ndarray | None = None,
    prior_strength: float | None = None,
    variational: bool = True,
    max_iter: int = 200,
    tol: float = 1e-6,
) -> tuple[np.ndarray, np.ndarray]:
    """Variational Bayes Dawid–Skene with a learned population prior and an optional soft voter.

    By default (``prior_strength=None``) the annotators' confusion matrices are
    drawn from a population of two communities (Venanzi et al. 2014), each a
    Dirichlet per true-class row whose parameters are estimated from the data
    (empirical Bayes), so an annotator with few labels is shrunk towards the
    community their labels resemble rather than towards the label-weighted pool,
    which prolific annotators dominate. The learned prior needs at least two
    annotators per class (each community row has one parameter per class);
    with fewer, or past a size guard, the fixed pooled prior (one pseudo-label
    per row) is used.

    Parameters
    ----------
    item, annotator, label : numpy.ndarray
        One entry per annotation: item row, annotator row and class index.
    shape : tuple of int
        ``(n_items, n_annotators, n_classes)``.
    soft : numpy.ndarray, optional
        ``n_items x n_classes`` probabilities of one extra voter (a model);
        rows of zeros mean "no vote".
    prior_strength : float, optional
        None learns the prior (above). A number instead pulls each confusion
        row towards the pooled confusion of all annotators with that many
        pseudo-labels per true class (the fixed prior of earlier versions).
    variational : bool
        Use the expected log-probabilities under the Dirichlet posteriors
        (variational Bayes, as in IBCC) instead of their point estimates.
    max_iter, tol : int, float
        Stop after ``max_iter`` rounds or when no posterior moves more than ``tol``.

    Returns
    -------
    posterior : numpy.ndarray
        ``n_items x n_classes`` probability of each true class.
    confusion : numpy.ndarray
        ``(n_annotators + 1) x n_classes x n_classes`` posterior-mean confusion
        matrices; the last one is the soft voter's.

    Examples
    --------
    >>> post, _ = dawid_skene(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]),
    ...                       np.array([1, 1, 0, 0]), (2, 2, 2))
    >>> post.argmax(1).tolist()
    [1, 0]
    """
    n_items, n_ann, k = shape
    soft = np.zeros((n_items, k)) if soft is None else soft
    post = np.zeros((n_items, k))
    np.add.at(post, (item, label), 1.0)
    post += soft
    post[post.sum(1) == 0] = 1.0  # an item nobody voted on starts uniform
    post /= post.sum(1, keepdims=True)
    learned = prior_strength is None and n_ann >= 2 * k and n_ann * k * k <= _EB_MAX_CELLS
    prior = _Communities(n_ann, k) if learned else None
    votes = _VoteSums(item, annotator, label, n_items, n_ann, k)
    for _ in range(max_iter):
        counts = votes.expected_counts(post, soft)
        if prior is None:
            log_conf, conf = _pooled_posterior(counts, 1.0 if prior_strength is None
                                               else prior_strength, variational)
        else:
            log_conf, conf = prior.posterior(counts, variational)
        log_post = np.tile(_expected_log(post.sum(0) + 1.0, variational), (n_items, 1))
        log_post += votes.item_sums(log_conf[:-1])
        log_post += soft @ log_conf[-1].T
        new = np.exp(log_post - log_post.max(1, keepdims=True))
        new /= new.sum(1, keepdims=True)
        done = np.abs(new - post).max() < tol
        post = new
        if done:
            break
    return post, conf


def _expected_log(alpha: np.ndarray, variational: bool) -> np.ndarray:
    """E[log p] under Dirichlet(alpha) (last axis), or log of its mean."""
    total = alpha.sum(-1, keepdims=True)
    if variational:
        from scipy.special import digamma

        return digamma(alpha) - digamma(total)
    return np.log(alpha / total)


class _VoteSums:
    """The two sums over votes of the EM as sparse products, each vote added in input order.

    ``expected_counts`` adds each vote's item posterior to its (annotator, label) cell and
    ``item_sums`` each vote's log confusion column to its item: the same additions, in the same
    order from 0, as one ``np.bincount`` per class (so the same floats), without its per-class
    strided gathers.
    """

    def __init__(self, item, annotator, label, n_items, n_ann, k):
        from scipy.sparse import csr_matrix

        self.shape = (n_ann, k)
        cell = annotator * k + label
        ones = np.ones(len(cell))
        by_cell = np.argsort(cell, kind="stable")
        by_item = np.argsort(item, kind="stable")
        self.to_cells = csr_matrix((ones, item[by_cell], np.searchsorted(cell[by_cell], np.arange(n_ann * k + 1))),
                                   shape=(n_ann * k, n_items))
        self.to_items = csr_matrix((ones, cell[by_item], np.searchsorted(item[by_item], np.arange(n_items + 1))),
                                   shape=(n_items, n_ann * k))

    def expected_counts(self, post, soft):
        """``(n_ann + 1) x k x k`` expected counts, true class x given label; the soft voter last."""
        n_ann, k = self.shape
        counts = np.zeros((n_ann + 1, k, k))
        counts[:n_ann] = (self.to_cells @ np.ascontiguousarray(post)).reshape(n_ann, k, k).transpose(0, 2, 1)
        counts[n_ann] = post.T @ soft
        return counts

    def item_sums(self, log_conf):
        """Per item and true class: the sum over its votes of ``log_conf[annotator, class, label]``."""
        n_ann, k = self.shape
        return self.to_items @ np.ascontiguousarray(log_conf.transpose(0, 2, 1).reshape(n_ann * k, k))


def _pooled_posterior(counts, strength, variational):
    """Fixed prior: ``strength`` pseudo-labels per row shaped like the pooled confusion."""
    pooled = counts[:-1].sum(0) + 1.0
    pooled /= pooled.sum(1, keepdims=True)
    alpha = counts + strength * pooled + 1e-3
    return _expected_log(alpha, variational), alpha / alpha.sum(-1, keepdims=True)


class _Communities:
    """Two-community Dirichlet prior over confusion matrices, fitted by empirical Bayes.

    Community 0 starts diligent (90% on the diagonal), community 1 careless
    (labels independent of the truth); both then follow the data. Each round
    re-weighs every annotator's membership by the Dirichlet-multinomial
    likelihood of their expected counts and moves each community's Dirichlet
    rows by a few of Minka's fixed-point steps, weighted by membership. The
    posterior of a confusion matrix is the membership-weighted mixture of
    Dirichlets; the soft voter (a model, not a crowd member) gets a flat prior.
    """

    # Fixed-point steps per EM round (warm-started, so they accumulate). A community
    # whose members look alike has no finite best concentration; it keeps growing
    # slowly towards the cap, which moves the posteriors little.
    steps = 10

    def __init__(self, n_ann: int, k: int) -> None:
        diligent = 0.9 * np.eye(k) + 0.1 / k
        self.alpha = np.stack([diligent, np.full((k, k), 1.0 / k)]) * 4.0
        self.weight = np.array([0.5, 0.5])
        self.member = np.full((n_ann, 2), 0.5)

    def posterior(self, counts, variational):
        """E[log confusion] and posterior-mean confusion for every voter."""
        crowd = counts[:-1]
        loglik = np.stack([_dm_loglik(crowd, a).sum(1) for a in self.alpha], 1)
        loglik += np.log(self.weight)
        member = np.exp(loglik - loglik.max(1, keepdims=True))
        self.member = member / member.sum(1, keepdims=True)
        self.weight = np.clip(self.member.mean(0), 1e-6, None)
        self.weight /= self.weight.sum()
        for g in range(len(self.alpha)):
            self.alpha[g] = _fit_dirichlet_rows(crowd, self.alpha[g], self.member[:, g],
                                                self.steps)
        log_conf = np.zeros(counts.shape)
        conf = np.zeros(counts.shape)
        for g, a in enumerate(self.alpha):
            share = self.member[:, g, None, None]
            log_conf[:-1] += share * _expected_log(crowd + a, variational)
            conf[:-1] += share * (crowd + a) / (crowd + a).sum(-1, keepdims=True)
        flat = counts[-1] + 1.0
        log_conf[-1] = _expected_log(flat, variational)
        conf[-1] = flat / flat.sum(-1, keepdims=True)
        return log_conf, conf


def _dm_loglik(counts: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Dirichlet-multinomial log-likelihood per annotator and row (no multinomial term)."""
    from scipy.special import gammaln

    total = alpha.sum(-1)
    return (gammaln(total) - gammaln(total + counts.sum(-1))
            + (gammaln(alpha + counts) - gammaln(alpha)).sum(-1))


def _fit_dirichlet_rows(counts, alpha, weight, steps):
    """Minka's fixed-point update of Dirichlet-multinomial rows from weighted count rows."""
    from scipy.special import digamma

    n = counts.sum(-1)
    for _ in range(steps):
        num = np.einsum("j,jck->ck", weight, digamma(counts + alpha) - digamma(alpha))
        den = weight @ (digamma(n + alpha.sum(-1)) - digamma(alpha.sum(-1)))
        alpha = np.clip(alpha * num / np.maximum(den, 1e-12)[:, None], 1e-3, None)
        over = alpha.sum(-1, keepdims=True) / _MAX_CONCENTRATION
        alpha = alpha / np.maximum(over, 1.0)
    return alpha


def voter_skill(confusion: np.ndarray) -> float:
    """Chance-corrected balanced accuracy of one confusion matrix (0 = chance, 1 = perfect).

    Examples
    --------
    >>> voter_skill(np.array([[0.9, 0.1], [0.2, 0.8]]))
    0.7
    """
    k = confusion.shape[0]
    balanced = float(np.trace(confusion)) / k
    return round((balanced - 1.0 / k) / (1.0 - 1.0 / k), 12)


def consensus(item, annotator, label, shape, *, soft=None, prior_strength=None,
              min_model_skill=0.2) -> tuple[np.ndarray, float | None, bool]:
    """Dawid–Skene posterior, with the soft voter kept only if it beats chance clearly.

    The soft voter (the proxy model) first votes with a learned confusion
    matrix; if that matrix's :func:`voter_skill` is below ``min_model_skill``
    its vote is mostly noise, so the EM is run again without it.

    Returns
    -------
    posterior : numpy.ndarray
    skill : float or None
        The soft voter's estimated skill (None without a soft voter).
    used : bool
        Whether the returned posterior includes the soft vote.
    """
    if soft is None or not soft.any():
        post, _ = dawid_skene(item, annotator, label, shape, prior_strength=prior_strength)
        return post, None, False
    post, conf = dawid_skene(item, annotator, label, shape, soft=soft,
                             prior_strength=prior_strength)
    skill = voter_skill(conf[-1])
    if skill >= min_model_skill:
        return post, skill, True
    post, _ = dawid_skene(item, annotator, label, shape, prior_strength=prior_strength)
    return post, skill, False


def posterior_accuracy(post, item, annotator, label, n_ann) -> np.ndarray:
    """Each annotator's expected accuracy: mean posterior probability of their own labels."""
    n_labels = np.bincount(annotator, minlength=n_ann)
    hits = np.bincount(annotator, weights=post[item, label], minlength=n_ann)
    return hits / np.maximum(n_labels, 1)


def weighted_agreement(item, annotator, label, cons, weight, n_items) -> np.ndarray:
    """Per item: quality-weighted share of votes for the consensus (NaN below 2 votes)."""
    n = np.bincount(item, minlength=n_items)
    w = weight[annotator]
    agree = np.bincount(item, weights=w * (label == cons[item]), minlength=n_items)
    total = np.bincount(item, weights=w, minlength=n_items)
    return np.where(n >= 2, agree / np.maximum(total, 1e-12), np.nan)


def crowdlab_quality(item, annotator, label, probs, n_ann) -> np.ndarray | None:
    """cleanlab CROWDLAB annotator quality, or None where its method does not apply."""
    if (probs.sum(1) == 0).any() or n_ann < 2 or probs.shape[1] < 2:
        return None
    if np.bincount(item).max() < 2 or probs.shape[0] * n_ann * probs.shape[1] > _CLEANLAB_MAX_CELLS:
        return None
    import pandas as pd
    from cleanlab.multiannotator import get_label_quality_multiannotator

    matrix = np.full((probs.shape[0], n_ann), np.nan)
    matrix[item, annotator] = label
    state = np.random.get_state()  # cleanlab breaks vote ties with the global RNG: seed it, then restore
    np.random.seed(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = get_label_quality_multiannotator(
                pd.DataFrame(matrix), probs / probs.sum(1, keepdims=True),
                return_detailed_quality=False, verbose=False)
    except ValueError as exc:  # cleanlab rejects some layouts (e.g. every multi-vote item tied); the EM still applies
        log.info("cleanlab CROWDLAB quality not used (%s); annotator quality comes from the Dawid-Skene EM alone", exc)
        return None
    finally:
        np.random.set_state(state)
    stats = res["annotator_stats"].sort_index()
    return stats["annotator_quality"].to_numpy(dtype=float)


def krippendorff_alpha(counts: np.ndarray) -> float | None:
    """Nominal alpha from an items x classes count matrix (pairable items only)."""
    import krippendorff

    pairable = counts[counts.sum(1) >= 2]
    if len(pairable) == 0 or (pairable.sum(0) > 0).sum() < 2:
        return None
    if pairable.size * pairable.shape[1] <= 1e7:  # the package builds items x classes x classes arrays
        return float(krippendorff.alpha(value_counts=pairable, level_of_measurement="nominal"))
    return nominal_alpha(pairable)


def nominal_alpha(counts: np.ndarray) -> float:
    """Closed form of nominal alpha in O(items x classes) memory.

    With ``m_u`` values in unit u, ``n_uc`` of class c, ``n_c`` the class totals and
    ``n`` all pairable values: alpha = 1 - (n - 1) * sum_u (m_u^2 - sum_c n_uc^2) / (m_u - 1)
    / (n^2 - sum_c n_c^2) (Krippendorff 2011, coincidence matrix for nominal data).

    Examples
    --------
    >>> round(nominal_alpha(np.array([[2, 0], [0, 2], [1, 1]])), 4)
    0.4444
    """
    m = counts.sum(1)
    observed = ((m ** 2 - (counts ** 2).sum(1)) / (m - 1)).sum()
    totals = counts.sum(0)
    n = totals.sum()
    return float(1.0 - (n - 1) * observed / (n ** 2 - (totals ** 2).sum()))


def alpha_reading(alpha: float | None) -> str | None:
    """Krippendorff's reading of an alpha: reliable, tentative or unreliable."""
    if alpha is None:
        return None
    return "reliable" if alpha >= 0.8 else "tentative" if alpha >= 0.667 else "unreliable"
