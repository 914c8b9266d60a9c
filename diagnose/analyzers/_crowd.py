"""Numeric kernels for crowd labels: Dawid–Skene EM, annotator quality, agreement.

Everything here works on integer-coded NumPy arrays with one entry per
annotation (``item``, ``annotator``, ``label``) and trusts its inputs; the
analyzer in :mod:`diagnose.analyzers.annotator_inconsistency` validates and
encodes the user's tables.
"""
from __future__ import annotations

import warnings

import numpy as np

__all__ = ["dawid_skene", "consensus", "voter_skill", "posterior_accuracy",
           "crowdlab_quality", "weighted_agreement", "krippendorff_alpha", "alpha_reading"]

_CLEANLAB_MAX_CELLS = 50_000_000  # items x annotators x classes: CROWDLAB's working arrays grow with it


def dawid_skene(
    item: np.ndarray,
    annotator: np.ndarray,
    label: np.ndarray,
    shape: tuple[int, int, int],
    *,
    soft: np.ndarray | None = None,
    prior_strength: float = 1.0,
    variational: bool = True,
    max_iter: int = 200,
    tol: float = 1e-6,
) -> tuple[np.ndarray, np.ndarray]:
    """Dawid–Skene EM with a pooled Dirichlet prior and an optional soft voter.

    Parameters
    ----------
    item, annotator, label : numpy.ndarray
        One entry per annotation: item row, annotator row and class index.
    shape : tuple of int
        ``(n_items, n_annotators, n_classes)``.
    soft : numpy.ndarray, optional
        ``n_items x n_classes`` probabilities of one extra voter (a model);
        rows of zeros mean "no vote".
    prior_strength : float
        Pseudo-labels per true class pulling each confusion row towards the
        pooled confusion of all annotators.
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
        ``(n_annotators + 1) x n_classes x n_classes``; the last one is the soft voter's.

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
    for _ in range(max_iter):
        alpha = _m_step(post, item, annotator, label, soft, n_ann, prior_strength)
        log_conf = _expected_log(alpha, variational)
        log_post = np.tile(_expected_log(post.sum(0) + 1.0, variational), (n_items, 1))
        for c in range(k):
            log_post[:, c] += np.bincount(item, weights=log_conf[annotator, c, label],
                                          minlength=n_items)
        log_post += soft @ log_conf[-1].T
        new = np.exp(log_post - log_post.max(1, keepdims=True))
        new /= new.sum(1, keepdims=True)
        done = np.abs(new - post).max() < tol
        post = new
        if done:
            break
    return post, alpha / alpha.sum(-1, keepdims=True)


def _expected_log(alpha: np.ndarray, variational: bool) -> np.ndarray:
    """E[log p] under Dirichlet(alpha) (last axis), or log of its mean."""
    total = alpha.sum(-1, keepdims=True)
    if variational:
        from scipy.special import digamma

        return digamma(alpha) - digamma(total)
    return np.log(alpha / total)


def _m_step(post, item, annotator, label, soft, n_ann, strength):
    """Expected confusion counts per annotator, smoothed towards the pool."""
    k = post.shape[1]
    counts = np.zeros((n_ann + 1, k, k))
    for c in range(k):
        flat = np.bincount(annotator * k + label, weights=post[item, c],
                           minlength=n_ann * k)
        counts[:n_ann, c, :] = flat.reshape(n_ann, k)
    counts[n_ann] = post.T @ soft
    pooled = counts[:n_ann].sum(0) + 1.0
    pooled /= pooled.sum(1, keepdims=True)
    return counts + strength * pooled + 1e-3


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


def consensus(item, annotator, label, shape, *, soft=None, prior_strength=1.0,
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
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = get_label_quality_multiannotator(
                pd.DataFrame(matrix), probs / probs.sum(1, keepdims=True),
                return_detailed_quality=False, verbose=False)
    except ValueError as exc:  # cleanlab rejects some layouts; the EM still applies
        warnings.warn(f"cleanlab multiannotator skipped ({exc}); annotator quality "
                      "comes from the Dawid-Skene EM alone.", stacklevel=4)
        return None
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
