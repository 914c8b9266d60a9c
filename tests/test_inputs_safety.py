"""Inputs that look fine but are not: refused with a message in the caller's words.

Label sets that share almost nothing, probabilities without a column for a class
the model never learnt, negative or missing probabilities, and advice that names
the option the caller actually has (``Columns(...)`` in Python, ``--text-col`` on
the command line).
"""
from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest

import diagnose
from diagnose.errors import InputError, MissingColumnError
from diagnose.validate import load_inputs

QUIET = diagnose.RunConfig(progress=False)
NAMES = ["card_lost", "exchange", "refund", "top_up"]


def _integer_eval(toy_eval: pl.DataFrame) -> pl.DataFrame:
    """The toy eval table with its labels written as indices into the sorted names."""
    index = {name: str(i) for i, name in enumerate(NAMES)}
    return toy_eval.with_columns(pl.col("label", "prediction").replace_strict(index))


# ---- 1. gold labels and training labels that share almost nothing -------------------------

def test_integer_gold_labels_against_named_training_labels_are_refused(toy_train, toy_eval):
    with pytest.raises(InputError) as info:
        load_inputs(_integer_eval(toy_eval), toy_train)
    msg = str(info.value)
    assert "share 0 of 4 classes" in msg
    assert "look like integers" in msg and "['0', '1', '2', '3']" in msg
    assert "look like names" in msg and "'card_lost'" in msg
    assert "ev-0000" in msg  # example rows
    assert "replace_strict(id2label)" in msg  # how to map, in Python
    assert "{'0': 'card_lost', '1': 'exchange', '2': 'refund', '3': 'top_up'}" in msg


def test_integer_training_labels_against_named_gold_labels_are_refused(toy_train, toy_eval):
    train = toy_train.with_columns(pl.col("label").replace_strict({n: str(i) for i, n in enumerate(NAMES)}))
    with pytest.raises(InputError, match=r"gold labels that look like names.*training labels that look like "
                                         r"integers.*column\(s\) \['label'\] of <train frame>"):
        load_inputs(toy_eval, train)


def test_run_refuses_instead_of_calling_every_row_a_coverage_gap(toy_train, toy_eval):
    with pytest.raises(InputError, match="share 0 of 4 classes"):
        diagnose.run(_integer_eval(toy_eval), toy_train, config=QUIET)


def test_disjoint_label_names_are_refused_with_a_spelling_hint(toy_train, toy_eval):
    upper = toy_eval.with_columns(pl.col("label", "prediction").str.to_uppercase())
    with pytest.raises(InputError, match=r"share 0 of 4 classes.*same label names.*spelling, case"):
        load_inputs(upper, toy_train)


def test_a_few_out_of_scope_gold_classes_still_only_warn(toy_train, toy_eval):
    """CLINC-style: one out-of-scope class absent from training is a coverage gap, not an error."""
    gold = toy_eval.get_column("label").to_list()
    gold[:6] = ["oos"] * 6
    with pytest.warns(UserWarning, match="never appear in training"):
        inputs = load_inputs(toy_eval.with_columns(pl.Series("label", gold)), toy_train)
    assert inputs.notes["unseen_eval_labels"] == ["oos"]


def test_an_eval_set_of_one_unseen_named_class_only_warns(toy_train):
    ev = pl.DataFrame({"id": ["e1", "e2"], "text": ["hello", "hi"], "label": ["oos", "oos"],
                       "prediction": ["refund", "top_up"]})
    with pytest.warns(UserWarning, match="never appear in training"):
        load_inputs(ev, toy_train)


def test_a_single_integer_gold_class_against_names_is_refused(toy_train):
    ev = pl.DataFrame({"id": ["e1", "e2"], "text": ["hello", "hi"], "label": ["3", "3"], "prediction": ["3", "1"]})
    with pytest.raises(InputError, match="look like integers"):
        load_inputs(ev, toy_train)


def test_label_overlap_advice_speaks_cli(toy_train, toy_eval):
    with pytest.raises(InputError) as info:
        load_inputs(_integer_eval(toy_eval), toy_train, caller="cli")
    assert "then run again" in str(info.value) and "replace_strict" not in str(info.value)


# ---- 2. prob_<class> columns without a column for a class absent from training ------------

def _predict_proba_eval(toy_eval: pl.DataFrame) -> pl.DataFrame:
    """Eval rows whose gold label is sometimes 'brand_new' (never in training) with
    sklearn-style probabilities over the four training classes only."""
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(4), size=toy_eval.height)
    gold = toy_eval.get_column("label").to_list()
    gold[1] = gold[2] = "brand_new"
    return toy_eval.drop("prediction").with_columns(
        pl.Series("label", gold), *[pl.Series(f"prob_{c}", probs[:, i]) for i, c in enumerate(NAMES)])


def test_missing_prob_column_for_a_class_unseen_in_training_gets_zero(toy_train, toy_eval):
    ev = _predict_proba_eval(toy_eval)
    with pytest.warns(UserWarning, match="never appear in training"):
        inputs = load_inputs(ev, toy_train)
    assert inputs.classes == ("brand_new", *NAMES)
    assert (inputs.eval_probs[:, 0] == 0).all()
    given = ev.select([f"prob_{c}" for c in NAMES]).to_numpy()
    assert np.allclose(inputs.eval_probs[:, 1:], given / given.sum(axis=1, keepdims=True))


def test_run_end_to_end_with_predict_proba_columns_over_training_classes(toy_train, toy_eval):
    ev = _predict_proba_eval(toy_eval)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = diagnose.run(ev, toy_train, config=QUIET)
    status = result.summary["analyzers"]
    assert status["noisy_label"]["status"] == "ran" and status["coverage_gap"]["status"] == "ran"
    rows = result.examples.filter(pl.col("label") == "brand_new")
    assert rows.height == 2 and rows.get_column("is_error").all()  # never predicted: probability 0
    assert rows.get_column("score_coverage_gap").min() > 0


def test_missing_prob_column_for_a_training_class_is_still_refused(toy_train, toy_eval):
    ev = _predict_proba_eval(toy_eval).drop("prob_refund")
    with pytest.raises(InputError, match=r"do not match the label set.*Missing 1 in all, e\.g\. \['refund'\]"):
        load_inputs(ev, toy_train)


# ---- 3. negative and missing probabilities are named as such ------------------------------

def _probs_eval(values: dict[str, list[float | None]]) -> pl.DataFrame:
    return pl.DataFrame({"id": ["e1", "e2", "e3"], "text": ["a", "b", "c"], "label": ["x", "y", "x"],
                         **{f"prob_{k}": v for k, v in values.items()}})


def test_negative_probabilities_are_named_with_column_and_rows():
    ev = _probs_eval({"x": [1.2, 0.5, 0.3], "y": [-0.2, 0.5, 0.7]})
    with pytest.raises(InputError) as info:
        load_inputs(ev)
    msg = str(info.value)
    assert "column 'prob_y'" in msg and "negative values in 1 rows" in msg and "'e1 (-0.2)'" in msg
    assert "do not sum" not in msg and "logits" in msg


def test_nan_probabilities_are_named_with_column_and_rows():
    ev = _probs_eval({"x": [0.5, float("nan"), 0.3], "y": [0.5, 0.5, 0.7]})
    with pytest.raises(InputError, match=r"column 'prob_x' .*missing or NaN values in 1 rows.*'e2 \(nan\)'"):
        load_inputs(ev)


def test_empty_probability_cells_in_a_csv_are_missing_values(tmp_path):
    path = tmp_path / "eval.csv"
    path.write_text("id,text,label,prob_x,prob_y\ne1,a,x,0.5,0.5\ne2,b,y,,1.0\n")
    with pytest.raises(InputError, match=r"eval\.csv: column 'prob_x' .*missing or NaN values.*'e2"):
        load_inputs(path)


def test_probabilities_above_one_are_named():
    ev = _probs_eval({"x": [80.0, 50.0, 30.0], "y": [20.0, 50.0, 70.0]})
    with pytest.raises(InputError, match=r"column 'prob_x' .*above 1 values in 3 rows.*percentages"):
        load_inputs(ev)


# ---- 4. advice in the caller's words, never circular ---------------------------------------

def test_python_caller_gets_columns_advice(tmp_path):
    path = tmp_path / "eval.csv"
    pl.DataFrame({"id": [1], "utterance": ["hi"]}).write_csv(path)
    with pytest.raises(MissingColumnError) as info:
        load_inputs(path)
    msg = str(info.value)
    assert "columns=diagnose.Columns(text='utterance')" in msg and "--" not in msg


def test_cli_caller_gets_flag_advice(tmp_path):
    path = tmp_path / "eval.csv"
    pl.DataFrame({"id": [1], "utterance": ["hi"]}).write_csv(path)
    with pytest.raises(MissingColumnError) as info:
        load_inputs(path, caller="cli")
    assert "--text-col utterance" in str(info.value) and "Columns(" not in str(info.value)


def test_a_given_column_name_that_is_absent_is_not_answered_with_itself(tmp_path):
    path = tmp_path / "eval.csv"
    pl.DataFrame({"id": [1], "Utterance": ["hi"], "intent": ["x"]}).write_csv(path)
    with pytest.raises(MissingColumnError) as info:
        load_inputs(path, columns=diagnose.Columns(text="utterance"), caller="cli")
    msg = str(info.value)
    assert msg.startswith(f"{path}: the column 'utterance' given by --text-col is not in the eval table")
    assert "['id', 'Utterance', 'intent']" in msg  # the columns found
    assert "Close matches: ['Utterance']" in msg and "Pass --text-col Utterance" in msg
    assert "--text-col utterance" not in msg and "if your 'utterance' column has another name" not in msg


def test_a_given_column_name_in_python_names_the_columns_keyword(tmp_path):
    ev = pl.DataFrame({"id": [1], "Utterance": ["hi"]})
    with pytest.raises(MissingColumnError) as info:
        load_inputs(ev, columns=diagnose.Columns(text="utterance"))
    msg = str(info.value)
    assert "given by columns=diagnose.Columns(text='utterance')" in msg
    assert "Pass columns=diagnose.Columns(text='Utterance')" in msg


def test_unknown_task_advice_follows_the_caller(toy_eval):
    with pytest.raises(InputError, match=r"Pass task='classification' or task='generation'"):
        load_inputs(toy_eval, task="regression")
    with pytest.raises(InputError, match=r"Pass --task classification or --task generation"):
        load_inputs(toy_eval, task="regression", caller="cli")


def test_unknown_caller_is_refused(toy_eval):
    with pytest.raises(InputError, match="caller 'web' is unknown"):
        load_inputs(toy_eval, caller="web")


def test_run_passes_the_caller_to_validation(tmp_path, toy_train):
    path = tmp_path / "eval.csv"
    pl.DataFrame({"id": ["e1"], "utterance": ["hi"]}).write_csv(path)
    with pytest.raises(MissingColumnError, match=r"Pass columns=diagnose\.Columns\(text='utterance'\)"):
        diagnose.run(path, toy_train, config=QUIET)
    with pytest.raises(MissingColumnError, match=r"Pass --text-col utterance"):
        diagnose.run(path, toy_train, config=QUIET, caller="cli")
