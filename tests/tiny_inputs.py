"""Helpers shared by the tests of inputs, pipeline and CLI: tiny tables and a strict run."""
from __future__ import annotations

import warnings
from pathlib import Path

import polars as pl

import diagnose
import diagnose.cli
from diagnose.analyzers import CAUSES
from diagnose.pipeline import RunConfig

QUIET = RunConfig(progress=False)
ROOT = Path(__file__).resolve().parents[1]


def _cli(*argv: str) -> int:
    return diagnose.cli.main([*argv])


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
