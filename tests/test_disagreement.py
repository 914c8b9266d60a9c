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
