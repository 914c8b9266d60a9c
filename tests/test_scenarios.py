"""Tests of the benchmark scenario builders and the baseline pipeline on small synthetic data.

Everything here writes its own tiny datasets in the formats of BANKING77,
CLINC150 and RAMDocs to a temporary folder; the one test on the real shared
data skips when ``/work/shared/data`` is absent (as in CI).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import _scenario_plants as plants
from benchmarks.baseline_pipeline import baseline_attribute
from benchmarks.scenarios import (
    SHARED_DIR,
    make_clinc_heldout_domains,
    make_intent_scenario,
    make_rag_scenario,
)

CAUSES = {"coverage_gap", "noisy_label", "annotator_inconsistency"}
N_CLASSES = 16


def _texts(cls: int, n: int, rng: np.random.Generator) -> list[str]:
    """Queries of one synthetic intent: its own vocabulary plus a few shared words."""
    own = [f"w{cls}x{j}" for j in range(8)]
    shared = ["please", "my", "card", "help", "account", "money"]
    return [" ".join(rng.choice(own, 4).tolist() + rng.choice(shared, 2).tolist()) for _ in range(n)]


def _write_banking(root: Path, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    for name, n in (("train.csv", 14), ("test.csv", 6)):
        rows = [(t, f"intent_{c:02d}") for c in range(N_CLASSES) for t in _texts(c, n, rng)]
        (root / "banking77").mkdir(parents=True, exist_ok=True)
        pl.DataFrame(rows, schema=["text", "category"], orient="row").write_csv(root / "banking77" / name)
    return root


def _write_clinc(root: Path, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    split = lambda n: [[t, f"intent_{c:02d}"] for c in range(N_CLASSES) for t in _texts(c, n, rng)]
    data = {"train": split(10), "test": split(4), "oos_test": [[f"zz{j} qq{j}", "oos"] for j in range(20)]}
    (root / "clinc150").mkdir(parents=True, exist_ok=True)
    (root / "clinc150" / "data_full.json").write_text(json.dumps(data))
    domains = {f"dom{d}": [f"intent_{c:02d}" for c in range(4 * d, 4 * d + 4)] for d in range(4)}
    (root / "clinc150" / "domains.json").write_text(json.dumps(domains))
    return root


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("shared")
    _write_banking(root)
    _write_clinc(root)
    return root


@pytest.fixture(scope="module")
def scenario(shared):
    return make_intent_scenario("banking77", seed=3, shared_dir=shared)


def _check_intent_invariants(sc) -> None:
    ev, truth = sc.eval, sc.truth
    assert truth["id"].to_list() == ev["id"].to_list()
    probs = ev.select([f"prob_{c}" for c in sc.classes]).to_numpy()
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-9)
    assert set(sc.train["label"].unique()).isdisjoint(sc.plants.get("heldout", []))
    frame = ev.select("id", "label", "prediction").join(truth, on="id")
    for label, pred, planted in frame.select("label", "prediction", "planted").iter_rows():
        assert set(planted) <= CAUSES
        if label == pred:
            assert planted == []  # correct rows have nothing to explain
    flipped = sc.train_truth.select((pl.col("given_label") != pl.col("true_label")) == pl.col("flipped")).to_series()
    assert flipped.all()


def test_intent_scenario_invariants_and_determinism(shared, scenario):
    _check_intent_invariants(scenario)
    again = make_intent_scenario("banking77", seed=3, shared_dir=shared)
    for name in ("train", "eval", "annotations", "truth", "train_truth"):
        assert getattr(scenario, name).equals(getattr(again, name)), name
    assert scenario.plants == again.plants
    planted = scenario.truth["planted"].explode().drop_nulls()
    assert {"coverage_gap", "noisy_label"} <= set(planted.to_list())
    ann = scenario.annotations
    assert ann.group_by("id").len()["len"].max() == plants.VOTES_PER_ITEM
    assert set(ann["id"]) >= set(scenario.eval["id"])  # every eval row is annotated


def test_strength_zero_plants_nothing(shared):
    sc = make_intent_scenario("banking77", seed=1, strength=0.0, shared_dir=shared)
    _check_intent_invariants(sc)
    assert sc.plants["heldout"] == [] and sc.plants["flip_pairs"] == [] and sc.plants["split_pairs"] == []
    assert not sc.train_truth["flipped"].any()
    assert (sc.eval["label"] == sc.truth["true_label"]).all()
    assert sc.truth["planted"].list.len().sum() == 0


def test_pick_roles_are_disjoint_and_need_enough_classes():
    classes = tuple(f"c{i:02d}" for i in range(40))
    roles = plants.pick_roles(classes, 1.0, np.random.default_rng(0))
    used = roles["heldout"] + [c for pair in roles["flip_pairs"] + roles["split_pairs"] for c in pair]
    assert len(used) == len(set(used))
    a, b = roles["double_flip"][0]
    assert a in dict(roles["split_pairs"]) and b not in used  # a split class flipped to a fresh class
    with pytest.raises(ValueError, match="too small"):
        plants.pick_roles(classes[:10], 1.0, np.random.default_rng(0))


ROLES = {"heldout": ["h"], "flip_pairs": [("a", "b")], "split_pairs": [("c", "d")], "double_flip": [("c", "e")]}


@pytest.mark.parametrize("true, given, pred, expected", [
    ("a", "a", "a", []),                                   # correct
    ("h", "h", "a", ["coverage_gap"]),                     # held-out class
    ("a", "a", "b", ["noisy_label"]),                      # flipped pair a->b
    ("b", "b", "a", []),                                   # reverse direction: natural
    ("x", "y", "x", ["noisy_label"]),                      # wrong gold
    ("c", "c", "d", ["annotator_inconsistency"]),          # split class to its partner
    ("c", "c", "x", []),                                   # split class elsewhere: natural
    ("c", "c", "e", ["annotator_inconsistency", "noisy_label"]),  # split class, also flipped to e
    ("c", "y", "c", ["annotator_inconsistency", "noisy_label"]),  # split class with a wrong gold
    ("a", None, "b", []),                                  # unlabelled
])
def test_planted_causes_table(true, given, pred, expected):
    assert plants.planted_causes(true, given, pred, ROLES) == expected


def test_votes_split_toward_the_partner_and_keep_held_out_classes_out_of_training():
    rng = np.random.default_rng(0)
    classes = ("c", "d", "h", "x")
    acc = plants.annotator_accuracy(rng)
    true = np.array(["c"] * 300 + ["x"] * 300, dtype=object)
    votes = plants.cast_votes(true, classes, {"c": "d"}, 0.5, acc, rng)
    reliable = votes[:, :, 0] != plants.SPAMMER
    partner = (votes[:300, :, 1] == "d")[reliable[:300]].mean()
    assert 0.35 < partner < 0.6
    assert (votes[300:, :, 1] == "d")[reliable[300:]].mean() < 0.1
    roles = {"heldout": ["h"], "flip_pairs": [], "split_pairs": [("c", "d")], "double_flip": [],
             "flip_share": 0.0, "double_flip_share": 0.0, "uniform_noise_share": 0.0}
    given = plants.plant_train(true, votes, roles, ["c", "d", "x"], rng)
    assert "h" not in set(given)
    assert 0.3 < (given[:300] == "d").mean() < 0.7 and (given[300:] == "x").all()


def test_heldout_domain_scenario(shared):
    sc = make_clinc_heldout_domains(seed=0, n_domains=1, shared_dir=shared)
    held = set(sc.plants["heldout"])
    assert len(held) == 4 and held.isdisjoint(sc.train["label"].to_list())
    truth = sc.truth.join(sc.eval.select("id", "label"), on="id")
    for label, planted in truth.select("label", "planted").iter_rows():
        assert planted == (["coverage_gap"] if label in held else [])


def _write_ramdocs(root: Path) -> Path:
    rows = []
    for q in range(12):
        docs = [{"text": f"Doc says the answer to question {q} is A{q}.", "type": "correct", "answer": f"A{q}"},
                {"text": f"Another source says B{q}.", "type": "misinfo" if q % 2 else "correct", "answer": f"B{q}"},
                {"text": "Unrelated noise text.", "type": "noise", "answer": "none"}]
        rows.append({"question": f"What is thing {q}?", "gold_answers": [f"A{q}", f"B{q}"], "documents": docs})
    (root / "ramdocs").mkdir(parents=True, exist_ok=True)
    (root / "ramdocs" / "RAMDocs_test.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    return root


def test_rag_scenario_ground_truth(tmp_path):
    root = _write_ramdocs(tmp_path)
    sc = make_rag_scenario(seed=0, n_questions=10, shared_dir=root)
    again = make_rag_scenario(seed=0, n_questions=10, shared_dir=root)
    assert sc.eval.equals(again.eval) and sc.truth.equals(again.truth)
    assert set(sc.contexts["id"]) == set(sc.eval["id"])
    frame = sc.eval.join(sc.truth, on="id")
    for label, pred, planted in frame.select("label", "prediction", "planted").iter_rows():
        assert label.startswith("A")  # the first gold answer a correct document supports
        if planted:
            assert planted == ["contradictory_context"] and pred != label


def test_baseline_attribute_on_synthetic_frames():
    rng = np.random.default_rng(0)
    train = pl.DataFrame([(f"t{c}{i}", t, f"k{c}") for c in range(3) for i, t in enumerate(_texts(c, 20, rng))],
                         schema=["id", "text", "label"], orient="row")
    texts = _texts(0, 2, rng) + ["zebra quantum violin orbit"]
    ev = pl.DataFrame({"id": ["e_ok", "e_split", "e_far"], "text": texts,
                       "label": ["k0", "k0", "k1"], "prediction": ["k0", "k1", "k2"]})
    probs = np.array([[0.8, 0.1, 0.1], [0.4, 0.5, 0.1], [0.3, 0.3, 0.4]])
    ev = ev.with_columns(**{f"prob_k{j}": probs[:, j] for j in range(3)})
    ann = pl.DataFrame([("e_ok", "x", "k0"), ("e_ok", "y", "k1"), ("e_split", "x", "k0"), ("e_split", "y", "k1")],
                       schema=["id", "annotator", "label"], orient="row")
    out = baseline_attribute(train, ev, ann)
    causes = dict(zip(out["id"], out["causes"].to_list()))
    assert causes["e_ok"] == []  # correct rows get nothing, whatever their votes
    assert "annotator_inconsistency" in causes["e_split"]
    assert "coverage_gap" in causes["e_far"] and "annotator_inconsistency" not in causes["e_far"]


@pytest.mark.skipif(not (SHARED_DIR / "banking77" / "train.csv").exists(), reason="needs /work/shared/data")
def test_real_banking77_small():
    sc = make_intent_scenario("banking77", seed=2, n_classes=20, train_per_class=15, eval_per_class=5)
    _check_intent_invariants(sc)
    assert len(sc.classes) == 20
