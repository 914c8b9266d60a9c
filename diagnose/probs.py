"""Out-of-sample class probabilities from a proxy model.

When the user gives no ``prob_<class>`` columns for the training table, a
logistic-regression proxy on the shared embeddings is fitted with stratified
K-fold cross-validation, so every training row is scored by a model that
never saw it (what confident learning needs). Eval rows without
probabilities are scored by the proxy fitted on all training rows. On large
tables each fit uses a class-stratified sample of at most
:data:`MAX_FIT_ROWS` rows, so the cost grows linearly (prediction only).
"""
from __future__ import annotations

import logging

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from tqdm.auto import tqdm

__all__ = ["cross_val_probs", "fit_predict_probs", "fold_indices", "fold_probs", "cap_rows", "effective_folds",
           "MAX_FIT_ROWS"]

log = logging.getLogger(__name__)

#: rows the proxy is fitted on at most per fold: a 20k-row class-stratified
#: sample gives nearly the accuracy of the full fold (see
#: ``benchmarks/results/scale.md``) at a bounded cost
MAX_FIT_ROWS = 20_000


def _model(seed: int) -> LogisticRegression:
    return LogisticRegression(C=10.0, max_iter=300, random_state=seed)


def fold_indices(y: np.ndarray, n_classes: int, *, folds: int = 5, seed: int = 0,
                 max_fit_rows: int | None = MAX_FIT_ROWS) -> list[tuple[np.ndarray, np.ndarray]]:
    """The seeded ``(fit, held-out)`` row splits of :func:`cross_val_probs` (shared by every engine).

    When the fits are capped at ``max_fit_rows``, only as many folds are used
    as keep every fit set at least that large: more folds would fit the same
    number of rows more often, adding cost but no accuracy.
    """
    folds = effective_folds(len(y), folds, max_fit_rows)
    counts = np.bincount(y, minlength=n_classes)
    folds = int(max(2, min(folds, counts[counts > 0].min()))) if counts[counts > 0].min() >= 2 else 2
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    strat = y if counts[counts > 0].min() >= folds else np.zeros_like(y)
    return list(splitter.split(np.zeros((len(y), 1)), strat))


def effective_folds(n_rows: int, folds: int, max_fit_rows: int | None) -> int:
    """Folds actually used: ``folds``, or fewer (at least 2) when every fit is capped anyway."""
    if max_fit_rows is None or n_rows <= max_fit_rows:
        return folds
    needed = int(np.ceil(n_rows / max(n_rows - max_fit_rows, 1)))
    return int(min(folds, max(2, needed)))


def cap_rows(rows: np.ndarray, y: np.ndarray, max_rows: int | None, *, seed: int = 0, min_per_class: int = 25) -> np.ndarray:
    """A seeded, class-stratified subsample of ``rows`` of about ``max_rows`` rows.

    Every class keeps its share of the cap and at least ``min_per_class`` rows
    (all of them when it has fewer). Returns ``rows`` itself when no cap applies.
    """
    if max_rows is None or len(rows) <= max_rows:
        return rows
    rng = np.random.default_rng(seed)
    shuffled = rows[rng.permutation(len(rows))]
    labels = y[shuffled]
    order = np.argsort(labels, kind="stable")
    counts = np.bincount(labels, minlength=int(y.max()) + 1)
    rank = np.empty(len(shuffled), dtype=np.int64)
    rank[order] = np.arange(len(shuffled)) - np.repeat(np.cumsum(counts) - counts, counts)
    quota = np.maximum(np.ceil(counts * max_rows / len(rows)), min_per_class)
    return np.sort(shuffled[rank < quota[labels]])


def fold_probs(x: np.ndarray, y: np.ndarray, fit_rows: np.ndarray, held_rows: np.ndarray, n_classes: int,
               *, seed: int = 0, max_fit_rows: int | None = MAX_FIT_ROWS) -> np.ndarray:
    """Fit the proxy on ``fit_rows`` (capped) and return raw probabilities of ``held_rows``."""
    rows = cap_rows(fit_rows, y, max_fit_rows, seed=seed)
    if np.unique(y[rows]).size < 2:  # tiny tables: a fold can hold one class only; use its add-one class shares
        prior = (np.bincount(y[rows], minlength=n_classes) + 1.0) / (len(rows) + n_classes)
        return np.tile(prior, (len(held_rows), 1))
    model = _model(seed).fit(x[rows], y[rows])
    return predict_expanded(model, x, held_rows, n_classes)


def predict_expanded(model: LogisticRegression, x: np.ndarray, rows: np.ndarray | None, n_classes: int,
                     batch: int = 50_000) -> np.ndarray:
    """Probabilities over all ``n_classes`` for ``x[rows]``, predicted in batches."""
    rows = np.arange(len(x)) if rows is None else rows
    out = np.zeros((len(rows), n_classes), dtype=np.float64)
    for start in range(0, len(rows), batch):
        part = rows[start:start + batch]
        out[start:start + len(part), model.classes_] = model.predict_proba(x[part])
    return out


def cross_val_probs(x: np.ndarray, y: np.ndarray, n_classes: int, *, folds: int = 5, seed: int = 0,
                    max_fit_rows: int | None = MAX_FIT_ROWS, progress: bool = False) -> np.ndarray:
    """Out-of-fold probabilities for every row of ``x`` (labels ``y`` as ints).

    Each fold's model is fitted on at most ``max_fit_rows`` rows (a seeded,
    class-stratified sample of the other folds) and only as many folds are
    used as keep each fit at that size (see :func:`effective_folds`), so the
    cost stays bounded on large tables; tables whose folds fit under the cap
    are fitted on every row of the other folds, as before.

    Examples
    --------
    >>> x = np.array([[0.0, 1], [0, 1.1], [1, 0], [1.1, 0], [0, 0.9], [0.9, 0]])
    >>> p = cross_val_probs(x, np.array([0, 0, 1, 1, 0, 1]), 2, folds=2)
    >>> p.shape, bool(np.allclose(p.sum(1), 1))
    ((6, 2), True)
    """
    splits = fold_indices(y, n_classes, folds=folds, seed=seed, max_fit_rows=max_fit_rows)
    out = np.zeros((len(y), n_classes))
    for fold, (fit_idx, held_idx) in enumerate(tqdm(splits, desc="proxy model folds", unit="fold",
                                                    disable=not progress, leave=False)):
        log.debug("proxy model fold %d/%d", fold + 1, len(splits))
        out[held_idx] = fold_probs(x, y, fit_idx, held_idx, n_classes, seed=seed, max_fit_rows=max_fit_rows)
    return _smooth(out)


def fit_predict_probs(x: np.ndarray, y: np.ndarray, queries: np.ndarray, n_classes: int, *, seed: int = 0,
                      max_fit_rows: int | None = MAX_FIT_ROWS) -> np.ndarray:
    """Fit the proxy on all rows (at most ``max_fit_rows``) and return probabilities for ``queries``."""
    rows = cap_rows(np.arange(len(y)), y, max_fit_rows, seed=seed)
    model = _model(seed).fit(x[rows], y[rows])
    return _smooth(predict_expanded(model, queries, None, n_classes))


def _smooth(p: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Add ``eps`` and renormalise rows, in place (large matrices are not copied)."""
    p += eps
    p /= p.sum(axis=1, keepdims=True)
    return p
