"""Tests of the scenario-family generator (recipes, planting, truth) and its measures, on a synthetic pool.

Nothing here reads the shared datasets: the pool is made in memory, and the
user's model is the benchmark's own TF-IDF + logistic regression on it.
"""
from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import _family_recipes as R
from benchmarks.family import measure_draw

N_CLASSES = 10
TOY = {"datasets": ("toy",), "class_range": {"toy": (N_CLASSES, N_CLASSES)}}


@pytest.fixture(scope="module")
def pool() -> pl.DataFrame:
    """Ten classes of 60 short texts; classes 2k and 2k+1 share half their words (confusable pairs)."""
    rng = np.random.default_rng(0)
    rows = []
    for c in range(N_CLASSES):
        own = [f"w{c}x{j}" for j in range(6)] + [f"p{c // 2}y{j}" for j in range(6)]
        rows += [(" ".join(rng.choice(own, 5).tolist() + [f"u{i}"]), f"class_{c:02d}") for i in range(60)]
    return pl.DataFrame(rows, schema=["text", "label"], orient="row")


def _draw(pool: pl.DataFrame, seed: int = 0, **fields) -> R.Draw:
    recipe = replace(R.draw_recipe(seed, no_fault=False, **TOY), **fields)
    return R.build_draw(recipe, pool, train_cap=300, eval_cap=200)


def _errors(draw: R.Draw) -> pl.DataFrame:
    return draw.truth.join(draw.eval.select("id", "label", "prediction"), on="id").filter(
        pl.col("label") != pl.col("prediction"))


# ------------------------------------------------------------------ recipes
def test_recipe_is_a_function_of_its_seed():
    assert R.draw_recipe(5) == R.draw_recipe(5)
    assert R.draw_recipe(5) != R.draw_recipe(6)


@pytest.mark.parametrize("seed", range(0, 48, 3))
def test_recipe_stays_in_its_space(seed):
    r = R.draw_recipe(seed)
    assert r.dataset == R.DATASETS[seed % 4]
    assert 0 <= r.withheld_share <= 0.3 and 0 <= r.noise_rate <= 0.25 and 500 <= r.eval_size <= 5000
    assert r.noise_kind in {"uniform", "pair", "near_dup"} and r.noise_where in {"train", "eval", "both"}
    assert 0 <= r.votes_per_item <= 5 and r.n_annotators >= r.votes_per_item
    assert r.split_share == 0 or r.votes_per_item > 0  # no splits without annotations


def test_no_fault_draws_are_one_in_six_and_can_be_forced():
    flags = [R.draw_recipe(s).no_fault for s in range(100, 124)]
    assert sum(flags) == 4 and {R.draw_recipe(s).dataset for s in range(104, 108)} == set(R.DATASETS)
    forced = R.draw_recipe(101, no_fault=True)
    assert (forced.withheld_share, forced.noise_rate, forced.split_share) == (0, 0, 0)
    assert forced.dataset == R.draw_recipe(101).dataset and forced.eval_size == R.draw_recipe(101).eval_size


# ------------------------------------------------------------------ planting
def test_withheld_classes_are_coverage_gaps(pool):
    draw = _draw(pool, withheld_share=0.2, noise_rate=0.0, split_share=0.0)
    withheld = set(draw.info["withheld"])
    assert len(withheld) == 2 and not withheld & set(draw.train["label"].to_list())
    errors = _errors(draw)
    on_withheld = errors["true_label"].is_in(list(withheld))
    assert on_withheld.sum() > 0
    assert (errors["planted"].list.contains("coverage_gap") == on_withheld).all()


@pytest.mark.parametrize("kind", ["uniform", "pair", "near_dup"])
def test_train_flips_are_counted_and_explain_errors(pool, kind):
    draw = _draw(pool, withheld_share=0.0, noise_rate=0.2, noise_kind=kind, noise_where="train", split_share=0.0)
    assert draw.info["train_flipped"] > 0 and draw.info["eval_flipped"] == 0
    if kind == "uniform":
        assert draw.info["train_flipped"] == round(0.2 * draw.train.height)
    if kind == "pair":
        assert draw.info["noise_pairs"]
    errors = _errors(draw)
    assert not errors["gold_flipped"].any()
    assert set(errors["planted"].explode().drop_nulls().to_list()) <= {"noisy_label"}


def test_eval_gold_flips_hit_busy_rows_with_overlap(pool):
    draw = _draw(pool, withheld_share=0.2, noise_rate=0.2, noise_kind="uniform", noise_where="eval",
                 split_share=0.0, overlap=1.0)
    assert draw.info["eval_flipped"] == round(0.2 * draw.eval.height)
    assert draw.truth["gold_flipped"].sum() == draw.info["eval_flipped"]
    flipped = draw.truth.filter(pl.col("gold_flipped"))
    assert flipped["true_label"].is_in(draw.info["withheld"]).sum() > 0  # doubles: gold flip on a withheld class
    errors = _errors(draw)
    assert (errors.filter(pl.col("gold_flipped"))["planted"].list.contains("noisy_label")).all()
    assert (errors["planted"].list.len() == 2).sum() > 0


def test_split_items_have_votes_and_explain_pair_errors(pool):
    draw = _draw(pool, withheld_share=0.0, noise_rate=0.0, split_share=0.15, votes_per_item=3,
                 annotated_eval_share=1.0)
    assert draw.info["split_pairs"] and draw.info["ambiguous_eval"] > 0
    votes = draw.annotations.group_by("id").len()
    assert set(votes["len"].to_list()) == {3}
    pairs = {a: {a, b} for a, b in draw.info["split_pairs"]}
    for row in _errors(draw).filter(pl.col("planted").list.contains("annotator_inconsistency")).iter_rows(named=True):
        assert {row["label"], row["prediction"]} <= pairs[row["true_label"]]


def test_no_fault_draw_plants_nothing(pool):
    recipe = R.draw_recipe(3, no_fault=True, **TOY)
    draw = R.build_draw(recipe, pool, train_cap=300, eval_cap=200)
    assert draw.info["train_flipped"] == draw.info["eval_flipped"] == draw.info["ambiguous_eval"] == 0
    assert not draw.info["withheld"] and draw.truth["planted"].list.len().sum() == 0


def test_build_is_deterministic(pool):
    a, b = _draw(pool, 7), _draw(pool, 7)
    assert a.eval.equals(b.eval) and a.train.equals(b.train) and a.annotations.equals(b.annotations)


# --------------------------------------------------------------------- truth
@pytest.mark.parametrize("true, gold, pred, split, expected", [
    ("a", "a", "a", None, []),                                   # correct row
    ("w", "w", "a", None, ["coverage_gap"]),                     # withheld class
    ("a", "b", "a", None, ["noisy_label"]),                      # eval gold flipped
    ("a", "a", "b", None, ["noisy_label"]),                      # 10% of a's training rows flipped to b
    ("a", "a", "c", None, []),                                   # a -> c flips too rare: natural
    ("c", "c", "d", ("c", "d"), ["annotator_inconsistency"]),    # split item
    ("c", "c", "e", ("c", "d"), []),                             # split item, error elsewhere
    ("w", "b", "w", None, ["coverage_gap", "noisy_label"]),      # gold flip on a withheld row
    ("a", "a", "b", ("a", "b"), ["annotator_inconsistency", "noisy_label"]),
])
def test_planted_causes(true, gold, pred, split, expected):
    shares = {("a", "b"): 0.10, ("a", "c"): 0.02}
    assert R.planted_causes(true, gold, pred, {"w"}, shares, split) == expected


@pytest.mark.parametrize("planted, true, gold, pred, clean, expected", [
    (["noisy_label"], "a", "a", "b", "b", []),                    # flips nearby, but the clean model errs too
    ([], "a", "a", "b", "a", ["noisy_label"]),                    # flip share small, but the flips made the error
    (["coverage_gap"], "w", "x", "b", "c", ["coverage_gap", "noisy_label"]),  # gold flipped counts as before
    (["annotator_inconsistency"], "a", "a", "a", "a", ["annotator_inconsistency"]),  # not an error: unchanged
])
def test_counterfactual_truth_asks_whether_the_model_without_the_flips_gets_the_row_right(planted, true, gold, pred,
                                                                                         clean, expected):
    assert R.counterfactual_causes(planted, true, gold, pred, clean) == expected


def test_flip_shares_need_two_rows():
    true = np.array(["a"] * 10 + ["b"] * 10, dtype=object)
    given = true.copy()
    given[[0, 1, 10]] = ["b", "b", "a"]
    shares = R.flip_shares(true, given, given != true)
    assert shares == {("a", "b"): 0.2}


# ------------------------------------------------------------------ measures
def test_measures_count_natural_errors_as_false_positives(pool):
    draw = _draw(pool, withheld_share=0.2, noise_rate=0.0, split_share=0.0)
    errors = _errors(draw)
    examples = errors.select("id", causes=pl.lit(["coverage_gap"]), primary_cause=pl.lit("coverage_gap"))
    m = measure_draw(draw, examples)
    planted = int(errors["planted"].list.contains("coverage_gap").sum())
    assert m["coverage_gap.recall"] == {"value": 1.0, "n": planted}
    assert m["coverage_gap.precision"]["value"] == pytest.approx(planted / errors.height)
    assert m["coverage_gap.calibration_gap"]["value"] is None and m["coverage_gap.calibration_gap"]["missing"]
    stated = examples.with_columns(precision_coverage_gap=pl.lit(0.9))
    gap = measure_draw(draw, stated)["coverage_gap.calibration_gap"]["value"]
    assert gap == pytest.approx(0.9 - planted / errors.height)


@pytest.mark.parametrize("name", ["lr", "flat", "sharp", "nb", "knn"])
def test_every_user_model_gives_probabilities_over_all_classes(name):
    from benchmarks._user_models import MODELS

    train = pl.DataFrame({"text": ["card lost", "lost my card", "top up failed", "top up pending", "card stolen", "failed top up"],
                          "label": ["card", "card", "topup", "topup", "card", "topup"]})
    queries = pl.DataFrame({"text": ["my card is lost", "the top up failed", "weather today"]})
    out = MODELS[name](train, queries, ("card", "topup", "weather"), seed=0)
    probs = out.select("prob_card", "prob_topup", "prob_weather").to_numpy()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    assert out["prediction"].to_list()[:2] == ["card", "topup"]
    assert (probs.argmax(axis=1) == [["card", "topup", "weather"].index(p) for p in out["prediction"]]).all()
