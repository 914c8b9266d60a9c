"""The fast paths of the proxy model, the label refits and the character top-k (issue 18): same answers."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp


def _blobs(n: int = 600, d: int = 12, k: int = 5, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    centres = rng.normal(size=(k, d))
    x = (centres[y] + 1.5 * rng.normal(size=(n, d))).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x, y


def test_softmax_regression_has_scikit_learns_optimum():
    from sklearn.linear_model import LogisticRegression

    from diagnose.probs import SoftmaxRegression

    x, y = _blobs()
    ours = SoftmaxRegression(C=10.0, tol=1e-9, max_iter=5000).fit(x, y)
    theirs = LogisticRegression(C=10.0, tol=1e-10, max_iter=5000).fit(x.astype(np.float64), y)
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    np.testing.assert_allclose(ours.predict_proba(x), theirs.predict_proba(x), atol=2e-3)


def test_default_tolerance_stays_close_to_scikit_learn():
    from sklearn.linear_model import LogisticRegression

    from diagnose.probs import SoftmaxRegression

    x, y = _blobs(seed=1)
    ours = SoftmaxRegression().fit(x, y).predict_proba(x)
    theirs = LogisticRegression(C=10.0, max_iter=300).fit(x, y).predict_proba(x)
    assert np.abs(ours - theirs).sum(axis=1).mean() < 0.05
    assert (ours.argmax(1) == theirs.argmax(1)).mean() > 0.97


def test_classes_missing_from_a_fit_get_no_probability_before_smoothing():
    from diagnose.probs import fold_probs

    x, y = _blobs(k=4)
    fit = np.flatnonzero(y != 3)
    held = np.flatnonzero(y == 3)
    p = fold_probs(x, y, fit, held, 4)
    assert p.shape == (len(held), 4)
    assert np.all(p[:, 3] == 0.0)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)


def test_cross_validation_does_not_depend_on_the_threads():
    from diagnose.probs import cross_val_probs

    x, y = _blobs()
    np.testing.assert_array_equal(cross_val_probs(x, y, 5, n_jobs=1), cross_val_probs(x, y, 5, n_jobs=2))


def test_warm_start_reaches_the_cold_model_in_fewer_iterations():
    from diagnose.probs import SoftmaxRegression

    x, y = _blobs(n=2000, k=8)
    first = SoftmaxRegression().fit(x, y)
    keep = np.random.default_rng(0).random(len(y)) > 0.05
    cold = SoftmaxRegression().fit(x[keep], y[keep])
    warm = SoftmaxRegression().fit(x[keep], y[keep], init=first)
    assert warm.n_iter_ < cold.n_iter_
    np.testing.assert_allclose(warm.predict_proba(x), cold.predict_proba(x), atol=0.03)


def test_warm_started_refit_matches_a_cold_one():
    from diagnose.causes.noisy_label._label_rank import refit_models, refit_probs

    x, y = _blobs(n=900, k=5)
    first = np.ones(len(y), dtype=bool)
    first[:30] = False
    _, models = refit_models(x, y, first, 5, folds=3, seed=0)
    keep = first.copy()
    keep[30:60] = False
    warm, _ = refit_models(x, y, keep, 5, folds=3, seed=0, init=models)
    cold = refit_probs(x, y, keep, 5, folds=3, seed=0)
    assert np.abs(warm - cold).max() < 0.05
    assert (warm.argmax(1) == cold.argmax(1)).mean() > 0.98


@pytest.mark.parametrize(("dense_terms", "thread_work"), [(0, 0.0), (3, 1e8), (512, 0.0)])
def test_character_top_k_matches_the_plain_product(monkeypatch, dense_terms, thread_work):
    import diagnose.probs
    from diagnose.causes.coverage_gap import _coverage_features as features

    monkeypatch.setattr(features, "DENSE_TERMS", dense_terms)
    monkeypatch.setattr(diagnose.probs, "THREAD_WORK", thread_work)  # 0: threads even on this tiny table
    rng = np.random.default_rng(0)
    rare = sp.random(300, 37, density=0.15, random_state=1, format="csr", dtype=np.float32)
    base = sp.hstack([sp.csr_matrix(rng.random((300, 3)).astype(np.float32)), rare])  # 3 terms in every row
    base = sp.csr_matrix(base / np.maximum(sp.linalg.norm(base, axis=1), 1e-12)[:, None], dtype=np.float32)
    rows = np.arange(0, 300, 3)
    idx, sim = features.sparse_top_k(base[rows], base, 4, exclude=rows, block=7)
    scores = (base[rows] @ base.T).toarray()
    scores[np.arange(len(rows)), rows] = -np.inf
    expected = -np.sort(-scores, axis=1)[:, :4]
    np.testing.assert_allclose(sim, expected, atol=1e-5)
    np.testing.assert_allclose(np.take_along_axis(scores, idx, axis=1), expected, atol=1e-5)
    assert not np.any(idx == rows[:, None])


def test_nearest_in_group_is_the_same_on_threads(monkeypatch):
    import diagnose.probs
    from diagnose.causes.coverage_gap._coverage_features import nearest_in_group

    x, y = _blobs(n=300, k=6)
    groups = y.copy()
    groups[:10] = -1
    args = (x[:120], groups[:120], x, y)
    monkeypatch.setattr(diagnose.probs, "THREAD_WORK", 1e12)
    one = nearest_in_group(*args, exclude=np.arange(120), block=16)
    monkeypatch.setattr(diagnose.probs, "THREAD_WORK", 0.0)
    many = nearest_in_group(*args, exclude=np.arange(120), block=16)
    np.testing.assert_array_equal(one, many)
    assert np.isnan(one[:10]).all() and not np.isnan(one[10:]).any()
