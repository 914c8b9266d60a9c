"""The three readings of an error (ambiguous item, wrong gold, model mistake) from votes and the model."""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from diagnose.causes.annotator_inconsistency.analyzer import AnnotatorInconsistency
from diagnose.core import Prepared
from diagnose.votes import ambiguity_posterior, fit_spread, smooth_prior, verdicts, vote_arrays

CLASSES = ("a", "b", "c", "d")


def _prepared(gold, pred, probs, votes) -> Prepared:
    ids = [f"i{n}" for n in range(len(gold))]
    ev = pl.DataFrame({"id": ids, "text": [f"text {i}" for i in ids], "label": gold, "prediction": pred,
                       "is_error": [g != p for g, p in zip(gold, pred)]})
    rows = [(ids[i], who, lab) for i, row in enumerate(votes) for who, lab in row]
    ann = pl.DataFrame(rows, schema=["id", "annotator", "label"], orient="row")
    return Prepared(task="classification", eval=ev, annotations=ann, classes=CLASSES, eval_probs=probs, seed=0)


def _confident(rng, labels, sure=0.9):
    probs = np.full((len(labels), len(CLASSES)), (1 - sure) / (len(CLASSES) - 1))
    probs[np.arange(len(labels)), [CLASSES.index(x) for x in labels]] = sure
    return probs


def test_every_item_splitting_3_2_at_random_is_not_all_ambiguous():
    # 300 items, 5 votes each from 12 annotators, always 3 for one class and 2 for another chosen at
    # random: a split that every item shows is annotator noise, not a property of any one item
    rng = np.random.default_rng(0)
    n = 300
    gold = [CLASSES[i] for i in rng.integers(0, 4, n)]
    pred = [g if rng.random() < 0.7 else CLASSES[(CLASSES.index(g) + 1) % 4] for g in gold]
    votes = []
    for _ in gold:
        first, second = rng.choice(4, 2, replace=False)
        labels = [CLASSES[first]] * 3 + [CLASSES[second]] * 2
        votes.append(list(zip([f"w{j}" for j in rng.choice(12, 5, replace=False)], rng.permutation(labels))))
    data = _prepared(gold, pred, _confident(rng, pred), votes)
    out = AnnotatorInconsistency(use_cleanlab=False).fit(data).score(data)
    readings = out.filter(pl.col("annotator_inconsistency_reading").is_not_null())["annotator_inconsistency_reading"]
    assert readings.len() > 50
    assert (readings == "ambiguous").mean() < 0.5


def test_one_clearly_mislabelled_item_among_reliable_annotators_reads_wrong_gold():
    rng = np.random.default_rng(1)
    n = 120
    true = [CLASSES[i] for i in rng.integers(0, 4, n)]
    gold = list(true)
    gold[7] = "d" if true[7] != "d" else "a"  # the one wrong gold label
    pred = list(true)
    for i in (3, 11, 19):  # ordinary model mistakes: the people back the gold
        pred[i] = CLASSES[(CLASSES.index(true[i]) + 1) % 4]
    votes = [[(f"w{j}", t if rng.random() < 0.97 else CLASSES[(CLASSES.index(t) + 2) % 4])
              for j in rng.choice(6, 5, replace=False)] for t in true]
    data = _prepared(gold, pred, _confident(rng, pred, 0.7), votes)
    out = AnnotatorInconsistency(use_cleanlab=False).fit(data).score(data)
    reading = dict(zip(out["id"], out["annotator_inconsistency_reading"]))
    stated = dict(zip(out["id"], out["annotator_inconsistency_reading_precision"]))
    assert reading["i7"] == "wrong_gold" and stated["i7"] >= 0.7
    assert all(reading[f"i{i}"] == "model_mistake" for i in (3, 11, 19))
    assert sum(r == "wrong_gold" for r in reading.values() if r) == 1


def test_one_vote_leans_on_the_model_and_says_so():
    codes, rel = vote_arrays([[("x", "a")], [("x", "a")]], CLASSES)
    probs = np.array([[0.9, 0.04, 0.03, 0.03], [0.04, 0.9, 0.03, 0.03]])
    post = ambiguity_posterior(smooth_prior(probs, 2, 4), codes, rel, np.array([1, 1]), spread=(2.0, 0.9, 0.1))
    reading, stated = verdicts(post)
    # gold b; one vote for a and a model sure of a: the gold is likely wrong, but not certainly
    assert reading[0] == "wrong_gold" and 0.5 < stated[0] < 0.99
    assert post["p_model_mistake"][1] > post["p_model_mistake"][0]
    ev = pl.DataFrame({"id": ["e"], "text": ["t"], "label": ["b"], "prediction": ["a"], "is_error": [True]})
    data = Prepared(task="classification", eval=ev, annotations=pl.DataFrame({"id": ["e"], "annotator": ["x"], "label": ["a"]}),
                    classes=CLASSES, eval_probs=probs[:1])
    text = AnnotatorInconsistency(use_cleanlab=False).fit(data).score(data)["evidence_annotator_inconsistency"][0]
    assert "1-2 votes say little" in text


def test_ambiguity_is_a_share_with_an_interval_and_is_deterministic():
    codes, rel = vote_arrays([[(w, "a") for w in "pqrst"], [("p", "a"), ("q", "b"), ("r", "a"), ("s", "b"), ("t", "a")]],
                             CLASSES)
    prior = smooth_prior(None, 2, 4)
    one = ambiguity_posterior(prior, codes, rel, np.array([0, 0]), spread=(2.0, 0.95, 0.2), seed=3)
    two = ambiguity_posterior(prior, codes, rel, np.array([0, 0]), spread=(2.0, 0.95, 0.2), seed=3)
    assert np.array_equal(one["ambiguity"], two["ambiguity"])
    assert one["ambiguity"][1] > one["ambiguity"][0]
    assert (one["ambiguity_low"] <= one["ambiguity_high"]).all() and (one["ambiguity_low"] <= one["ambiguity"]).all()
    assert ((one["ambiguity"] >= 0) & (one["ambiguity"] <= 1)).all()
    total = one["p_ambiguous"] + one["p_wrong_gold"] + one["p_model_mistake"]
    assert total == pytest.approx(np.ones(2))


def test_spread_falls_back_to_default_with_few_items():
    codes, rel = vote_arrays([[("p", "a"), ("q", "b")]], CLASSES)
    assert fit_spread(smooth_prior(None, 1, 4), codes, rel) == (2.0, 0.9, 0.1)


@pytest.mark.parametrize("form", ["wide", "anonymous", "long"])
def test_votes_in_wide_anonymous_or_long_form_give_the_same_votes(form):
    from diagnose.validate import load_inputs

    ev = pl.DataFrame({"id": ["e1", "e2"], "text": ["one", "two"], "label": ["a", "b"], "prediction": ["a", "a"]})
    long = pl.DataFrame({"id": ["e1", "e1", "e2", "e2", "e2"], "annotator": ["p", "q", "p", "q", "r"],
                         "label": ["a", "a", "b", "a", "b"]})
    given = {"long": long, "anonymous": long.drop("annotator"),
             "wide": pl.DataFrame({"id": ["e1", "e2"], "p": ["a", "b"], "q": ["a", "a"], "r": [None, "b"]})}[form]
    ann = load_inputs(eval=ev, annotations=given).annotations
    assert sorted(ann.select("id", "label").rows()) == sorted(long.select("id", "label").rows())
    if form == "anonymous":
        assert ann.get_column("annotator").n_unique() == ann.height  # one annotator per vote: no reliability
    else:
        assert sorted(ann.rows()) == sorted(long.rows())


def _one_biased_annotator(n=400):
    """Reliable annotators and one, ``z``, who names every ``a`` item ``b``; the model leans to ``b`` on the
    ``a`` items ``z`` voted on. Returns the data and the errors where only ``z`` dissents."""
    rng = np.random.default_rng(0)
    true = rng.integers(0, 4, n)
    people = [f"p{j}" for j in range(10)]
    votes, probs, dissent = [], [], []
    for i in range(n):
        who = [*rng.choice(people, 2, replace=False), "z" if rng.random() < 0.5 else f"x{i % 40}"]
        row = [(w, "b" if w == "z" and true[i] == 0 else
                CLASSES[true[i]] if w == "z" or rng.random() >= 0.05 else CLASSES[rng.integers(0, 4)]) for w in who]
        votes.append(row)
        p = np.full(4, 0.1)
        if rng.random() < 0.3 or (true[i] == 0 and "z" in who):
            p[(true[i] + 1) % 4], p[true[i]] = 0.45, 0.35
        else:
            p[true[i]] = 0.7
        probs.append(p / p.sum())
        dissent.append(true[i] == 0 and "z" in who and [lab for _, lab in row].count("a") == 2)
    gold = [CLASSES[t] for t in true]
    pred = [CLASSES[int(np.argmax(p))] for p in probs]
    err = np.array([g != p for g, p in zip(gold, pred)])
    return _prepared(gold, pred, np.array(probs), votes), np.array(dissent) & err


def test_an_annotator_who_names_a_as_b_reads_as_their_noise_not_ambiguity():
    from diagnose.votes import eval_posterior

    data, only_z = _one_biased_annotator()
    assert only_z.sum() >= 20
    one_coin = eval_posterior(data, noise="one_coin")["p_ambiguous"][only_z].mean()
    post = eval_posterior(data, noise="confusion")
    assert post["p_ambiguous"][only_z].mean() < 0.75 * one_coin  # z's a -> b is their habit, not the items'
    assert (post["p_ambiguous"][only_z] < 0.5).mean() > 0.9
    who, rows = post["noise"]
    first = int(data.annotations.filter(pl.col("annotator") == "z")["id"][0][1:])
    assert rows[who[first, 2], 0].argmax() == 1  # z (third voter) puts their noise on "b" when the truth is "a"


def test_noise_rows_follow_a_biased_annotator_and_stay_pooled_with_few_votes():
    from diagnose.votes import noise_rows

    item = np.repeat(np.arange(300), 3)
    annotator = np.tile([0, 1, 3], 300)
    annotator[0] = 2  # annotator 2 votes once
    label = np.where(annotator == 0, (item % 3 + 1) % 3, item % 3)  # annotator 0 names the next class
    rows = noise_rows(item, annotator, label, (300, 4, 3))
    assert rows.shape == (5, 3, 3) and np.allclose(rows.sum(2), 1.0)
    assert [int(rows[0, t].argmax()) for t in range(3)] == [1, 2, 0]
    assert np.abs(rows[2] - rows[-1]).max() < 0.1  # one vote: one-coin noise
    assert np.allclose(rows[-1], 1 / 3)
    shared = noise_rows(item, np.tile([0, 1, 2], 300), np.where(np.arange(900) % 3 == 2, (item % 3 + 1) % 3, item % 3),
                        (300, 3, 3))
    assert np.abs(shared[2] - 1 / 3).max() > np.abs(shared[0] - 1 / 3).max()
    single = noise_rows(np.arange(10), np.arange(10) % 2, np.arange(10) % 3, (10, 2, 3))
    assert np.allclose(single, 1 / 3)  # no item with two votes: one-coin noise


def test_replay_under_class_noise_draws_each_voters_row():
    from diagnose.votes import replay_clear

    codes = np.zeros((50, 3), dtype=np.int64)
    rows = np.zeros((2, 4, 4))
    rows[:, :, 3] = 1.0  # every noise vote names class 3 ("d")
    prior = smooth_prior(None, 50, 4)
    again = replay_clear(prior, codes, np.ones((50, 3)), np.zeros(50, dtype=np.int64), np.zeros(50, dtype=np.int64),
                         spread=(2.0, 0.5, 0.2), noise=(np.zeros((50, 3), dtype=np.int64), rows), reps=2, seed=0)
    assert len(again["p_ambiguous"]) == 100


def test_the_share_of_people_follows_the_votes_not_the_model():
    # the same vote pattern gives the same ambiguity whatever the model says; a 3-2 split reads higher than 5-0
    rng = np.random.default_rng(3)
    n = 200
    labels = [["a"] * 5 if i % 4 else ["a", "a", "a", "b", "b"] for i in range(n)]
    codes, rel = vote_arrays([[(f"w{j}", lab) for j, lab in enumerate(row)] for row in labels], CLASSES)
    probs = rng.dirichlet(np.ones(4), n)
    post = ambiguity_posterior(smooth_prior(probs, n, 4), codes, rel, np.zeros(n, dtype=np.int64), spread=(2.0, 0.9, 0.1))
    split, clear = post["ambiguity"][0::4], post["ambiguity"][1::4]
    assert np.ptp(split) < 1e-9 and np.ptp(clear) < 1e-9
    assert split[0] > clear[0] + 0.1
    assert (post["ambiguity_low"] <= post["ambiguity"]).all() and (post["ambiguity"] <= post["ambiguity_high"]).all()


def test_two_vote_splits_count_as_crossings_of_their_class_pair():
    from diagnose.votes import pair_cross_votes

    rows = []
    for i in range(60):  # 1-1 ties between a and b on a third of the items, agreement elsewhere
        pair = ("a", "b") if i % 3 == 0 else ("c", "c") if i % 3 == 1 else ("d", "d")
        rows += [(f"i{i}", "x", pair[0]), (f"i{i}", "y", pair[1])]
    ann = pl.DataFrame(rows, schema=["id", "annotator", "label"], orient="row")
    seen, expected = pair_cross_votes(ann, {"x": 0.9, "y": 0.9}, 4)
    assert seen[frozenset({"a", "b"})] == 20
    assert seen[frozenset({"a", "b"})] > 5 * expected[frozenset({"a", "b"})]
    assert frozenset({"c", "d"}) not in seen
