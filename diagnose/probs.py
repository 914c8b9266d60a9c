"""Out-of-sample class probabilities from a proxy model.

When the user gives no ``prob_<class>`` columns for the training table, a
logistic-regression proxy on the shared embeddings is fitted with stratified
K-fold cross-validation, so every training row is scored by a model that
never saw it (what confident learning needs). Eval rows without
probabilities are scored by the proxy fitted on all training rows.
"""
from __future__ import annotations

import logging

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

__all__ = ["cross_val_probs", "fit_predict_probs"]

log = logging.getLogger(__name__)


def _model(seed: int) -> LogisticRegression:
    return LogisticRegression(C=10.0, max_iter=300, random_state=seed)


def _expand(probs: np.ndarray, model_classes: np.ndarray, n_classes: int) -> np.ndarray:
    out = np.zeros((probs.shape[0], n_classes), dtype=np.float64)
    out[:, model_classes] = probs
    return out


def cross_val_probs(x: np.ndarray, y: np.ndarray, n_classes: int, *, folds: int = 5, seed: int = 0) -> np.ndarray:
    """Out-of-fold probabilities for every row of ``x`` (labels ``y`` as ints).

    Examples
    --------
    >>> x = np.array([[0.0, 1], [0, 1.1], [1, 0], [1.1, 0], [0, 0.9], [0.9, 0]])
    >>> p = cross_val_probs(x, np.array([0, 0, 1, 1, 0, 1]), 2, folds=2)
    >>> p.shape, bool(np.allclose(p.sum(1), 1))
    ((6, 2), True)
    """
    counts = np.bincount(y, minlength=n_classes)
    folds = int(max(2, min(folds, counts[counts > 0].min()))) if counts[counts > 0].min() >= 2 else 2
    out = np.zeros((len(y), n_classes))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    strat = y if counts[counts > 0].min() >= folds else np.zeros_like(y)
    for fold, (fit_idx, held_idx) in enumerate(splitter.split(x, strat)):
        log.info("proxy model fold %d/%d", fold + 1, folds)
        model = _model(seed).fit(x[fit_idx], y[fit_idx])
        out[held_idx] = _expand(model.predict_proba(x[held_idx]), model.classes_, n_classes)
    return _smooth(out)


def fit_predict_probs(x: np.ndarray, y: np.ndarray, queries: np.ndarray, n_classes: int, *, seed: int = 0) -> np.ndarray:
    """Fit the proxy on all rows and return probabilities for ``queries``."""
    model = _model(seed).fit(x, y)
    return _smooth(_expand(model.predict_proba(queries), model.classes_, n_classes))


def _smooth(p: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    p = p + eps
    return p / p.sum(axis=1, keepdims=True)
