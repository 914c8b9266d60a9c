"""noisy_label's evidence reads one-way flips and rejected golds, not size or ambiguity.

Two traps the lines guard against, on hand-made inputs:

* a rare class next to a common one is confused about as many times each way; as rates of their
  own class sizes that looks one-way (the rare class's rate is large), so the class-pair line
  compares counts unless the rare class is rarer in training than in the eval gold (the mark that
  flips out of it leave);
* a gold label that people split on (3 of 4 votes for another class) is an ambiguous item, not a
  wrong gold: the gold_votes line's reference replays split items too.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import polars as pl

from diagnose.causes.noisy_label._gold_votes import split_share
from diagnose.causes.noisy_label._pairs import _rate_lower_bound, _reverse_rate, _shortfall
from diagnose.votes import VoteTable, simulate

CLASSES = ("common", "rare", "other")


def _data(eval_counts: dict[str, int]) -> SimpleNamespace:
    gold = [c for c, n in eval_counts.items() for _ in range(n)]
    return SimpleNamespace(classes=CLASSES, eval=pl.DataFrame({"label": gold}))


def _pair_evidence(joint: np.ndarray, labels: np.ndarray, eval_counts: dict[str, int]) -> float:
    """The pair line's one-way excess for errors with gold ``rare`` predicted ``common``."""
    size = joint.sum(axis=0, keepdims=True)
    rate = joint / size
    np.fill_diagonal(rate, 0.0)
    low = _rate_lower_bound(joint)
    back = _reverse_rate(joint, _shortfall(_data(eval_counts), labels, 3), rate, low)
    return float(low[0, 1] - back[0, 1])


# training labels: 800 common, 100 rare, 100 other; the confident joint confuses common and rare
# 45 times each way (joint[given, true])
JOINT = np.array([[700, 45, 5], [45, 55, 5], [55, 0, 90]])
LABELS = np.repeat([0, 1, 2], [800, 100, 100])


def test_a_rare_class_confused_both_ways_as_often_is_not_a_one_way_flip():
    same_shares = {"common": 400, "rare": 50, "other": 50}  # the eval gold is distributed like training
    assert _pair_evidence(JOINT, LABELS, same_shares) <= 0.0


def test_a_rare_class_that_lost_training_rows_is_a_one_way_flip():
    rarer_in_training = {"common": 340, "rare": 110, "other": 50}  # rare: 10% of training, 22% of eval
    assert _pair_evidence(JOINT, LABELS, rarer_in_training) > 0.1


def test_shortfall_ignores_classes_without_training_rows():
    labels = np.repeat([0, 1], [50, 50])  # "other" has no training rows: a coverage gap, not a flip
    shortfall = _shortfall(_data({"common": 20, "rare": 20, "other": 60}), labels, 3)
    assert np.allclose(shortfall, 0.0, atol=0.05)


def test_split_items_make_three_of_four_votes_against_the_gold_common_in_the_reference():
    votes = [[("a", "x"), ("b", "y"), ("c", "y"), ("d", "y")]] * 50
    table = VoteTable(votes, dict.fromkeys("abcd", 0.9), 10)
    rows = np.arange(50)
    clear = simulate(table, rows, "share_against", seed=0)
    split = simulate(table, rows, "share_against", seed=0, share=0.5)
    assert (clear >= 0.75).mean() < 0.01  # reliable annotators rarely outvote a right, clear gold
    assert (split >= 0.75).mean() > 0.1  # half the items split: 3 of 4 against the gold is ordinary
    post = {"p_ambiguous": np.linspace(0.0, 1.0, 50), "n_votes": np.full(50, 4)}
    assert abs(split_share(post, rows) - 0.5) < 1e-9
    assert split_share(None, rows) == 0.0


def _single_votes(votes: list[str]) -> dict:
    """Ten training rows labelled ``rare`` that look ``common`` (their suggested label), one vote each."""
    from diagnose.causes.noisy_label._pairs import _single_vote_kept

    ids = [f"t{i}" for i in range(len(votes))]
    data = SimpleNamespace(train=pl.DataFrame({"id": ids, "label": ["rare"] * len(ids)}),
                           annotations=pl.DataFrame({"id": ids, "annotator": ["a"] * len(ids), "label": votes}))
    return _single_vote_kept(data, {c: i for i, c in enumerate(CLASSES)}, np.array(["common"] * len(ids), dtype=object))


def test_single_votes_read_a_flow_as_a_mistake_or_as_opinion():
    mistake = _single_votes(["common"] * 9 + ["rare"])      # annotators name the other class: a labelling mistake
    opinion = _single_votes(["common"] * 5 + ["rare"] * 5)  # they back the given label half the time: opinion
    assert mistake[(1, 0)] > 0.9 and opinion[(1, 0)] < 0.1


def test_votes_that_are_the_labels_own_source_tell_nothing():
    assert _single_votes(["rare"] * 10) == {}
