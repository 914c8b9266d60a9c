"""The neighbour search beside the proxy's cross-validation gives exactly the sequential result (issue 18)."""
from __future__ import annotations

import threading

import pytest
from polars.testing import assert_frame_equal
from test_concurrent_stages import _run

from diagnose import pipeline
from diagnose.sample import sample_paths


def test_search_beside_the_folds_gives_the_sequential_result(monkeypatch):
    threads = []
    search = pipeline.cached_neighbors

    def watched(*args, **kwargs):
        threads.append(threading.current_thread() is threading.main_thread())
        return search(*args, **kwargs)

    monkeypatch.setattr(pipeline, "cached_neighbors", watched)
    together = _run()
    monkeypatch.setattr(pipeline, "SIDE_BY_SIDE_ROWS", 0)
    alone = _run()
    assert threads == [False, True]  # on a thread, then (above the limit) on the calling thread
    assert_frame_equal(together.examples, alone.examples)  # exact: no tolerance
    for name, table in alone.tables.items():
        assert_frame_equal(together.tables[name], table)
    assert list(together.summary["timings_seconds"]) == list(alone.summary["timings_seconds"])  # same stage order
    assert together.summary["timings_seconds"]["neighbors"] > 0


def test_posterior_ahead_fills_the_memo_the_analyzers_read():
    from types import SimpleNamespace

    import numpy as np

    from diagnose import votes
    from diagnose.schema import Columns
    from diagnose.validate import load_inputs

    paths = sample_paths()
    with pytest.warns(UserWarning):
        inputs = load_inputs(paths["intents_eval"], paths["intents_train"], paths["intents_annotations"],
                             columns=Columns())
    if inputs.eval_probs is None:  # the proxy's probabilities come later: nothing to compute ahead
        assert votes.posterior_ahead(inputs, 3) is None
    probs = np.random.default_rng(0).dirichlet(np.ones(len(inputs.classes)), inputs.eval.height)
    given = SimpleNamespace(**{**vars(inputs), "eval_probs": probs})
    task = votes.posterior_ahead(given, 3)
    assert task is not None
    task()
    ahead = votes._LAST["post"]
    prepared = SimpleNamespace(eval=inputs.eval, annotations=inputs.annotations, eval_probs=probs,
                               classes=inputs.classes, seed=3)
    assert votes.eval_posterior(prepared) is ahead  # the analyzers' call finds it
    votes._LAST.clear()
    fresh = votes.eval_posterior(prepared)
    assert fresh is not ahead and fresh.keys() == ahead.keys()
    for key, value in fresh.items():
        np.testing.assert_array_equal(np.asarray(value), np.asarray(ahead[key]))
    assert votes.posterior_ahead(SimpleNamespace(**{**vars(inputs), "eval_probs": None}), 3) is None
