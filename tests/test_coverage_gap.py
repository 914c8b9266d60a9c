"""Tests of the coverage_gap analyzer on small hand-made data (no shared data)."""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from diagnose.analyzers.base import Prepared
from diagnose.analyzers.coverage_gap import CoverageGap
from diagnose.embed import TfidfSvdEmbedder
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
