"""Tests of the noisy_label analyzer on small synthetic data (no shared data)."""
from __future__ import annotations

import numpy as np
import polars as pl

from diagnose.causes.noisy_label.analyzer import NoisyLabel
from diagnose.core import Prepared
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
    assert issues.columns[:6] == ["id", "label", "is_label_issue", "label_quality", "suggested_label", "annotator_support"]
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


# ------------------------------------------------ annotators: rejection vs opinion (attr)
def test_gold_rejected_by_annotators_is_flagged_even_when_they_back_neither_label():
    """Eval gold 'b' of e6 (true 'a') is rejected by every annotator, who chose 'c', not the prediction."""
    import dataclasses

    data, _ = _data()
    votes = [("e6", w, "c") for w in "xyz"]
    votes += [("e8", w, data.eval.get_column("label")[8]) for w in "xyz"]  # annotators back e8's gold
    ann = pl.DataFrame(votes, schema=["id", "annotator", "label"], orient="row")
    data = dataclasses.replace(data, annotations=ann)
    out = NoisyLabel().fit(data).score(data)
    score = dict(zip(out.get_column("id"), out.get_column("score_noisy_label")))
    note = dict(zip(out.get_column("id"), out.get_column("evidence_noisy_label")))
    assert score["e6"] > 0.5 and "only 0% of its annotators chose" in note["e6"]
    assert score["e8"] < 0.1  # the annotators agree with the gold: it is not wrong


def _pair_data(flipped_votes: tuple[str, str, str]) -> Prepared:
    """10 of 30 true-'a' training rows labelled 'b'; their annotators vote ``flipped_votes``."""
    rng = np.random.default_rng(0)
    true = np.repeat([0, 1, 2], 30)
    given = true.copy()
    given[:10] = 1
    probs = rng.dirichlet(np.ones(3), size=90) * 0.2
    probs[np.arange(90), true] += 0.8
    train = pl.DataFrame({"id": [f"t{i}" for i in range(90)], "text": [f"row {i}" for i in range(90)],
                          "label": [CLASSES[i] for i in given]})
    ann = pl.DataFrame([(f"t{i}", w, v) for i in range(10) for w, v in zip("xyz", flipped_votes)],
                       schema=["id", "annotator", "label"], orient="row")
    ev = pl.DataFrame({"id": ["e0"], "text": ["q"], "label": ["a"], "prediction": ["b"], "is_error": [True]})
    return Prepared(task="classification", eval=ev, train=train, annotations=ann, classes=CLASSES,
                    train_probs=probs, eval_probs=np.array([[0.2, 0.7, 0.1]]))


def test_pair_noise_is_discounted_when_annotators_back_the_given_label():
    from diagnose.causes.noisy_label.analyzer import _rejected

    assert _rejected(0.0) == 1.0 and _rejected(0.5) == 0.25 and _rejected(1.0) == 0.0
    rejected = NoisyLabel().fit(_pair_data(("a", "a", "a")))
    contested = NoisyLabel().fit(_pair_data(("a", "b", "b")))
    assert rejected.pair_support_[(1, 0)] == 0.0
    assert contested.pair_support_[(1, 0)] > 0.5
    # a third of class a labelled b, on 30 rows: the rate's lower bound keeps it clear evidence
    assert rejected._pair_score("a", "b") > 0.4
    assert contested._pair_score("a", "b") <= 0.25 * rejected._pair_score("a", "b")
    assert "backed the given label" in contested._pair_note("a", "b")


# ------------------------------------------------ training labels: pair-aware ranking and refit (noise)
def _pair_flips(seed: int = 0, sep: float = 1.0):
    """Four overlapping clusters; 25 of the 100 rows of class 'a' labelled 'b' (flips toward one class)."""
    from diagnose.probs import cross_val_probs

    rng = np.random.default_rng(seed)
    true = np.repeat(np.arange(4), 100)
    x = (np.eye(4, 8)[true] * sep + 0.5 * rng.normal(size=(400, 8))).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    flipped = rng.choice(100, 25, replace=False)
    given = true.copy()
    given[flipped] = 1
    classes = ("a", "b", "c", "d")
    train = pl.DataFrame({"id": [f"t{i}" for i in range(400)], "text": ["x"] * 400, "label": [classes[i] for i in given]})
    ev = train.head(1).with_columns(prediction=pl.col("label"), is_error=pl.lit(False))
    data = Prepared(task="classification", eval=ev, train=train, classes=classes, train_embeddings=x,
                    train_probs=cross_val_probs(x, given, 4, folds=3, seed=0),
                    train_neighbors=search(x, x, k=10, exclude_self=True))
    return data, given, flipped


def test_posterior_suspects_rows_of_a_pair_with_many_flips():
    from cleanlab.count import compute_confident_joint

    from diagnose.causes.noisy_label._label_rank import noise_transition, posterior_quality

    rng = np.random.default_rng(0)
    true = np.repeat(np.arange(3), 100)
    probs = 0.2 * rng.dirichlet(np.ones(3), size=300)
    probs[np.arange(300), true] += 0.8
    labels = true.copy()
    labels[:20] = 1  # a fifth of class 0 labelled 1, no flips between 2 and 1
    trans = noise_transition(compute_confident_joint(labels, probs), smooth=0.5)
    np.testing.assert_allclose(trans.sum(axis=0), 1.0)
    assert trans[1, 0] > 5 * trans[1, 2]
    rows = np.array([[0.45, 0.55, 0.0], [0.0, 0.55, 0.45]])
    q = posterior_quality(np.array([1, 1]), rows, trans)
    assert q[0] < q[1] - 0.05  # same self-confidence, but 0 -> 1 flips are common


def test_refit_without_flagged_rows_unlearns_the_flips():
    from diagnose.causes.noisy_label._label_rank import refit_probs

    data, given, flipped = _pair_flips()
    keep = np.ones(len(given), dtype=bool)
    keep[flipped] = False
    fresh = refit_probs(data.train_embeddings, given, keep, 4, folds=3, seed=0)
    assert fresh[flipped, 0].mean() > data.train_probs[flipped, 0].mean() + 0.05
    issues = NoisyLabel().fit(data).tables()["train_issues"].get_column("is_label_issue").to_numpy()
    assert issues[flipped].mean() >= 0.7


def test_refit_is_skipped_above_the_row_cap_without_embeddings_or_for_given_probs():
    import dataclasses

    data, _, _ = _pair_flips()
    flags = lambda d, **kw: NoisyLabel(**kw).fit(d).tables()["train_issues"].get_column("is_label_issue").to_numpy()
    plain = flags(data, refit_rounds=0)
    np.testing.assert_array_equal(flags(data, refit_max_rows=100), plain)
    np.testing.assert_array_equal(flags(dataclasses.replace(data, train_embeddings=None)), plain)
    np.testing.assert_array_equal(flags(dataclasses.replace(data, notes={"train_probs": "given"})), plain)
    assert flags(data, flag_factor=1.0).sum() < flags(data).sum()


def test_a_flagged_training_row_is_never_suggested_its_own_label():
    data, given, _ = _pair_flips()
    issues = NoisyLabel().fit(data).tables()["train_issues"].filter(pl.col("is_label_issue"))
    assert issues.height > 0
    assert issues.filter(pl.col("label") == pl.col("suggested_label")).height == 0
