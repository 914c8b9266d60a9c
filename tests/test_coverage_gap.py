"""Tests of the coverage_gap analyzer on small hand-made data (no shared data)."""
from __future__ import annotations

import re

import numpy as np
import polars as pl
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from diagnose.causes.coverage_gap._coverage_features import centre_distance, class_sums, nearest_in_group, sparse_top_k
from diagnose.causes.coverage_gap.analyzer import CoverageGap
from diagnose.core import Prepared
from diagnose.embed import TfidfSvdEmbedder
from diagnose.errors import InputError
from diagnose.neighbors import search

CARD = ["i lost my card", "my card was stolen", "card lost yesterday", "where is my lost card",
        "someone stole my card", "please block my stolen card", "lost card help", "card missing from wallet"]
TOPUP = ["top up failed", "my top up did not work", "why did the top up fail", "top up declined",
         "cannot top up my account", "top up is pending", "top up not showing", "failed to top up"]
NOVEL = ["what is the weather forecast for tomorrow", "play some jazz music on the speaker",
         "how many calories in a banana"]


def _prepared(labels_known: bool = True) -> Prepared:
    train_texts = CARD + TOPUP
    train = pl.DataFrame({"id": [f"t{i}" for i in range(len(train_texts))], "text": train_texts,
                          "label": ["card"] * len(CARD) + ["topup"] * len(TOPUP)})
    eval_texts = ["i lost my card today", "top up failed again"] + NOVEL
    gold = ["card", "topup", "card", "topup", "card"]
    pred = ["card", "topup", "card", "card", "topup"]
    ev = pl.DataFrame({"id": [f"e{i}" for i in range(len(eval_texts))], "text": eval_texts,
                       "label": gold if labels_known else [None] * len(gold), "prediction": pred,
                       "is_error": [g != p for g, p in zip(gold, pred)] if labels_known else [None] * len(gold)},
                      schema_overrides={"label": pl.Utf8, "is_error": pl.Boolean})
    emb = TfidfSvdEmbedder(n_components=8).fit(train_texts + eval_texts)
    tr_e, ev_e = emb.transform(train_texts), emb.transform(eval_texts)
    return Prepared(task="classification", eval=ev, train=train, classes=("card", "topup"),
                    eval_embeddings=ev_e, train_embeddings=tr_e,
                    eval_neighbors=search(ev_e, tr_e, k=5), train_neighbors=search(tr_e, tr_e, k=5, exclude_self=True))


@pytest.mark.parametrize("features", ["char", "shared"])
@pytest.mark.parametrize("labels_known", [True, False])
def test_contract_and_planted_gap(features, labels_known):
    data = _prepared(labels_known)
    out = CoverageGap(features=features, k=3).fit(data).score(data)
    assert out.columns == ["id", "score_coverage_gap", "evidence_coverage_gap"]
    assert out.get_column("id").to_list() == data.eval.get_column("id").to_list()
    scores = out.get_column("score_coverage_gap").to_numpy()
    assert np.all((scores >= 0) & (scores <= 1))
    assert all(isinstance(e, str) and e for e in out.get_column("evidence_coverage_gap").to_list())
    if features == "char":  # the novel rows are the most isolated ones
        assert scores[2:].min() > scores[:2].max()


def test_unseen_gold_label_scores_one():
    data = _prepared()
    ev = data.eval.with_columns(label=pl.Series(["card", "topup", "weather", "topup", "card"]))
    data = Prepared(**{**data.__dict__, "eval": ev})
    out = CoverageGap().fit(data).score(data)
    assert out.get_column("score_coverage_gap")[2] == 1.0
    assert "never appears in training" in out.get_column("evidence_coverage_gap")[2]


def test_skips_without_train():
    data = _prepared()
    assert CoverageGap().skip_reason(Prepared(task="classification", eval=data.eval)) is not None


def test_model_probabilities_raise_uncertain_rows():
    data = _prepared(labels_known=False)
    probs = np.array([[0.95, 0.05], [0.9, 0.1], [0.5, 0.5], [0.55, 0.45], [0.6, 0.4]])
    data = Prepared(**{**data.__dict__, "eval_probs": probs})
    plain = CoverageGap(k=3).fit(data).score(data).get_column("score_coverage_gap").to_numpy()
    mixed = CoverageGap(k=3, use_probs=True).fit(data).score(data)
    scores = mixed.get_column("score_coverage_gap").to_numpy()
    assert np.all(scores >= plain - 1e-12) and np.all(scores <= 1)
    assert "top probability" in mixed.get_column("evidence_coverage_gap")[2]


def _with_probs(data: Prepared, eval_probs: np.ndarray) -> Prepared:
    train_probs = np.where(data.train.get_column("label").to_numpy()[:, None] == np.array(["card", "topup"]), 0.9, 0.1)
    return Prepared(**{**data.__dict__, "eval_probs": eval_probs, "train_probs": train_probs})


def test_signals_follow_available_inputs():
    data = _prepared(labels_known=False)
    assert CoverageGap().fit(data).signals_ == ("isolation", "centre")
    probs = np.full((data.eval.height, 2), 0.5)
    assert CoverageGap().fit(_with_probs(data, probs)).signals_ == ("isolation", "centre", "uncertainty")
    only_eval = Prepared(**{**data.__dict__, "eval_probs": probs})
    assert "uncertainty" not in CoverageGap().fit(only_eval).signals_
    generation = Prepared(**{**data.__dict__, "task": "generation"})
    assert CoverageGap().fit(generation).signals_ == ("isolation",)
    with pytest.raises(InputError):
        CoverageGap(signals=("centre",)).fit(data)


def test_uncertain_twin_scores_higher():
    data = _prepared(labels_known=False)
    ev = data.eval.with_columns(text=pl.Series(["lost card and top up"] * 2 + NOVEL))
    probs = np.array([[0.99, 0.01], [0.5, 0.5], [0.6, 0.4], [0.6, 0.4], [0.6, 0.4]])
    data = _with_probs(Prepared(**{**data.__dict__, "eval": ev}), probs)
    out = CoverageGap(k=3, features="char").fit(data).score(data)
    scores = out.get_column("score_coverage_gap").to_numpy()
    assert scores[1] > scores[0]
    assert "classifier less certain than on" in out.get_column("evidence_coverage_gap")[1]


def test_your_models_confidence_scale_does_not_move_the_uncertainty_signal():
    """Your model's eval probabilities against the proxy's training ones: a model that is flatter
    everywhere (same ranking of rows) scores every row as one that is sharper; read as the same
    model (no note that the eval probabilities were given), the flat one looks uncertain everywhere."""
    data = _prepared(labels_known=False)
    sharp = np.array([[0.97, 0.03], [0.9, 0.1], [0.6, 0.4], [0.7, 0.3], [0.8, 0.2]])
    flat = sharp ** 0.3 / (sharp ** 0.3).sum(axis=1, keepdims=True)
    notes = {"eval_probs": "given", "train_probs": "proxy"}

    top = np.linspace(0.55, 0.99, data.train.height)  # the proxy's confidence varies over training rows
    own = data.train.get_column("label").to_numpy()[:, None] == np.array(["card", "topup"])
    train_probs = np.where(own, top[:, None], 1.0 - top[:, None])

    def scores(probs, notes):
        prepared = Prepared(**{**data.__dict__, "eval_probs": probs, "train_probs": train_probs, "notes": notes})
        return CoverageGap(k=3).fit(prepared).score(prepared).get_column("score_coverage_gap").to_numpy()

    np.testing.assert_allclose(scores(flat, notes), scores(sharp, notes))
    assert np.all(scores(flat, {}) >= scores(sharp, {})) and np.any(scores(flat, {}) > scores(sharp, {}))


@pytest.mark.parametrize("sparse", [True, False])
def test_centre_distance_leaves_the_row_out(sparse):
    rng = np.random.default_rng(0)
    x = rng.random((9, 4)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    y = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    rows = sp.csr_matrix(x) if sparse else x
    got = centre_distance(rows, *class_sums(rows, y, 3), own=y)
    for i in range(len(x)):
        centres = [x[(y == c) & (np.arange(len(x)) != i)].sum(axis=0) for c in range(3)]
        cos = [x[i] @ c / np.linalg.norm(c) for c in centres]
        assert got[i] == pytest.approx(1 - max(cos), abs=1e-5)


def test_in_distribution_rows_are_not_flagged():
    """Rows drawn like the training rows score like training rows (leave-one-out calibration)."""
    rng = np.random.default_rng(1)
    topics = {"card": ["card", "lost", "stolen", "blocked", "pin", "wallet"],
              "topup": ["top", "up", "failed", "pending", "declined", "account"],
              "fx": ["exchange", "rate", "currency", "euro", "dollar", "fee"]}
    filler = ["my", "the", "please", "why", "is", "was", "help", "today", "again", "now"]

    def draw(label):
        words = list(rng.choice(topics[label], 3)) + list(rng.choice(filler, 3))
        return " ".join(rng.permutation(words))

    labels = [c for c in topics for _ in range(60)]
    train = pl.DataFrame({"id": [f"t{i}" for i in range(len(labels))], "text": [draw(c) for c in labels], "label": labels})
    ev_labels = [c for c in topics for _ in range(20)]
    ev = pl.DataFrame({"id": [f"e{i}" for i in range(len(ev_labels))], "text": [draw(c) for c in ev_labels],
                       "label": [None] * len(ev_labels), "prediction": [None] * len(ev_labels),
                       "is_error": [None] * len(ev_labels)},
                      schema_overrides={"label": pl.Utf8, "prediction": pl.Utf8, "is_error": pl.Boolean})
    data = Prepared(task="classification", eval=ev, train=train, classes=tuple(sorted(topics)))
    scores = CoverageGap(k=3).fit(data).score(data).get_column("score_coverage_gap").to_numpy()
    assert 0.3 < scores.mean() < 0.7
    assert (scores >= 0.95).mean() < 0.2


def _with_outcomes(train_probs: bool = True) -> Prepared:
    """The same ambiguous text twice: once as a labelled error, once unlabelled (production traffic)."""
    data = _prepared()
    ev = pl.DataFrame({"id": ["err", "free"], "text": ["why was my card declined at the shop"] * 2, "label": ["card", None],
                       "prediction": ["topup", "topup"], "is_error": [True, None]},
                      schema_overrides={"label": pl.Utf8, "is_error": pl.Boolean})
    n = data.train.height
    texts = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True).fit_transform(
        data.train.get_column("text").to_list())
    _, sims = sparse_top_k(texts, texts, 3, exclude=np.arange(n))
    # the out-of-sample model is wrong and unsure on the third of the training rows that are least like the rest
    wrong = np.argsort(np.argsort(sims.mean(axis=1))) < n // 3
    y = np.array([0] * len(CARD) + [1] * len(TOPUP))
    probs = np.where(wrong[:, None], 0.4, 0.03) * np.ones((n, 2))
    probs[np.arange(n), np.where(wrong, 1 - y, y)] = 1 - probs[:, 0]
    emb = TfidfSvdEmbedder(n_components=8).fit(data.train.get_column("text").to_list() + ev.get_column("text").to_list())
    ev_e = emb.transform(ev.get_column("text").to_list())
    return Prepared(**{**data.__dict__, "eval": ev, "eval_embeddings": ev_e, "eval_neighbors": search(ev_e, data.train_embeddings, k=5),
                       "eval_probs": np.array([[0.45, 0.55]] * 2), "train_probs": probs if train_probs else None})


def test_errors_are_calibrated_against_training_errors():
    data = _with_outcomes()
    fitted = CoverageGap(k=3, min_outcome_rows=3, outcome_reference="outcome", gold_reference=None).fit(data)
    assert set(fitted.outcome_references_) == {True, False}
    out = fitted.score(data)
    err, free = out.get_column("score_coverage_gap").to_list()
    assert err + 0.25 < free  # being wrong and unsure is ordinary among errors, not a gap
    assert "training rows the model also gets wrong" in out.get_column("evidence_coverage_gap")[0]
    plain = CoverageGap(k=3, outcome_reference="all", gold_reference=None).fit(data).score(data).get_column("score_coverage_gap").to_list()
    assert plain[0] == plain[1] == free
    off = CoverageGap(k=3, outcome_reference=False, gold_reference=None).fit(data).score(data)
    assert off.get_column("score_coverage_gap").to_list() == plain


def test_blend_reference_averages_all_rows_and_same_outcome_shares():
    data = _with_outcomes()
    scores = {mode: CoverageGap(k=3, min_outcome_rows=3, outcome_reference=mode, gold_reference=None).fit(data).score(data)
              for mode in ("all", "outcome")}
    out = CoverageGap(k=3, min_outcome_rows=3, outcome_reference="blend", gold_reference=None).fit(data).score(data)
    err, free = out.get_column("score_coverage_gap").to_list()
    only_all, only_outcome = (scores[m].get_column("score_coverage_gap")[0] for m in ("all", "outcome"))
    assert only_outcome < err < only_all
    assert err == pytest.approx((only_all + only_outcome) / 2)
    assert free == scores["all"].get_column("score_coverage_gap")[1]  # unlabelled rows: all training rows
    evidence = out.get_column("evidence_coverage_gap")[0]
    assert f"{100 * only_all:.0f}% of all of them" in evidence and "the model also gets wrong" in evidence
    with pytest.raises(InputError, match="outcome_reference"):
        CoverageGap(outcome_reference="errors").fit(data)


def test_outcome_reference_needs_training_probabilities():
    data = _with_outcomes(train_probs=False)
    fitted = CoverageGap(k=3, min_outcome_rows=3, outcome_reference="blend", gold_reference=None).fit(data)
    assert fitted.outcome_references_ == {}
    err, free = fitted.score(data).get_column("score_coverage_gap").to_list()
    assert err == free


def _gold_errors() -> Prepared:
    """Two errors predicted topup with gold card: one reads like the card rows, one like nothing in training."""
    data = _prepared()
    texts = ["i lost my card today", "how many calories in a banana", "top up failed again", "what is the weather"]
    ev = pl.DataFrame({"id": ["near", "far", "right", "free"], "text": texts, "label": ["card", "card", "topup", None],
                       "prediction": ["topup", "topup", "topup", "card"], "is_error": [True, True, False, None]},
                      schema_overrides={"label": pl.Utf8, "is_error": pl.Boolean})
    emb = TfidfSvdEmbedder(n_components=8).fit(data.train.get_column("text").to_list() + texts)
    tr_e, ev_e = emb.transform(data.train.get_column("text").to_list()), emb.transform(texts)
    return Prepared(**{**data.__dict__, "eval": ev, "eval_embeddings": ev_e, "train_embeddings": tr_e,
                       "eval_neighbors": search(ev_e, tr_e, k=5), "train_neighbors": search(tr_e, tr_e, k=5, exclude_self=True)})


@pytest.mark.parametrize("features", ["char", "shared"])
def test_error_near_training_rows_of_its_gold_label_is_no_gap(features):
    data = _gold_errors()
    on = CoverageGap(k=3, features=features).fit(data).score(data)
    off = CoverageGap(k=3, features=features, gold_reference=None).fit(data).score(data)
    s_on, s_off = (dict(zip(o.get_column("id"), o.get_column("score_coverage_gap"))) for o in (on, off))
    evidence = dict(zip(on.get_column("id"), on.get_column("evidence_coverage_gap")))
    assert s_on["near"] < 0.5 < s_on["far"]
    for key in ("near", "far"):  # the mean of the novelty and the gold-label share quoted in the evidence
        assert "nearest training row labelled 'card'" in evidence[key]
        share = float(re.search(r"farther than (\d+)% of training rows are from their own label", evidence[key]).group(1)) / 100
        assert s_on[key] == pytest.approx((s_off[key] + share) / 2, abs=0.006)
    assert s_on["right"] == s_off["right"] and s_on["free"] == s_off["free"]  # only errors use the gold label
    assert "labelled" not in evidence["right"] and "labelled" not in evidence["free"]
    with pytest.raises(InputError, match="gold_reference"):
        CoverageGap(gold_reference="gold").fit(data)


@pytest.mark.parametrize("sparse", [False, True])
def test_nearest_in_group_matches_brute_force(sparse):
    rng = np.random.default_rng(0)
    base = rng.normal(size=(40, 6))
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    groups = rng.integers(0, 3, 40)
    groups[0] = 3  # a group of one: nothing else to compare with
    rows = np.arange(12)
    matrix = sp.csr_matrix(base) if sparse else base
    got = nearest_in_group(matrix[rows], groups[rows], matrix, groups, exclude=rows, block=5)
    sims = base[rows] @ base.T
    sims[rows, rows] = -np.inf
    want = [sims[i, groups == groups[i]].max() for i in rows]
    assert np.isnan(got[0]) and np.allclose(got[1:], want[1:])
    assert np.isnan(nearest_in_group(matrix[:2], np.array([-1, 9]), matrix, groups)).all()
