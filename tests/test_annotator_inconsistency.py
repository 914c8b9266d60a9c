"""Tests of the annotator_inconsistency analyzer on small hand-made data."""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from diagnose.causes.annotator_inconsistency.analyzer import (
    AnnotatorInconsistency,
    alpha_reading,
    dawid_skene,
)
from diagnose.core import Neighbors, Prepared

SCORE = "score_annotator_inconsistency"
EVIDENCE = "evidence_annotator_inconsistency"


def _eval(ids, labels, preds):
    return pl.DataFrame({
        "id": ids, "text": [f"text {i}" for i in ids], "label": labels,
        "prediction": preds, "is_error": [a != b for a, b in zip(labels, preds)],
    })


def _annotations(rows):
    """rows: (id, annotator, label) triples."""
    return pl.DataFrame(rows, schema=["id", "annotator", "label"], orient="row")


@pytest.fixture
def crowd() -> Prepared:
    """Eight train items and three eval items labelled by four annotators.

    ``good1``-``good3`` agree with the truth; ``spam`` answers the opposite
    label everywhere. Eval item ``e_split`` splits 2-2, ``e_same`` is unanimous.
    """
    truth = ["a", "b"] * 4
    rows = []
    for i, t in enumerate(truth):
        other = "b" if t == "a" else "a"
        rows += [(f"t{i}", "good1", t), (f"t{i}", "good2", t), (f"t{i}", "good3", t),
                 (f"t{i}", "spam", other)]
    rows += [("e_split", "good1", "a"), ("e_split", "good2", "b"), ("e_split", "good3", "b"),
             ("e_split", "spam", "a"),
             ("e_same", "good1", "a"), ("e_same", "good2", "a"), ("e_same", "good3", "a"),
             ("e_one", "good2", "b")]
    train = pl.DataFrame({"id": [f"t{i}" for i in range(8)],
                          "text": [f"train {i}" for i in range(8)], "label": truth})
    ev = _eval(["e_split", "e_same", "e_none", "e_one"], ["a", "a", "b", "b"],
               ["b", "b", "b", "b"])
    return Prepared(task="classification", eval=ev, train=train,
                    annotations=_annotations(rows), classes=("a", "b"))


def test_one_row_per_eval_row_in_order(crowd):
    out = AnnotatorInconsistency().fit(crowd).score(crowd)
    assert out.columns[:3] == ["id", SCORE, EVIDENCE]
    assert all(c.startswith("annotator_inconsistency_") for c in out.columns[3:])  # the ambiguity columns
    assert out["id"].to_list() == crowd.eval["id"].to_list()
    assert out.schema[SCORE] == pl.Float64 and out.schema[EVIDENCE] == pl.Utf8
    scores = out[SCORE].drop_nulls().to_numpy()
    assert ((scores >= 0) & (scores <= 1)).all()


def test_split_item_scores_higher_than_unanimous(crowd):
    out = AnnotatorInconsistency().fit(crowd).score(crowd)
    score = dict(zip(out["id"], out[SCORE]))
    evidence = dict(zip(out["id"], out[EVIDENCE]))
    assert score["e_split"] > score["e_same"]
    # the spammer's votes count for nothing: the good annotators split 1-2 between gold and prediction,
    # which could be an ambiguous item or a wrong gold; unanimous good votes for the gold are neither
    assert score["e_split"] > 0.1
    assert score["e_same"] == pytest.approx(0.0, abs=0.05)
    assert "reading: " in evidence["e_split"] and "people would disagree" in evidence["e_split"]
    assert score["e_none"] is None and evidence["e_none"] is None
    assert "gave gold 'a' 2 and predicted 'b' 2 of 4 votes" in evidence["e_split"]
    assert "good2\u2192b" in evidence["e_split"]
    assert "reading: model mistake" in evidence["e_same"]  # unanimous for the gold: the model's mistake
    assert score["e_one"] == 0.0  # a correct row has no error to explain


def test_spammer_gets_lowest_quality(crowd):
    analyzer = AnnotatorInconsistency().fit(crowd)
    annotators = analyzer.tables()["annotators"]
    assert annotators.columns == ["annotator", "n_labels", "agreement_with_consensus",
                                  "quality"]
    quality = dict(zip(annotators["annotator"], annotators["quality"]))
    assert min(quality, key=quality.get) == "spam"
    assert all(0.0 <= q <= 1.0 for q in quality.values())
    agree = dict(zip(annotators["annotator"], annotators["agreement_with_consensus"]))
    assert agree["spam"] < 0.5 < agree["good1"]


def test_items_table(crowd):
    items = AnnotatorInconsistency().fit(crowd).tables()["annotation_items"]
    assert items.columns == ["id", "split", "n_annotators", "consensus_label", "agreement",
                             "consensus_quality", "weighted_agreement"]
    row = items.filter(pl.col("id") == "t0").row(0, named=True)
    assert row["split"] == "train" and row["n_annotators"] == 4
    assert row["consensus_label"] == "a" and row["agreement"] == pytest.approx(0.75)
    single = items.filter(pl.col("id") == "e_one").row(0, named=True)
    assert single["split"] == "eval" and single["agreement"] is None


def test_krippendorff_alpha_hand_checked():
    # Two coders, four items: (a,a) (a,b) (b,b) (b,b). Coincidences: o_aa=2,
    # o_ab=o_ba=1, o_bb=4; n=8, n_a=3, n_b=5; alpha = 1 - 7*2/(2*3*5) = 8/15.
    rows = [("e1", "x", "a"), ("e1", "y", "a"), ("e2", "x", "a"), ("e2", "y", "b"),
            ("e3", "x", "b"), ("e3", "y", "b"), ("e4", "x", "b"), ("e4", "y", "b")]
    ev = _eval(["e1", "e2", "e3", "e4"], ["a", "a", "b", "b"], ["a", "b", "b", "a"])
    data = Prepared(task="classification", eval=ev, annotations=_annotations(rows),
                    classes=("a", "b"))
    summary = AnnotatorInconsistency().fit(data).summary()
    assert summary["krippendorff_alpha"] == pytest.approx(8 / 15)
    assert summary["alpha_reading"] == "unreliable"
    assert summary["n_annotators"] == 2 and summary["n_items"] == 4
    assert alpha_reading(0.8) == "reliable" and alpha_reading(0.7) == "tentative"


def _near_duplicates() -> Prepared:
    """Train rows 0 and 1 are near copies with different labels; 2 and 3 agree."""
    train = pl.DataFrame({"id": ["t0", "t1", "t2", "t3"],
                          "text": ["card late", "card late!", "hi", "hello"],
                          "label": ["arrival", "delivery", "greet", "greet"]})
    train_nb = Neighbors(indices=np.array([[1, 2], [0, 3], [3, 0], [2, 1]]),
                         similarities=np.array([[0.97, 0.1], [0.97, 0.1],
                                                [0.95, 0.1], [0.95, 0.1]]))
    ev = _eval(["e0", "e1"], ["arrival", "greet"], ["delivery", "greet"])
    eval_nb = Neighbors(indices=np.array([[0, 1], [2, 3]]),
                        similarities=np.array([[0.8, 0.8], [0.8, 0.7]]))
    return Prepared(task="classification", eval=ev, train=train,
                    classes=("arrival", "delivery", "greet"),
                    train_neighbors=train_nb, eval_neighbors=eval_nb)


def test_near_duplicate_conflicts_without_annotations():
    data = _near_duplicates()
    analyzer = AnnotatorInconsistency(duplicate_threshold=0.9)
    assert analyzer.skip_reason(data) is None
    out = analyzer.fit(data).score(data)
    score = dict(zip(out["id"], out[SCORE]))
    assert score["e0"] > 0.5 and score["e1"] == pytest.approx(0.0)
    assert "near-duplicates labelled both 'arrival' and 'delivery'" in out[EVIDENCE][0]
    items = analyzer.tables()["annotation_items"]
    assert sorted(items["id"].to_list()) == ["t0", "t1"]
    assert set(items["split"]) == {"train"}
    assert analyzer.summary()["krippendorff_alpha"] is None


def test_eval_text_with_conflicting_near_copy():
    data = _near_duplicates()
    eval_nb = Neighbors(indices=np.array([[1, 2], [2, 3]]),
                        similarities=np.array([[0.99, 0.2], [0.2, 0.1]]))
    data = Prepared(task="classification", eval=data.eval, train=data.train,
                    classes=data.classes, eval_neighbors=eval_nb)
    out = AnnotatorInconsistency().fit(data).score(data)
    # a near copy labelled as the prediction alone points at the gold label (noisy_label),
    # not at inconsistent labelling: no training row carries both labels
    assert out[SCORE][0] == pytest.approx(0.0)
    assert out[SCORE][1] is None


def test_skip_reason():
    ev = _eval(["e0"], ["a"], ["b"])
    analyzer = AnnotatorInconsistency()
    assert analyzer.skip_reason(Prepared(task="classification", eval=ev)) is not None
    assert analyzer.skip_reason(Prepared(task="regression", eval=ev)) is not None
    with_ann = Prepared(task="classification", eval=ev,
                        annotations=_annotations([("e0", "x", "a")]))
    assert analyzer.skip_reason(with_ann) is None


def test_unknown_labels_and_ids_only_train(crowd):
    rows = [("t0", "x", "a"), ("t0", "y", "zzz"), ("t1", "x", "b"), ("t1", "y", "b"),
            ("ghost", "x", "a")]
    data = Prepared(task="classification", eval=crowd.eval, train=crowd.train,
                    annotations=_annotations(rows), classes=("a", "b"),
                    eval_neighbors=Neighbors(indices=np.array([[0, 1]] * 4),
                                             similarities=np.full((4, 2), 0.5)))
    with pytest.warns(UserWarning, match="ghost"):
        analyzer = AnnotatorInconsistency().fit(data)
    assert "zzz" in analyzer.classes_
    out = analyzer.score(data)
    assert out.height == 4
    errors = out.filter(pl.Series(crowd.eval["is_error"].to_list()))
    # neighbours' votes never split between the errors' gold 'a' and prediction 'b'
    assert errors[SCORE].null_count() == 0 and (errors[SCORE] == 0).all()


def _with_probs(crowd, train_probs, eval_probs):
    return Prepared(task="classification", eval=crowd.eval, train=crowd.train,
                    annotations=crowd.annotations, classes=crowd.classes,
                    train_probs=train_probs, eval_probs=eval_probs)


def test_model_probabilities_and_determinism(crowd):
    # a model that agrees with the truth of the train items ("a", "b", "a", ...)
    train_probs = np.tile([[0.9, 0.1], [0.1, 0.9]], (4, 1))
    eval_probs = np.tile([[0.8, 0.2]], (crowd.eval.height, 1))
    data = _with_probs(crowd, train_probs, eval_probs)
    first = AnnotatorInconsistency().fit(data)
    second = AnnotatorInconsistency().fit(data)
    assert first.score(data).equals(second.score(data))
    assert first.tables()["annotators"].equals(second.tables()["annotators"])
    summary = first.summary()
    assert "model_vote" in summary["method"]
    assert summary["model_vote_skill"] > 0.2


def test_near_chance_model_vote_is_dropped(crowd):
    # the model says the same thing for every item, so it carries no information
    flat = np.tile([[0.55, 0.45]], (crowd.train.height, 1))
    data = _with_probs(crowd, flat, np.tile([[0.55, 0.45]], (crowd.eval.height, 1)))
    analyzer = AnnotatorInconsistency().fit(data)
    summary = analyzer.summary()
    assert "model_vote" not in summary["method"]
    assert summary["model_vote_skill"] < 0.2
    without = AnnotatorInconsistency(use_model=False).fit(data)
    assert analyzer.tables()["annotation_items"].equals(without.tables()["annotation_items"])
    kept = AnnotatorInconsistency(min_model_skill=-1.0).fit(data).summary()
    assert "model_vote" in kept["method"]


def test_crowd_kernels():
    from diagnose.causes.annotator_inconsistency._crowd import consensus, posterior_accuracy, voter_skill, weighted_agreement

    assert voter_skill(np.eye(3)) == pytest.approx(1.0)
    assert voter_skill(np.full((2, 2), 0.5)) == pytest.approx(0.0)
    item, annotator = np.array([0, 0, 0, 1, 1]), np.array([0, 1, 2, 0, 1])
    label = np.array([1, 1, 0, 0, 0])
    post = np.array([[0.0, 1.0], [1.0, 0.0]])
    assert posterior_accuracy(post, item, annotator, label, 3).tolist() == [1.0, 1.0, 0.0]
    agree = weighted_agreement(item, annotator, label, np.array([1, 0]),
                               np.array([1.0, 1.0, 0.5]), 3)
    assert agree[0] == pytest.approx(2 / 2.5) and agree[1] == 1.0 and np.isnan(agree[2])
    post, skill, used = consensus(item, annotator, label, (3, 3, 2))
    assert skill is None and not used and np.allclose(post[2], 0.5, atol=0.05)  # no votes: prior


def test_dawid_skene_recovers_truth_despite_a_spammer():
    truth = np.array([0, 1, 1, 0, 1, 0, 0, 1])
    item = np.repeat(np.arange(8), 3)
    annotator = np.tile([0, 1, 2], 8)
    label = np.stack([truth, truth, 1 - truth], 1).ravel()
    post, conf = dawid_skene(item, annotator, label, (8, 3, 2))
    assert (post.argmax(1) == truth).all()
    assert conf[2, 0, 0] < 0.5 < conf[0, 0, 0]


@pytest.mark.parametrize("n_classes", [2, 7, 40])
def test_closed_form_alpha_matches_krippendorff_package(n_classes):
    """The O(items x classes) alpha used on large data equals the package's value."""
    import krippendorff

    from diagnose.causes.annotator_inconsistency._crowd import nominal_alpha

    counts = np.random.default_rng(n_classes).integers(0, 4, size=(300, n_classes)).astype(float)
    counts = counts[counts.sum(1) >= 2]
    expected = krippendorff.alpha(value_counts=counts, level_of_measurement="nominal")
    assert nominal_alpha(counts) == pytest.approx(expected, rel=1e-9, abs=1e-12)


# ---------------------------------------------------------------- class-pair splits (attr)
def _split_pair_data() -> Prepared:
    """Train items of class a whose annotators split a/b; other classes unanimous; four eval errors."""
    rows, train_ids, train_labels = [], [], []
    for i in range(12):
        first, second = ("a", "b") if i % 2 else ("b", "a")
        rows += [(f"ta{i}", "x", first), (f"ta{i}", "y", second), (f"ta{i}", "z", "a")]
        train_ids.append(f"ta{i}")
        train_labels.append("a")
    for cls in "cdef":
        for i in range(6):
            rows += [(f"t{cls}{i}", who, cls) for who in "xyz"]
            train_ids.append(f"t{cls}{i}")
            train_labels.append(cls)
    rows += [("e_ab", who, "a") for who in "xyz"]  # unanimous, but a/b is a split pair
    rows += [("e_cd", who, "c") for who in "xyz"]  # unanimous, c/d never split
    rows += [("e_gold", who, "a") for who in "xyz"]  # gold e rejected; a/b split, predicted b
    rows += [("e_third", who, "b") for who in "xyz"]  # gold a rejected for its partner b, but predicted c
    train = pl.DataFrame({"id": train_ids, "text": train_ids, "label": train_labels})
    ev = _eval(["e_ab", "e_cd", "e_gold", "e_ok", "e_third"], ["a", "c", "e", "a", "a"], ["b", "d", "b", "a", "c"])
    return Prepared(task="classification", eval=ev, train=train, annotations=_annotations(rows),
                    classes=("a", "b", "c", "d", "e", "f"))


def test_class_pair_rates_find_systematic_splits_not_slips():
    from diagnose.causes.annotator_inconsistency._pair_votes import class_pair_rates

    data = _split_pair_data()
    rates = class_pair_rates(data.annotations)
    assert rates[("a", "b")] > 0.5
    assert ("c", "d") not in rates
    # one annotator slipping once on two items does not make a pattern worth more than a trace
    slips = _annotations([("s1", "x", "c"), ("s1", "y", "c"), ("s1", "z", "d"),
                          ("s2", "x", "c"), ("s2", "y", "c"), ("s2", "z", "c")])
    assert class_pair_rates(slips) == {}
    # the same split cast only by a near-worthless annotator hardly counts
    assert class_pair_rates(data.annotations, {"x": 0.05, "y": 0.05}).get(("a", "b"), 0.0) < 0.2


def test_error_on_a_split_class_pair_is_explained_even_with_unanimous_votes():
    data = _split_pair_data()
    out = AnnotatorInconsistency().fit(data).score(data)
    score = dict(zip(out["id"], out[SCORE]))
    evidence = dict(zip(out["id"], out[EVIDENCE]))
    # the item's own unanimous votes now decide: people do not disagree on it, whatever its class pair does
    assert score["e_ab"] < 0.2 and "annotators split between 'a' and 'b'" in evidence["e_ab"]
    assert score["e_cd"] == pytest.approx(0.0, abs=0.05)
    assert "no annotator chose the gold 'e'" in evidence["e_gold"] and "reading: wrong gold" in evidence["e_gold"]
    # the gold is contested (a vs b), but nothing links either label to the predicted c: not this mistake's cause
    assert score["e_third"] == pytest.approx(0.0, abs=0.2)
    assert not score["e_ok"]  # a correct row has nothing to explain (null without votes)


def _few_class_split_world(seed: int, k: int = 6, accuracy: float = 0.75, split: float = 0.5):
    """k classes of bag-of-words texts; half of class 0's items (train and eval) are split between classes
    0 and 3: their label and each of their five votes is 0 or 3 at 50/50. Eight annotators, each right at
    ``accuracy`` and otherwise naming a random other class: with 6 classes a wrong vote lands on a given
    other class often, so the split pair's crossings stay below twice the annotators' noise."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(seed)
    y_tr, y_ev = np.repeat(np.arange(k), 100), np.repeat(np.arange(k), 150)

    def texts(y):
        return [" ".join([f"w{(c + rng.choice([-1, 1])) % k if rng.random() < 0.35 else c}x{rng.integers(12)}"
                          for _ in range(7)] + [f"common{rng.integers(40)}" for _ in range(3)]) for c in y]

    tx_tr, tx_ev = texts(y_tr), texts(y_ev)
    amb_tr, amb_ev = ((y == 0) & (rng.random(len(y)) < split) for y in (y_tr, y_ev))
    lab_tr, gold = (np.where(amb & (rng.random(len(y)) < 0.5), 3, y) for y, amb in ((y_tr, amb_tr), (y_ev, amb_ev)))
    vec = CountVectorizer().fit(tx_tr)
    pred = LogisticRegression(max_iter=500, C=0.5).fit(vec.transform(tx_tr), lab_tr).predict(vec.transform(tx_ev))
    rows = []
    for prefix, y, amb in (("tr", y_tr, amb_tr), ("ev", y_ev, amb_ev)):
        for i in range(len(y)):
            for who in rng.choice(8, 5, replace=False):
                meant = (0 if rng.random() < 0.5 else 3) if amb[i] else y[i]
                meant = (meant + rng.integers(1, k)) % k if rng.random() > accuracy else meant
                rows.append((f"{prefix}{i}", f"a{who}", f"c{meant}"))
    train = pl.DataFrame({"id": [f"tr{i}" for i in range(len(y_tr))], "text": tx_tr, "label": [f"c{v}" for v in lab_tr]})
    ev = pl.DataFrame({"id": [f"ev{i}" for i in range(len(y_ev))], "text": tx_ev, "label": [f"c{v}" for v in gold],
                       "prediction": [f"c{v}" for v in pred]})
    planted = amb_ev & (gold != pred) & np.isin(pred, [0, 3])
    return ev, train, _annotations(rows), planted


@pytest.mark.parametrize("seed", [0, 1])
def test_a_split_class_pair_among_few_classes_is_found(seed):
    """With 6 classes, a split pair crosses fewer than twice as often as the annotators' noise explains.
    The pair line's old floor of 2 left it to the ambiguity line (seeds 0, 1: 10 and 0 of its errors
    found); the floor 1.5 finds 29 and 15, at least 80% of the verdicts right."""
    import diagnose

    ev, train, ann, planted = _few_class_split_world(seed)
    found = {}
    for ratio in (2.0, 1.5):
        ex = diagnose.run(ev, train, ann, config=diagnose.RunConfig(progress=False),
                          analyzers=[AnnotatorInconsistency(pair_ratio=ratio)]).examples
        given = np.array(["annotator_inconsistency" in c for c in ex["causes"].to_list()])
        found[ratio] = (int((given & planted).sum()), int(given.sum()))
    assert found[1.5][0] >= max(10, 2 * found[2.0][0])
    assert found[1.5][0] / found[1.5][1] >= 0.8


# ---------------------------------------------------------------- learned crowd prior (_crowd)
def _spammers_and_sparse_workers(seed):
    """200 items: one of two spammers (random labels) + two of 30 workers right 90% of the time."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 2, 200)
    item = np.repeat(np.arange(200), 3)
    annotator = np.concatenate([[i % 2, *(2 + rng.choice(30, 2, replace=False))]
                                for i in range(200)])
    right = rng.random(600) < 0.9
    label = np.where(annotator < 2, rng.integers(0, 2, 600),
                     np.where(right, truth[item], 1 - truth[item]))
    return item, annotator, label, truth


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_learned_prior_keeps_spammers_at_chance_and_workers_skilled(seed):
    item, annotator, label, truth = _spammers_and_sparse_workers(seed)
    post, conf = dawid_skene(item, annotator, label, (200, 32, 2))
    skill = conf[:32].diagonal(0, 1, 2).mean(1)
    assert (post.argmax(1) == truth).mean() >= 0.85
    assert skill[:2].max() < 0.65  # both spammers near chance
    assert np.median(skill[2:]) > 0.8  # the sparse workers keep their own skill
    assert np.isfinite(post).all() and np.allclose(post.sum(1), 1.0)


def test_learned_prior_only_with_two_annotators_per_class():
    from diagnose.causes.annotator_inconsistency._crowd import consensus

    item, annotator, label, _ = _spammers_and_sparse_workers(0)
    fixed, _ = dawid_skene(item, annotator, label, (200, 32, 2), prior_strength=1.0)
    learned, _ = dawid_skene(item, annotator, label, (200, 32, 2))
    assert not np.allclose(fixed, learned)  # 32 annotators, 2 classes: the prior is learned
    few = annotator < 3  # 3 annotators for 2 classes: too few, fixed pooled prior
    shape = (200, 3, 2)
    fixed, _ = dawid_skene(item[few], annotator[few], label[few], shape, prior_strength=1.0)
    default, _, _ = consensus(item[few], annotator[few], label[few], shape)
    assert np.allclose(fixed, default)


def test_rte_oracle_quality_ranks_workers_by_their_confusion():
    from benchmarks._crowd_sim import oracle_quality, rho

    item, annotator, label, truth = _spammers_and_sparse_workers(0)
    hits = label == truth[item]
    acc = np.bincount(annotator, hits, 32) / np.bincount(annotator, minlength=32)
    conf = np.stack([[[a, 1 - a], [1 - a, a]] for a in np.clip(acc, 0.05, 0.95)])
    quality = oracle_quality(item, annotator, label, conf, truth)
    assert quality[:2].max() < quality[2:].min()  # spammers below every diligent worker
    assert rho(quality, hits, annotator, 32) > 0.5


def test_near_duplicates_stand_in_only_for_items_without_votes():
    data = _near_duplicates()
    # e0's near copies t0 [arrival] and t1 [delivery] carry both its gold and its prediction
    eval_nb = Neighbors(indices=np.array([[0, 1], [2, 3]]), similarities=np.array([[0.97, 0.96], [0.2, 0.1]]))
    plain = Prepared(**{**data.__dict__, "eval_neighbors": eval_nb})
    out = AnnotatorInconsistency().fit(plain).score(plain)
    assert out[SCORE][0] > 0.9 and "near-duplicate training rows carry both labels" in out[EVIDENCE][0]
    # once e0 and its neighbours have annotators who agree, their votes are the evidence, not the near copies
    ann = _annotations([(key, who, lab) for key, lab in (("e0", "arrival"), ("e1", "greet"), ("t0", "arrival"),
                                                         ("t1", "delivery")) for who in "xyz"])
    voted = Prepared(**{**plain.__dict__, "annotations": ann})
    out = AnnotatorInconsistency(use_model=False, use_cleanlab=False).fit(voted).score(voted)
    assert out[SCORE][0] < 0.5
    assert "near-duplicate training rows carry both labels" not in (out[EVIDENCE][0] or "")


def test_training_row_split_counts_with_the_weaker_backing():
    from diagnose.causes.annotator_inconsistency._pair_votes import _split, train_vote_backing

    train = pl.DataFrame({"id": ["t0", "t1"], "text": ["x", "y"], "label": ["a", "a"]})
    ann = _annotations([("t0", "x", "a"), ("t0", "y", "a"), ("t0", "spam", "b"),
                        ("t1", "x", "a"), ("t1", "y", "b")]).with_columns(split=pl.lit("train"))
    data = Prepared(task="classification", eval=_eval(["e"], ["a"], ["b"]), train=train, classes=("a", "b"))
    backing = train_vote_backing(data, ann, {"x": 0.9, "y": 0.8, "spam": 0.05})
    assert _split(backing[0], "a", "b") == pytest.approx(0.05)  # only a spammer chose b: hardly a split
    assert _split(backing[1], "a", "b") == pytest.approx(0.8)
    assert _split(train_vote_backing(data, ann)[0], "a", "b") == 1.0  # unknown quality counts fully
