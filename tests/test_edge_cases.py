"""Robustness on tiny and unusual inputs: no crash, no confusing warning, scores in [0, 1], deterministic."""
from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import diagnose
from diagnose.analyzers import CAUSES
from diagnose.causes.annotator_inconsistency._crowd import crowdlab_quality
from diagnose.embed import TfidfSvdEmbedder
from diagnose.pipeline import RunConfig
from diagnose.probs import cross_val_probs, fold_probs

QUIET = RunConfig(progress=False)
ROOT = Path(__file__).resolve().parents[1]


def _train(classes=("a", "b"), n=5) -> pl.DataFrame:
    pairs = [(c, i) for c in classes for i in range(n)]
    return pl.DataFrame({"id": [f"t{j}" for j in range(len(pairs))],
                         "text": [f"{c} sample text number {i} word{i % 3}" for c, i in pairs],
                         "label": [c for c, _ in pairs]})


def _eval(classes=("a", "b"), n=3, wrong=()) -> pl.DataFrame:
    rows = [{"id": f"e{j}", "text": f"{c} eval text {i}", "label": c}
            for j, (c, i) in enumerate((c, i) for c in classes for i in range(n))]
    pred = [r["label"] for r in rows]
    for j in wrong:
        pred[j] = classes[(classes.index(pred[j]) + 1) % len(classes)]
    return pl.DataFrame(rows).with_columns(pl.Series("prediction", pred))


def _run(*args, **kwargs):
    """diagnose.run that fails on any warning and checks every score is null or in [0, 1]."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = diagnose.run(*args, config=QUIET, **kwargs)
    for cause in CAUSES:
        scores = result.examples.get_column(f"score_{cause}").drop_nulls()
        assert not scores.is_nan().any(), cause
        assert scores.is_between(0.0, 1.0).all(), (cause, scores.to_list())
    assert "NaN" not in result.to_json()
    return result


ANN_EVAL_ONLY = pl.DataFrame({"id": ["e0", "e0", "e0", "e3", "e3"], "annotator": ["x", "y", "z", "x", "y"],
                              "label": ["a", "b", "a", "b", "b"]})
ONE_ANNOTATOR = pl.DataFrame({"id": ["e0", "e3", "t0", "t1"], "annotator": ["x"] * 4, "label": ["a", "b", "a", "b"]})


@pytest.mark.parametrize("case", ["tiny", "all_correct", "all_wrong", "unlabelled", "eval_only_votes",
                                  "one_annotator", "single_row_class", "three_train_rows"])
def test_tiny_inputs_run_with_scores_in_range(case):
    # near-duplicate neighbours with float32 similarity used to push annotator_inconsistency to 1.00000006
    tr, ev, ann = _train(), _eval(wrong=[0, 3]), None
    if case == "all_correct":
        ev = _eval()
    elif case == "all_wrong":
        ev = _eval(wrong=range(6))
    elif case == "unlabelled":
        ev = ev.drop("label", "prediction")
    elif case == "eval_only_votes":
        ann = ANN_EVAL_ONLY
    elif case == "one_annotator":
        ann = ONE_ANNOTATOR
    elif case == "single_row_class":
        tr = pl.concat([tr, pl.DataFrame({"id": ["t99"], "text": ["lonely c text"], "label": ["c"]})])
        ev = _eval(("a", "b", "c"), 2, wrong=[0, 4])
    elif case == "three_train_rows":  # cross-validation folds holding a single class used to crash
        tr = pl.DataFrame({"id": ["t0", "t1", "t2"], "text": ["alpha one", "beta two", "alpha three"],
                           "label": ["a", "b", "a"]})
    result = _run(ev, tr, ann)
    assert result.examples.height == ev.height


def test_no_training_table_has_no_runtime_warning():
    result = _run(_eval(wrong=[0]))  # tiny SVD fit used to warn "invalid value encountered in divide"
    assert result.errors.height == 1


@pytest.mark.parametrize("text", ["x", "🙂🙂"])
def test_texts_without_words_are_embedded(text):
    # identical one-letter or emoji-only texts used to fail ("empty vocabulary", "1 feature")
    result = _run(_eval(wrong=[0]).with_columns(pl.lit(text).alias("text")),
                  _train().with_columns(pl.lit(text).alias("text")))
    assert result.errors.height == 1
    emb = TfidfSvdEmbedder(n_components=4).fit(["x", "x", "y"]).transform(["x", "z"])
    assert emb.shape[0] == 2 and np.isfinite(emb).all()


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


def test_generation_with_contexts_only():
    ev = pl.DataFrame({"id": ["q0", "q1", "q2"], "text": ["capital of france?", "capital of italy?", "capital?"],
                       "label": ["paris", "rome", "berlin"], "prediction": ["lyon", "rome", None]})
    ctx = pl.DataFrame({"id": ["q0", "q0", "q1", "q2"],
                        "passage": ["The capital of France is Paris. 🙂", "The capital of France is Lyon.",
                                    "Rome " * 3000, "日本の首都は東京です。"]})
    result = _run(ev, contexts=ctx, task="generation")
    assert result.summary["analyzers"]["contradictory_context"]["status"] == "ran"
    assert result.examples.get_column("is_error").to_list() == [True, False, None]


def test_cleanlab_tied_votes_fall_back_quietly_and_keep_global_rng():
    # every multi-vote item tied: cleanlab's tie-break raised a numpy error that surfaced as a UserWarning
    state = np.random.get_state()[1].copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quality = crowdlab_quality(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]), np.array([0, 1, 0, 1]),
                                   np.array([[0.4, 0.6], [0.5, 0.5]]), 2)
    assert quality is None
    assert (np.random.get_state()[1] == state).all()


def test_fold_with_one_class_gets_class_shares():
    x = np.eye(3)
    p = fold_probs(x, np.array([0, 1, 0]), np.array([0, 2]), np.array([1]), 2)
    assert np.allclose(p, [[0.75, 0.25]])
    assert np.allclose(cross_val_probs(x, np.array([0, 1, 0]), 2).sum(1), 1.0)


def test_same_seed_gives_identical_examples_parquet(tmp_path):
    ann = pl.concat([ANN_EVAL_ONLY, pl.DataFrame({"id": ["t0", "t0", "t6", "t6"], "annotator": ["x", "y"] * 2,
                                                  "label": ["a", "b", "b", "b"]})])
    ctx = pl.DataFrame({"id": ["e0", "e0"], "passage": ["The sky is blue.", "The sky is green."]})
    for name in ("r1", "r2"):
        _run(_eval(wrong=[0, 3, 4]), _train(), ann, ctx, seed=7).save(tmp_path / name, reports=False)
    first = pl.read_parquet(tmp_path / "r1" / "examples.parquet")
    assert first.equals(pl.read_parquet(tmp_path / "r2" / "examples.parquet"))


def test_cli_on_integer_labels_and_unicode(tmp_path):
    tr = _train(("1", "10")).with_columns(pl.col("label").cast(pl.Int64), pl.col("text") + " 💳")
    ev = _eval(("1", "10"), wrong=[0]).with_columns(pl.col("label").cast(pl.Int64), pl.col("prediction").cast(pl.Int64))
    tr.write_csv(tmp_path / "train.csv")
    ev.write_csv(tmp_path / "eval.csv")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "diagnose.cli", "run", "--eval", str(tmp_path / "eval.csv"),
                           "--train", str(tmp_path / "train.csv"), "--out", str(out), "--quiet", "--no-report"],
                          check=False, capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})  # this checkout, not an installed copy
    assert proc.returncode == 0, proc.stderr
    ex = pl.read_parquet(out / "examples.parquet")
    assert ex.get_column("is_error").sum() == 1


def test_whole_number_float_labels_keep_their_prob_columns():
    tr = pl.DataFrame({"id": [f"t{i}" for i in range(6)], "text": [f"text {i % 2} w{i}" for i in range(6)],
                       "label": [1.0, 2.0] * 3, "prob_1.0": [0.8, 0.3] * 3, "prob_2.0": [0.2, 0.7] * 3})
    ev = pl.DataFrame({"id": ["e0", "e1"], "text": ["text 0", "text 1"], "label": [1.0, 2.0], "prediction": [2.0, 2.0],
                       "prob_1.0": [0.4, 0.1], "prob_2.0": [0.6, 0.9]})
    assert diagnose.load_inputs(ev, tr).classes == ("1", "2")
    result = _run(ev, tr)
    assert result.examples.get_column("is_error").to_list() == [True, False]
