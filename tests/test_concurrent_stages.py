"""The speed paths that run work side by side give exactly the sequential result (issue 18).

noisy_label runs on a thread beside the other analyzers, coverage_gap's
character features start on a thread before the shared stages, the eval rows'
proxy fit shares the folds' threads and exact search runs its blocks on
threads: each piece computes alone, so nothing may change, not even a bit.
"""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import diagnose
from diagnose import neighbors, pipeline, probs
from diagnose.causes.coverage_gap.analyzer import CoverageGap
from diagnose.sample import sample_paths


def _run():
    paths = sample_paths()
    config = diagnose.RunConfig(neighbors="exact", progress=False)
    with pytest.warns(UserWarning):  # the sample's eval holds labels absent from training
        return diagnose.run(paths["intents_eval"], paths["intents_train"], paths["intents_annotations"], seed=3,
                            config=config)


def test_side_by_side_stages_give_the_sequential_result(monkeypatch):
    together = _run()
    monkeypatch.setattr(pipeline, "BACKGROUND", ())
    monkeypatch.setattr(CoverageGap, "prefetch", lambda self, train, seed: None)
    monkeypatch.setattr(probs, "MAX_THREADS", 1)
    monkeypatch.setattr(neighbors, "EXACT_THREADS", 1)
    alone = _run()
    assert_frame_equal(together.examples, alone.examples)  # exact: no tolerance
    for name, table in alone.tables.items():
        assert_frame_equal(together.tables[name], table)
    assert together.summary["counts"] == alone.summary["counts"]


def test_prefetched_features_are_used_only_for_the_same_table():
    train = pl.read_csv(sample_paths()["intents_train"])
    analyzer = CoverageGap()
    analyzer.prefetch(train, 0)
    assert analyzer.prefetched_[0] is train
    analyzer.prefetch(train.head(50), 1)  # a later prefetch replaces the earlier one
    assert analyzer.prefetched_[1][0] == 1 and analyzer.prefetched_[0].height == 50
    assert analyzer.get_params() == CoverageGap().get_params()  # not a setting: summary.json stays the same
    shared = CoverageGap(features="shared")
    shared.prefetch(train, 0)  # nothing to start without character features
    assert getattr(shared, "prefetched_", None) is None


def test_proxy_probs_equals_its_two_parts():
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((6, 12))
    y = rng.integers(0, 6, 400)
    x = (centres[y] + rng.standard_normal((400, 12))).astype(np.float32)
    queries = (centres[rng.integers(0, 6, 50)] + rng.standard_normal((50, 12))).astype(np.float32)
    train, fitted = probs.proxy_probs(x, y, queries, 6, folds=3, seed=2, n_jobs=2)
    np.testing.assert_array_equal(train, probs.cross_val_probs(x, y, 6, folds=3, seed=2, n_jobs=1))
    np.testing.assert_array_equal(fitted, probs.fit_predict_probs(x, y, queries, 6, seed=2))
    assert probs.proxy_probs(x, y, None, 6, folds=3, seed=2)[1] is None


def test_noisy_label_runs_beside_the_others_only_while_it_refits(monkeypatch):
    import threading
    from types import SimpleNamespace

    seen = {}

    def record(analyzer, data):
        seen[analyzer.name] = threading.current_thread() is threading.main_thread()
        return analyzer.name

    monkeypatch.setattr(pipeline, "_run_analyzer", record)
    noisy = SimpleNamespace(name="noisy_label", refit_max_rows=2)
    analyzers = [SimpleNamespace(name="coverage_gap"), noisy, SimpleNamespace(name="annotator_inconsistency")]
    data = SimpleNamespace(train=pl.DataFrame({"id": ["a", "b"]}), classes=("x", "y"))
    stages = pipeline._Stages(total=3, enabled=False)
    assert pipeline._run_analyzers(analyzers, data, stages) == [a.name for a in analyzers]  # in order
    assert seen == {"coverage_gap": True, "noisy_label": False, "annotator_inconsistency": True}
    noisy.refit_max_rows = 1  # 2 training rows: no refit, so it runs in turn
    pipeline._run_analyzers(analyzers, data, stages)
    assert all(seen.values())


def test_run_shortens_the_switch_interval_and_restores_it(monkeypatch):
    import sys

    seen = []
    monkeypatch.setattr(pipeline, "_run", lambda *args, **kwargs: seen.append(sys.getswitchinterval()))
    before = sys.getswitchinterval()
    diagnose.run(pl.DataFrame({"id": ["a"], "text": ["x"], "label": ["l"], "prediction": ["l"]}))
    assert seen == [pytest.approx(pipeline.SWITCH_INTERVAL)] and sys.getswitchinterval() == before
