"""Out-of-sample probabilities: folds that miss a class."""
from __future__ import annotations

import numpy as np
import polars as pl

from diagnose.probs import cross_val_probs, fold_probs


def test_fold_with_one_class_gets_class_shares():
    x = np.eye(3)
    p = fold_probs(x, np.array([0, 1, 0]), np.array([0, 2]), np.array([1]), 2)
    assert np.allclose(p, [[0.75, 0.25]])
    assert np.allclose(cross_val_probs(x, np.array([0, 1, 0]), 2).sum(1), 1.0)


def test_held_queries_are_scored_by_one_fold_model_each_like_held_out_training_rows():
    from diagnose.probs import _smooth, fold_indices, fold_model, predict_expanded, proxy_probs, query_folds

    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 20)
    x = rng.normal(size=(60, 4)) + y[:, None]
    queries = rng.normal(size=(17, 4)) + 1.0
    train, fitted, held = proxy_probs(x, y, None, 3, folds=3, seed=4, held_queries=queries)
    np.testing.assert_array_equal(train, cross_val_probs(x, y, 3, folds=3, seed=4))
    assert fitted is None
    fold = query_folds(len(queries), 3, seed=4)
    assert set(fold.tolist()) <= {0, 1, 2}
    for f, (fit, _) in enumerate(fold_indices(y, 3, folds=3, seed=4)):
        rows = np.flatnonzero(fold == f)
        want = _smooth(predict_expanded(fold_model(x, y, fit, 3, seed=4), queries, rows, 3))
        np.testing.assert_allclose(held[rows], want, rtol=1e-12)


def test_prepare_scores_the_eval_rows_with_the_fold_models_beside_the_users_probabilities(toy_train, toy_eval):
    """The gold_flip line compares eval rows with held-out training rows, so a run gives both the eval rows'
    own probabilities (the user's, or the proxy fitted on every row) and their fold-model scores."""
    import diagnose

    classes = sorted(set(toy_train.get_column("label").to_list()))
    probs = np.full((toy_eval.height, len(classes)), 1.0 / len(classes))
    given = toy_eval.with_columns(*[pl.Series(f"prob_{c}", probs[:, i]) for i, c in enumerate(classes)])
    data = diagnose.prepare(diagnose.load_inputs(given, toy_train))
    assert data.eval_held_probs.shape == data.eval_probs.shape
    np.testing.assert_allclose(data.eval_probs, probs)  # the user's, untouched
    assert not np.allclose(data.eval_held_probs, probs)  # the proxy's, row by row from one fold each
    np.testing.assert_allclose(data.eval_held_probs.sum(axis=1), 1.0)
    alone = diagnose.prepare(diagnose.load_inputs(toy_eval.drop("prediction"), None))
    assert alone.eval_held_probs is None
