"""The votes line of coverage_gap on hand-made posteriors (no pipeline run)."""
from __future__ import annotations

import numpy as np

from diagnose._vote_anchor import pooled_reliability
from diagnose.causes.coverage_gap._coverage_votes import unseen_posterior, votes_line


def _post(codes, gold, classes=("a", "b", "c", "d"), spread=(2.0, 0.9, 0.1), prior=None):
    codes = np.asarray(codes)
    n = len(codes)
    return {"classes": list(classes), "codes": codes, "rel": np.where(codes >= 0, 1.0, 0.0), "spread": spread,
            "n_votes": (codes >= 0).sum(axis=1), "gold": np.asarray(gold),
            "prior": np.tile(np.eye(len(classes))[0] * 0.5 + 0.5 / len(classes), (n, 1)) if prior is None else prior}


def test_more_votes_for_a_class_without_training_rows_raise_the_posterior():
    unseen = np.array([False, False, False, True])
    codes = np.array([[3, 3, 3], [3, 3, 0], [3, 0, 1], [0, 0, 1]])
    p = unseen_posterior(codes, np.full(codes.shape, 0.8), unseen)
    assert p[0] > p[1] > p[2] > p[3]
    assert p[0] > 0.99 and p[3] < 0.05


def test_no_line_when_every_class_has_training_rows():
    post = _post([[0, 1], [1, 1]], [0, 1])
    out = votes_line(post, {"a", "b", "c", "d"}, ["a", "b"], ["b", "a"], np.array([True, True]), seed=0)
    assert out is None


def test_a_class_without_training_rows_is_read_from_the_votes():
    # the votes name 'd', which no training label carries
    prior = np.tile([[0.1, 0.7, 0.1, 0.1], [0.7, 0.1, 0.1, 0.1]], (20, 1))  # the model gets the second kind right
    post = _post([[3, 3, 3], [0, 0, 1]] * 20, [0, 0] * 20, prior=prior)
    is_error = np.ones(40, dtype=bool)
    scores, reference, notes = votes_line(post, {"a", "b", "c"}, ["a"] * 40, ["b"] * 40, is_error, seed=0)
    assert scores[0] > 0.9 and scores[1] < 0.1
    assert "'d', a class with no training rows" in notes[0] and notes[1] is None
    assert len(reference) == 5 * 40 and np.mean(reference > 0.5) < 0.05  # replayed on 'a', the gold
    # unless the run's classes say 'd' is no class at all (an "unsure" button, a typo): then no line
    assert votes_line(post, {"a", "b", "c"}, ["a"] * 40, ["b"] * 40, is_error, seed=0, known={"a", "b", "c"}) is None


def test_the_anchor_caps_a_fitted_reliability_only_when_asked():
    # 40 items with two votes each (the spread can be fitted), the gold named by half the votes
    codes = np.array([[0, 1]] * 40)
    post = _post(codes, np.zeros(40, int), spread=(2.0, 0.95, 0.1))
    assert pooled_reliability(post) == 0.95
    assert pooled_reliability(post, always=True) == 0.5


def test_no_verdict_from_the_prior_alone_when_no_vote_names_a_missing_class():
    # 4 of 6 classes have no training rows and the annotators are careless: one vote for a class with
    # training rows leaves the flat prior's 4/6 near 0.5, but nothing in the votes points at a gap
    classes = ("a", "b", "c", "d", "e", "f")
    prior = np.tile([0.5, 0.1, 0.1, 0.1, 0.1, 0.1], (30, 1))
    post = _post([[0], [1]] * 15, [1, 0] * 15, classes=classes, spread=(2.0, 0.2, 0.1), prior=prior)
    assert unseen_posterior(post["codes"], np.full((30, 1), 0.2), np.array([False, False, True, True, True, True]))[0] > 0.5
    scores, _, notes = votes_line(post, {"a", "b"}, ["b", "a"] * 15, ["a", "b"] * 15, np.ones(30, bool), seed=0)
    assert (scores == 0).all() and all(n is None for n in notes)
