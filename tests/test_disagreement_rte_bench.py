"""The RTE disagreement benchmark's truth and vote sampling (synthetic votes; no shared data needed)."""
from __future__ import annotations

import numpy as np
import polars as pl

from benchmarks.disagreement_rte import code_matrices, half, sample_votes, truth


def _votes(n_items: int = 6, per_item: int = 10) -> pl.DataFrame:
    rng = np.random.default_rng(3)
    return pl.DataFrame({"id": [f"i{i}" for i in range(n_items) for _ in range(per_item)],
                         "annotator": [f"w{(i + j) % 13}" for i in range(n_items) for j in range(per_item)],
                         "label": [str(v) for v in rng.integers(0, 2, n_items * per_item)],
                         "gold": ["1"] * (n_items * per_item)})


def test_truth_thresholds_and_precedence():
    counts = np.array([[6.0, 4.0], [7.0, 3.0], [3.0, 7.0], [2.0, 8.0], [5.0, 5.0]])
    t = truth(counts, np.array([1, 1, 1, 0, 0]))
    # 6-4 is ambiguous whatever the gold; 7-3 against gold is wrong gold; 7-3 for gold is a model mistake
    assert t["verdict"].tolist() == ["ambiguous", "wrong_gold", "model_mistake", "wrong_gold", "ambiguous"]
    assert np.allclose(t["disagree"], [0.4, 0.3, 0.3, 0.2, 0.5])


def test_sample_votes_keeps_k_own_votes_and_is_seeded():
    ann = _votes()
    ids = [f"i{i}" for i in range(4)]
    a, b, c = (sample_votes(ann, ids, 3, s) for s in (0, 0, 1))
    assert a.equals(b) and not a.equals(c)
    assert a.group_by("id").len()["len"].to_list() == [3] * 4 and set(a["id"]) == set(ids)
    assert a.join(ann, on=["id", "annotator", "label"], how="anti").height == 0  # every vote is one of the item's own


def test_code_matrices_anonymous_and_by_worker_agree():
    ann = _votes()
    ids = [f"i{i}" for i in range(6)]
    votes = sample_votes(ann, ids, 5, 2)
    anon, wide = code_matrices(votes, ids, 5)
    assert anon.shape == (6, 5) and (anon >= 0).all()
    assert ((wide >= 0).sum(1) == 5).all()
    assert ((anon == 1).sum(1) == (wide == 1).sum(1)).all()


def test_halves_split_the_items():
    dev, rep = half(800, "dev"), half(800, "report")
    assert len(dev) == len(rep) == 400 and not set(dev) & set(rep)
