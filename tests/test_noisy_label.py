"""Tests of the noisy_label analyzer on small synthetic data (no shared data)."""
from __future__ import annotations

import numpy as np
import polars as pl

from diagnose.analyzers.base import Prepared
from diagnose.analyzers.noisy_label import NoisyLabel
from diagnose.neighbors import search

CLASSES = ("a", "b", "c")


def _data(seed: int = 0):
    """Three separated clusters of 40 training rows; 6 training labels flipped."""
    rng = np.random.default_rng(seed)
    n, k = 120, len(CLASSES)
    true = np.repeat(np.arange(k), n // k)
    centers = np.eye(k, 16) * 4
    x = centers[true] + 0.5 * rng.normal(size=(n, 16))
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    given = true.copy()
    flipped = rng.choice(n, 6, replace=False)
    given[flipped] = (true[flipped] + 1) % k
    probs = rng.dirichlet(np.ones(k), size=n) * 0.3
    probs[np.arange(n), true] += 0.7
    train = pl.DataFrame({"id": [f"t{i}" for i in range(n)], "text": [f"row {i}" for i in range(n)],
                          "label": [CLASSES[i] for i in given]})
    # eval: 9 rows, one per class correct, plus wrong golds with low model probability
    ev_true = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2])
    ev_gold = ev_true.copy()
    ev_gold[6:] = (ev_true[6:] + 1) % k  # planted wrong golds
    ev_probs = np.full((9, k), 0.05)
    ev_probs[np.arange(9), ev_true] = 0.9
    ev_x = (centers[ev_true] + 0.5 * rng.normal(size=(9, 16))).astype(np.float32)
    ev_x /= np.linalg.norm(ev_x, axis=1, keepdims=True)
    pred = ev_probs.argmax(1)
    ev = pl.DataFrame({"id": [f"e{i}" for i in range(9)], "text": [f"q {i}" for i in range(9)],
                       "label": [CLASSES[i] for i in ev_gold], "prediction": [CLASSES[i] for i in pred],
                       "is_error": ev_gold != pred})
    data = Prepared(task="classification", eval=ev, train=train, classes=CLASSES, eval_probs=ev_probs,
                    train_probs=probs / probs.sum(1, keepdims=True), eval_embeddings=ev_x, train_embeddings=x,
                    eval_neighbors=search(ev_x, x, k=10), train_neighbors=search(x, x, k=10, exclude_self=True))
    return data, flipped


def test_contract():
    data, _ = _data()
    out = NoisyLabel().fit(data).score(data)
    assert out.columns == ["id", "score_noisy_label", "evidence_noisy_label"]
    assert out.get_column("id").to_list() == data.eval.get_column("id").to_list()
    scores = out.get_column("score_noisy_label").drop_nulls().to_numpy()
    assert len(scores) == data.eval.height and np.all((scores >= 0) & (scores <= 1))


def test_finds_flipped_training_labels():
    data, flipped = _data()
    analyzer = NoisyLabel().fit(data)
    issues = analyzer.tables()["train_issues"]
    assert issues.columns == ["id", "label", "is_label_issue", "label_quality", "suggested_label", "annotator_support"]
    flagged = set(np.flatnonzero(issues.get_column("is_label_issue").to_numpy()))
    q = issues.get_column("label_quality").to_numpy()
    assert np.all((q >= 0) & (q <= 1))
    assert set(np.argsort(q)[: len(flipped)]) == set(flipped)  # flips have the lowest quality
    assert len(flagged & set(flipped)) >= 4 and len(flagged - set(flipped)) <= 1
    suggested = issues.get_column("suggested_label").to_list()
    true = [CLASSES[(CLASSES.index(issues.get_column("label")[int(i)]) - 1) % 3] for i in flipped]
    assert [suggested[i] for i in flipped] == true


def test_finds_wrong_eval_golds_with_evidence():
    data, _ = _data()
    out = NoisyLabel().fit(data).score(data)
    scores = out.get_column("score_noisy_label").to_numpy()
    assert scores[6:].min() > scores[:6].max()
    assert all("looks wrong" in e for e in out.get_column("evidence_noisy_label").to_list()[6:])


def test_eval_gold_only_without_train():
    data, _ = _data()
    bare = Prepared(task="classification", eval=data.eval, classes=CLASSES, eval_probs=data.eval_probs)
    analyzer = NoisyLabel()
    assert analyzer.skip_reason(bare) is None
    scores = analyzer.fit(bare).score(bare).get_column("score_noisy_label").to_numpy()
    np.testing.assert_allclose(scores, 1 - data.eval_probs[np.arange(9), [CLASSES.index(g) for g in data.eval.get_column("label")]])
