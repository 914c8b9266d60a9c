"""diagnose.run end to end: tiny and unusual inputs, warnings, progress, determinism, output columns."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import polars as pl
import pytest
from tiny_inputs import (
    ANN_EVAL_ONLY,
    ONE_ANNOTATOR,
    QUIET,
    ROOT,
    _eval,
    _run,
    _train,
)

import diagnose
import diagnose.cli


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


def test_generation_with_contexts_only():
    ev = pl.DataFrame({"id": ["q0", "q1", "q2"], "text": ["capital of france?", "capital of italy?", "capital?"],
                       "label": ["paris", "rome", "berlin"], "prediction": ["lyon", "rome", None]})
    ctx = pl.DataFrame({"id": ["q0", "q0", "q1", "q2"],
                        "passage": ["The capital of France is Paris. 🙂", "The capital of France is Lyon.",
                                    "Rome " * 3000, "日本の首都は東京です。"]})
    result = _run(ev, contexts=ctx, task="generation")
    assert result.summary["analyzers"]["contradictory_context"]["status"] == "ran"
    assert result.examples.get_column("is_error").to_list() == [True, False, None]


def test_import_keeps_the_users_warning_filters():
    code = "import warnings, diagnose; warnings.warn('still visible')"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    assert "still visible" in proc.stderr, proc.stderr


def test_progress_bar_counts_every_stage(toy_train, toy_eval, monkeypatch):
    from diagnose import pipeline

    totals, names = [], []
    init, stage = pipeline._Stages.__init__, pipeline._Stages.stage

    def spy_init(self, total, enabled):
        totals.append(total)
        init(self, total, enabled)

    def spy_stage(self, name):
        names.append(name)
        return stage(self, name)

    monkeypatch.setattr(pipeline._Stages, "__init__", spy_init)
    monkeypatch.setattr(pipeline._Stages, "stage", spy_stage)
    diagnose.run(toy_eval, toy_train, config=QUIET)
    assert totals == [len(names)], names


def test_same_seed_same_summary_apart_from_machine_measurements(tmp_path, toy_train, toy_eval):
    for name in ("a", "b"):
        diagnose.run(toy_eval, toy_train, seed=5, config=QUIET).save(tmp_path / name, reports=False)
    first, second = (json.loads((tmp_path / n / "summary.json").read_text()) for n in ("a", "b"))
    for key in ("timings_seconds", "peak_rss_gib_after_stage"):
        first.pop(key), second.pop(key)
    assert first == second
    assert (tmp_path / "a" / "examples.parquet").read_bytes() == (tmp_path / "b" / "examples.parquet").read_bytes()


def test_same_seed_gives_identical_examples_parquet(tmp_path):
    ann = pl.concat([ANN_EVAL_ONLY, pl.DataFrame({"id": ["t0", "t0", "t6", "t6"], "annotator": ["x", "y"] * 2,
                                                  "label": ["a", "b", "b", "b"]})])
    ctx = pl.DataFrame({"id": ["e0", "e0"], "passage": ["The sky is blue.", "The sky is green."]})
    for name in ("r1", "r2"):
        _run(_eval(wrong=[0, 3, 4]), _train(), ann, ctx, seed=7).save(tmp_path / name, reports=False)
    first = pl.read_parquet(tmp_path / "r1" / "examples.parquet")
    assert first.equals(pl.read_parquet(tmp_path / "r2" / "examples.parquet"))


def test_context_scores_do_not_depend_on_the_hash_seed():
    """String hashing is salted per process; a float sum over a set of cues once changed the last bits."""
    code = ("import diagnose; from diagnose.sample import sample_paths; p = sample_paths(); "
            "r = diagnose.run(p['rag_eval'], contexts=p['rag_contexts'], config=diagnose.RunConfig(progress=False)); "
            "print(repr(r.examples.get_column('score_contradictory_context').to_list()))")
    outputs = set()
    for seed in ("1", "2", "3"):
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": seed,
                                   "OMP_NUM_THREADS": "1"}, check=True)
        outputs.add(proc.stdout)
    assert len(outputs) == 1


def test_examples_columns_follow_the_readme(toy_train, toy_eval):
    ev = toy_eval.with_columns(pl.when(pl.int_range(pl.len()) < 4).then(None).otherwise(pl.col("prediction")).alias("prediction"))
    ex = diagnose.run(ev, toy_train, config=QUIET).examples
    unlabelled, correct = ex.filter(pl.col("is_error").is_null()), ex.filter(pl.col("is_error") == False)
    assert unlabelled.height == 4 and unlabelled.get_column("primary_cause").null_count() == 4
    assert correct.get_column("primary_cause").null_count() == correct.height
    assert (correct.get_column("causes").list.len() == 0).all()
    empty = ex.get_column("causes").list.len() == 0
    assert (ex.get_column("evidence").is_null() == empty).all()
    assert ex.filter(pl.col("is_error")).get_column("primary_cause").null_count() == 0


def test_no_text_column_with_precomputed_embeddings():
    """Image or tabular features given as embeddings: no text column is needed; rows are shown by id."""
    import numpy as np

    from diagnose.embed import PrecomputedEmbedder
    from diagnose.errors import MissingColumnError

    rng = np.random.default_rng(0)
    x = rng.normal(size=(260, 8))
    y = (x[:, 0] > 0).astype(int)
    train = pl.DataFrame({"id": [f"t{i}" for i in range(200)], "label": [str(v) for v in y[:200]]})
    ev = pl.DataFrame({"id": [f"e{i}" for i in range(60)], "label": [str(v) for v in y[200:]],
                       "prediction": [str(int(v > 0.3)) for v in x[200:, 0]]})
    vectors = {**{f"t{i}": x[i] for i in range(200)}, **{f"e{i}": x[200 + i] for i in range(60)}}
    result = diagnose.run(ev, train, embedder=PrecomputedEmbedder(vectors), config=diagnose.RunConfig(progress=False))
    assert result.examples.get_column("text").to_list()[:2] == ["e0", "e1"]
    assert "no text column" in result.summary["notes"]["text"]
    with pytest.raises(MissingColumnError, match="column 'text' not found"):
        diagnose.run(ev, train, config=diagnose.RunConfig(progress=False))  # the default embedder needs text
