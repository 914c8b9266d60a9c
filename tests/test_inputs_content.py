"""Validating and normalising input content: ids, labels, predictions, probability columns."""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from tiny_inputs import (
    _cli,
    _eval,
    _run,
    _train,
)

import diagnose
import diagnose.cli
from diagnose.errors import InputError


@pytest.mark.parametrize("column", ["text", "label"])
def test_list_column_is_a_clear_error_not_a_traceback(tmp_path, toy_eval, toy_train, capsys, column):
    path = tmp_path / "eval.parquet"
    toy_eval.with_columns(pl.concat_list(pl.col(column)).alias(column)).write_parquet(path)
    toy_train.write_csv(tmp_path / "train.csv")
    out = tmp_path / "out"
    assert _cli("run", "--eval", str(path), "--train", str(tmp_path / "train.csv"), "--out", str(out), "--quiet") == 2
    err = capsys.readouterr().err
    assert f"eval.parquet: column {column!r} of the eval table holds List(String) values" in err
    assert "Traceback" not in err and "ev-0000" in err
    assert not out.exists() and not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]


@pytest.mark.parametrize("ids", [["e1", None, "e3"], ["e1", " ", "e3"], "pandas-nan"])
def test_empty_id_is_an_error(toy_train, ids):
    ev = pl.DataFrame({"id": ids if ids != "pandas-nan" else [1.0, None, 3.0], "text": ["a card", "top up", "refund"]})
    if ids == "pandas-nan":
        ev = ev.to_pandas()  # float ids with NaN, as pandas reads a CSV with a blank id
    with pytest.raises(InputError, match=r"column 'id' has empty ids in the eval table.*\[2\]"):
        diagnose.load_inputs(ev, toy_train)


def test_integer_train_ids_and_string_eval_ids_work(toy_train, toy_eval):
    train = toy_train.with_columns(pl.int_range(pl.len()).alias("id"))
    inputs = diagnose.load_inputs(toy_eval, train)
    assert inputs.train.get_column("id").dtype == pl.Utf8


def test_labels_with_trailing_spaces_match(toy_train, toy_eval):
    spaced = diagnose.load_inputs(toy_eval.with_columns(pl.col("label") + "  "), toy_train.with_columns(pl.col("label") + " "))
    assert spaced.eval.get_column("is_error").sum() == 3 and "card_lost" in spaced.classes


def test_prediction_defaults_to_the_most_probable_class(toy_train):
    ev = pl.DataFrame({"id": ["e1", "e2"], "text": ["i lost my card", "where is my refund"], "label": ["card_lost", "refund"],
                       **{f"prob_{c}": [0.7 if c == "card_lost" else 0.1, 0.7 if c == "top_up" else 0.1]
                          for c in ("card_lost", "exchange", "refund", "top_up")}})
    inputs = diagnose.load_inputs(ev, toy_train)
    assert inputs.eval.get_column("prediction").to_list() == ["card_lost", "top_up"]
    assert inputs.eval.get_column("is_error").to_list() == [False, True] and "prediction" in inputs.notes


def test_pandas_object_columns_mixing_ints_and_strings_are_read_as_text(toy_train):
    pd = pytest.importorskip("pandas")
    ev = pd.DataFrame({"id": [1, "b", 3], "text": ["lost card", "refund please", "top up"]})
    assert diagnose.load_inputs(ev, toy_train).eval.get_column("id").to_list() == ["1", "b", "3"]
    bad = pd.DataFrame({"id": [1, 2, 3], "text": ["a", {"x": 1}, "c"]})
    with pytest.raises(InputError, match=r"column 'text' holds \['dict', 'str'\] values"):
        diagnose.load_inputs(bad, toy_train)


def test_whole_number_float_labels_match_integer_labels():
    # pandas reads an int column with gaps as float: 10.0 must equal the prediction 10
    ev = pl.DataFrame({"id": ["e0", "e1", "e2"], "text": ["card again", "refund please", "card"],
                       "label": [1.0, 10.0, None], "prediction": [10, 10, 1]})
    tr = pl.DataFrame({"id": [f"t{i}" for i in range(10)], "label": [1] * 5 + [10] * 5,
                       "text": [f"{'card' if i < 5 else 'refund'} text {i}" for i in range(10)]})
    result = _run(ev, tr)
    assert result.examples.get_column("label").to_list() == ["1", "10", None]
    assert result.examples.get_column("is_error").to_list() == [True, False, None]


def test_null_labels_and_predictions_mixed_in():
    extra = pl.DataFrame({"id": ["n1", "n2", "n3"], "text": ["a null", "b null", "c null"],
                          "label": [None, "a", None], "prediction": ["a", None, None]})
    ann = pl.DataFrame({"id": ["e0", "e0", "n1", "n1"], "annotator": ["x", "y"] * 2, "label": ["a", "b", "a", "b"]})
    result = _run(pl.concat([_eval(wrong=[0, 3]), extra]), _train(), ann)
    ex = result.examples.filter(pl.col("id").is_in(["n1", "n2", "n3"]))
    assert ex.get_column("is_error").null_count() == 3
    assert ex.get_column("primary_cause").null_count() == 3


def test_probability_columns_for_eval_and_train():
    rng = np.random.default_rng(0)

    def with_probs(frame):
        p = rng.dirichlet(np.ones(2), frame.height)
        return frame.with_columns(pl.Series("prob_a", p[:, 0]), pl.Series("prob_b", p[:, 1]))

    _run(with_probs(_eval(wrong=[0, 3])), with_probs(_train()))
    _run(with_probs(_eval(wrong=[0, 3])))  # eval probabilities without a training table


def test_whole_number_float_labels_keep_their_prob_columns():
    tr = pl.DataFrame({"id": [f"t{i}" for i in range(6)], "text": [f"text {i % 2} w{i}" for i in range(6)],
                       "label": [1.0, 2.0] * 3, "prob_1.0": [0.8, 0.3] * 3, "prob_2.0": [0.2, 0.7] * 3})
    ev = pl.DataFrame({"id": ["e0", "e1"], "text": ["text 0", "text 1"], "label": [1.0, 2.0], "prediction": [2.0, 2.0],
                       "prob_1.0": [0.4, 0.1], "prob_2.0": [0.6, 0.9]})
    assert diagnose.load_inputs(ev, tr).classes == ("1", "2")
    result = _run(ev, tr)
    assert result.examples.get_column("is_error").to_list() == [True, False]
