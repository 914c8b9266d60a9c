"""Out-of-sample probabilities: folds that miss a class."""
from __future__ import annotations

import numpy as np

from diagnose.probs import cross_val_probs, fold_probs


def test_fold_with_one_class_gets_class_shares():
    x = np.eye(3)
    p = fold_probs(x, np.array([0, 1, 0]), np.array([0, 2]), np.array([1]), 2)
    assert np.allclose(p, [[0.75, 0.25]])
    assert np.allclose(cross_val_probs(x, np.array([0, 1, 0]), 2).sum(1), 1.0)
