"""The taught line's precision reads label crossings of training rows against eval rows.

Hand-made counts and neighbour tables: a class pair that crosses as often among the eval gold
labels as among the training labels is overlap, not noise; flagged rows do not vote.
"""
from __future__ import annotations

import numpy as np

from diagnose.causes.noisy_label._taught import crossings, excess_precision, neighbour_vote
from diagnose.core import Neighbors


def test_a_pair_that_crosses_as_often_in_the_eval_gold_is_overlap_not_noise():
    train = np.array([[300, 100], [0, 400]])   # a quarter of class 0's training rows vote 1
    same = np.array([[150, 50], [0, 200]])     # and so do a quarter of its eval rows
    fewer = np.array([[195, 5], [0, 200]])     # against 1 in 40 of its eval rows
    assert excess_precision(train, same)[0, 1] == 0.0
    assert excess_precision(train, fewer)[0, 1] > 0.7


def test_no_eval_gold_for_the_class_states_nothing():
    train = np.array([[30, 10], [0, 40]])
    evals = np.array([[0, 0], [0, 20]])
    q = excess_precision(train, evals)
    assert q[0, 1] == 0.0 and q[0, 0] == 0.0 and q[1, 1] == 0.0


def test_flagged_rows_do_not_vote_and_rows_without_a_vote_are_left_out():
    # query 0's neighbours: two rows labelled 1 (flagged) and one labelled 0; query 1 has no similar row
    nb = Neighbors(np.array([[0, 1, 2], [0, 1, 2]]), np.array([[0.9, 0.8, 0.5], [0.0, -0.1, 0.0]], dtype=np.float32))
    labels = np.array([1, 1, 0])
    assert neighbour_vote(nb, labels, 3, 2).tolist() == [1, -1]
    assert neighbour_vote(nb, labels, 3, 2, voters=np.array([False, False, True])).tolist() == [0, -1]
    assert crossings(np.array([0, 0]), np.array([1, -1]), 2).tolist() == [[0, 1], [0, 0]]
