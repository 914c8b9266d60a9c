"""The memory-saving paths of large runs give the results of the plain ones.

At a million rows the proxy's folds predict straight into one table (float32
above ``FLOAT32_CELLS`` cells), the label analyzers work in blocks of rows and
the ivf search runs its query chunks on threads. Each is checked here against
the straightforward computation on small data, with the thresholds lowered.
"""
from __future__ import annotations

import numpy as np

from diagnose import neighbors, probs


def _data(n=3000, d=12, k=7, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype(np.float32)
    y = (x[:, :3].sum(1) * 2).astype(int) % k
    return x, y, k


def test_folds_write_into_one_table_as_the_per_fold_parts():
    x, y, k = _data()
    got = probs.cross_val_probs(x, y, k + 1, folds=3, seed=0, max_fit_rows=1000, n_jobs=2)
    expected = np.zeros((len(y), k + 1))  # the historical assembly: one part per fold, copied in
    for fit, held in probs.fold_indices(y, k + 1, folds=3, seed=0, max_fit_rows=1000):
        expected[held] = probs.fold_probs(x, y, fit, held, k + 1, seed=0, max_fit_rows=1000)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, probs._smooth(expected))  # class k is absent: its column stays eps-smoothed


def test_large_tables_are_float32_and_match_float64(monkeypatch):
    x, y, k = _data()
    full = probs.cross_val_probs(x, y, k, folds=3, seed=0)
    monkeypatch.setattr(probs, "FLOAT32_CELLS", 100)
    small = probs.cross_val_probs(x, y, k, folds=3, seed=0)
    assert small.dtype == np.float32 and full.dtype == np.float64
    assert np.abs(small - full).max() < 1e-6
    assert (small.argmax(1) == full.argmax(1)).mean() > 0.999


def test_predict_into_rows_of_a_table():
    x, y, k = _data()
    model = probs.fold_model(x, y, np.flatnonzero(y != 2), k)  # one class absent: its column is zero
    rows = np.random.default_rng(1).permutation(len(x))[:1000]
    out = np.full((len(x), k), np.nan)
    probs.predict_expanded(model, x, rows, k, batch=128, out=out)
    np.testing.assert_array_equal(out[rows], probs.predict_expanded(model, x, rows, k))
    assert np.isnan(np.delete(out, rows, axis=0)).all()


def test_label_steps_in_blocks_equal_whole_table(monkeypatch):
    from cleanlab.rank import get_label_quality_scores

    from diagnose.causes.noisy_label import _label_rank

    rng = np.random.default_rng(0)
    p = rng.random((5000, 9)).astype(np.float32)
    p /= p.sum(1, keepdims=True)
    y = rng.integers(0, 9, 5000)
    y[:1500] = 4  # a block that holds one class only
    flagged = rng.random(5000) < 0.1
    emb = rng.standard_normal((5000, 6)).astype(np.float32)
    suggested = rng.integers(0, 9, 5000)
    whole = {m: get_label_quality_scores(y, p, method=m) for m in ("self_confidence", "normalized_margin")}
    ranked = p.copy()
    ranked[np.flatnonzero(flagged), y[flagged]] = -1.0
    margin = _label_rank.centre_margin(emb, y, suggested, 9)
    monkeypatch.setattr(_label_rank, "_CHUNK", 1000)
    for method, expected in whole.items():
        np.testing.assert_array_equal(_label_rank.row_scores(y, p, method), expected)
    np.testing.assert_array_equal(_label_rank.suggestions(p, y, flagged), ranked.argmax(1))
    np.testing.assert_allclose(_label_rank.centre_margin(emb, y, suggested, 9), margin, rtol=0, atol=1e-12)


def test_ivf_threads_do_not_change_results_and_chunks_only_round_off(monkeypatch):
    rng = np.random.default_rng(3)
    base = rng.standard_normal((4000, 16)).astype(np.float32)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    queries = base[:700] + 0.05 * rng.standard_normal((700, 16)).astype(np.float32)
    one_chunk = neighbors.IVFLists(base, seed=0, nprobe=4)
    whole = one_chunk.search(queries, 5), one_chunk.search(None, 6)
    monkeypatch.setattr(neighbors, "IVF_CHUNK", 256)
    runs = {}
    for threads in (1, 2):
        monkeypatch.setattr(neighbors, "IVF_THREADS", threads)
        index = neighbors.IVFLists(base, seed=0, nprobe=4)
        runs[threads] = index.search(queries, 5), index.search(None, 6)
    for (ia, sa), (ib, sb), (iw, sw) in zip(runs[1], runs[2], whole):
        np.testing.assert_array_equal(ia, ib)  # threads: identical
        np.testing.assert_array_equal(sa, sb)
        np.testing.assert_allclose(sa, sw, rtol=0, atol=1e-6)  # other chunks: BLAS round-off only
        assert (ia == iw).mean() > 0.99
    exact = neighbors.search(queries, base, k=5, method="exact").similarities
    assert (whole[0][1][:, -1] <= exact[:, -1] + 1e-6).all()


def test_top_unordered_matches_a_full_sort_and_keeps_the_first_tied_columns():
    rng = np.random.default_rng(5)
    scores = rng.standard_normal((300, 40)).astype(np.float32)
    part, values = neighbors._top_unordered(scores, 6)
    np.testing.assert_array_equal(np.sort(values, axis=1), np.sort(scores, axis=1)[:, -6:])
    np.testing.assert_array_equal(np.take_along_axis(scores, part, axis=1), values)
    tied = np.array([[1, 2, 2, 2, 0.5], [1, 1, 1, 1, 1]], dtype=np.float32)
    picked = neighbors._top_unordered(tied, 2)[1]
    assert picked.tolist() == [[2, 2], [1, 1]]
    merged = np.array([[-np.inf, -np.inf, -np.inf, 0.3, 0.1], [0.5, -np.inf, -np.inf, -np.inf, 0.2]], dtype=np.float32)
    part = neighbors._top_unordered(merged, 3)[0]  # larger scores are always kept, a tie fills the rest
    assert {3, 4} <= set(part[0].tolist()) and {0, 4} <= set(part[1].tolist())
