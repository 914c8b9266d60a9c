"""The bundled sample data follows the input contract and carries its planted faults.

Reads only the files shipped in ``sample_data/`` (never the shared datasets).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
FILES = (
    "intents_train.csv", "intents_eval.csv", "intents_annotations.csv", "intents_truth.csv",
    "intents_train_truth.csv", "rag_eval.csv", "rag_contexts.csv", "rag_truth.csv", "README.md",
)
CAUSES = {"coverage_gap", "noisy_label", "annotator_inconsistency", "contradictory_context"}


def read(name: str) -> pl.DataFrame:
    return pl.read_csv(SAMPLE / name, schema_overrides={"label": pl.String, "planted": pl.String})


@pytest.fixture(scope="module")
def intents() -> dict[str, pl.DataFrame]:
    names = ("train", "eval", "annotations", "truth", "train_truth")
    return {n: read(f"intents_{n}.csv") for n in names}


def classes_of(evals: pl.DataFrame) -> list[str]:
    return [c.removeprefix("prob_") for c in evals.columns if c.startswith("prob_")]


def planted_sets(truth: pl.DataFrame) -> pl.DataFrame:
    return truth.with_columns(pl.col("planted").fill_null("").str.split(";").list.eval(
        pl.element().filter(pl.element() != "")))


@pytest.mark.parametrize("name", FILES)
def test_file_exists_and_is_small(name):
    path = SAMPLE / name
    assert path.is_file(), f"{name} is missing; run python sample_data/build.py"
    assert path.stat().st_size < 1_000_000


def test_intent_columns_and_ids(intents):
    assert intents["train"].columns == ["id", "text", "label"]
    assert intents["eval"].columns[:4] == ["id", "text", "label", "prediction"]
    assert intents["annotations"].columns == ["id", "annotator", "label"]
    for frame in (intents["train"], intents["eval"]):
        assert frame["id"].is_unique().all()
        assert frame["text"].null_count() == 0
    assert not set(intents["train"]["id"]) & set(intents["eval"]["id"])
    known = set(intents["train"]["id"]) | set(intents["eval"]["id"])
    assert set(intents["annotations"]["id"]) <= known


def test_probabilities_match_label_set(intents):
    evals = intents["eval"]
    classes = classes_of(evals)
    probs = evals.select(f"prob_{c}" for c in classes).to_numpy()
    assert np.all(probs >= 0)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-9)
    assert evals["prediction"].to_list() == [classes[j] for j in probs.argmax(axis=1)]
    labels = set(evals["label"].drop_nulls()) | set(intents["train"]["label"])
    assert labels <= set(classes)
    assert classes == sorted(classes)


def test_production_rows_are_unlabelled_coverage_gaps(intents):
    production = intents["eval"].filter(pl.col("label").is_null())
    assert 30 <= production.height <= 50
    truth = intents["truth"].filter(pl.col("id").is_in(production["id"].to_list()))
    assert set(truth["planted"]) == {"coverage_gap"}


def test_heldout_intents_absent_from_train(intents):
    heldout = set(classes_of(intents["eval"])) - set(intents["train"]["label"])
    assert 2 <= len(heldout) <= 4
    evals = intents["eval"].filter(pl.col("label").is_in(list(heldout)))
    assert evals.height > 0
    assert not set(evals["prediction"]) & heldout
    planted = planted_sets(intents["truth"]).filter(pl.col("id").is_in(evals["id"].to_list()))
    assert planted["planted"].list.contains("coverage_gap").all()


def test_flipped_pairs_visible_in_train_truth(intents):
    flips = intents["train_truth"].filter("flipped")
    assert 0.05 < flips.height / intents["train_truth"].height < 0.3
    pairs = flips.group_by("true_label", "given_label").len().sort("len", descending=True)
    per_class = intents["train_truth"].group_by("true_label").len().rename({"len": "n"})
    heavy = pairs.join(per_class, on="true_label").filter(pl.col("len") / pl.col("n") >= 0.25)
    assert heavy.height >= 4  # two flipped pairs, two annotator splits (and a double flip)
    joined = intents["train"].join(intents["train_truth"], on="id")
    assert (joined["label"] == joined["given_label"]).all()
    assert (joined["flipped"] == (joined["true_label"] != joined["given_label"])).all()


def test_annotator_splits_present(intents):
    ann = intents["annotations"]
    assert ann.group_by("id").len()["len"].unique().to_list() == [3]
    assert ann["annotator"].n_unique() == 8
    truth = intents["truth"].select("id", "true_label")
    split = (ann.join(truth, on="id").group_by("true_label")
             .agg(agree=(pl.col("label") == pl.col("true_label")).mean())
             .filter(pl.col("agree") < 0.7))
    assert split.height >= 2
    inconsistent = planted_sets(intents["truth"]).filter(
        pl.col("planted").list.contains("annotator_inconsistency"))
    assert set(inconsistent["true_label"]) <= set(split["true_label"])


def test_every_eval_row_of_labelled_data_is_annotated(intents):
    labelled = intents["eval"].filter(pl.col("label").is_not_null())
    assert set(labelled["id"]) <= set(intents["annotations"]["id"])


def test_intent_truth_agrees_with_eval(intents):
    evals, truth = intents["eval"], planted_sets(intents["truth"])
    assert truth.columns == ["id", "planted", "true_label"]
    assert sorted(truth["id"]) == sorted(evals["id"])
    joined = evals.join(truth, on="id").filter(pl.col("label").is_not_null())
    correct = joined.filter(pl.col("label") == pl.col("prediction"))
    assert (correct["planted"].list.len() == 0).all()
    causes = set(joined["planted"].explode().drop_nulls())
    assert causes == {"coverage_gap", "noisy_label", "annotator_inconsistency"}
    wrong_gold = joined.filter(pl.col("label") != pl.col("true_label"))
    assert wrong_gold.height >= 10
    errors = wrong_gold.filter(pl.col("label") != pl.col("prediction"))
    assert errors["planted"].list.contains("noisy_label").all()
    assert (joined["planted"].list.len() == 2).sum() >= 3  # double causes


def test_rag_files_follow_contract():
    evals, contexts, truth = read("rag_eval.csv"), read("rag_contexts.csv"), read("rag_truth.csv")
    assert evals.columns == ["id", "text", "label", "prediction"]
    assert contexts.columns == ["id", "passage_id", "passage"]
    assert truth.columns == ["id", "planted", "has_conflict"]
    assert evals["id"].is_unique().all() and contexts["passage_id"].is_unique().all()
    assert set(contexts["id"]) == set(evals["id"]) == set(truth["id"])
    assert evals.null_count().sum_horizontal().item() == 0


def test_rag_truth_agrees_with_eval():
    joined = read("rag_eval.csv").join(planted_sets(read("rag_truth.csv")), on="id")
    correct = joined.filter(pl.col("label") == pl.col("prediction"))
    assert (correct["planted"].list.len() == 0).all()
    planted = joined.filter(pl.col("planted").list.contains("contradictory_context"))
    assert planted.height >= 15
    assert (planted["label"] != planted["prediction"]).all()
    assert planted["has_conflict"].mean() > 0.9
    assert set(joined["planted"].explode().drop_nulls()) <= CAUSES
