"""The ivf search's pruned merge and the wide top-n of the probe choice give the exact answers they stand for."""
import numpy as np
import pytest

from diagnose import neighbors as nb


def _unit(rng, n, dim=24):
    x = rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.mark.parametrize("k", [1, 5, 11])
def test_ivf_returns_the_top_k_of_its_probed_lists(k):
    rng = np.random.default_rng(4)
    base = _unit(rng, 3000)
    base[100:140] = base[0]  # duplicate rows: ties at the k-th score
    queries = np.concatenate([_unit(rng, 400), base[:60]])
    lists = nb.IVFLists(base, seed=1, nprobe=5)
    idx, sim = lists.search(queries, k)
    probes = nb.nearest_lists(queries, lists.centroids, lists.nprobe)
    assign = np.empty(len(base), dtype=np.int64)
    assign[lists.order] = np.repeat(np.arange(len(lists.centroids)), np.diff(lists.starts))
    for i, q in enumerate(queries):
        rows = np.flatnonzero(np.isin(assign, probes[i]))
        scores = np.sort(base[rows] @ q)[::-1][:k]
        np.testing.assert_allclose(sim[i], scores, rtol=0, atol=2e-6)  # the same top k values, most similar first
        np.testing.assert_allclose(np.einsum("j,ij->i", q, base[idx[i]]), sim[i], atol=2e-6)  # true cosines
        assert len(set(idx[i].tolist())) == k


def test_ivf_search_of_indexed_rows_equals_search_of_their_copy():
    rng = np.random.default_rng(5)
    base = _unit(rng, 2000)
    lists = nb.IVFLists(base, seed=0, nprobe=4)
    own = lists.search(None, 6)
    copy = lists.search(base.copy(), 6)
    np.testing.assert_array_equal(own[0][:, 0], np.arange(len(base)))  # each row finds itself first
    np.testing.assert_allclose(own[1], copy[1], atol=2e-6)


@pytest.mark.parametrize("n", [1, 4, 8])
def test_top_wide_equals_top_unordered(n):
    rng = np.random.default_rng(6)
    scores = rng.standard_normal((300, 400)).astype(np.float32)
    scores[:20] = np.round(scores[:20], 1)  # many ties
    scores[20, 3] = np.nan
    a_i, a_v = nb._top_unordered(scores, n)
    b_i, b_v = nb._top_wide(scores, n)
    np.testing.assert_array_equal(np.sort(a_v, axis=1), np.sort(b_v, axis=1))
    clean = np.arange(20, 300)
    np.testing.assert_array_equal(np.sort(a_i[clean], axis=1), np.sort(b_i[clean], axis=1))
    np.testing.assert_array_equal(np.take_along_axis(scores, b_i, axis=1), b_v)


def test_nonzero_2d_matches_numpy():
    mask = np.random.default_rng(7).random((50, 37)) < 0.2
    for got, want in zip(nb._nonzero_2d(mask), np.nonzero(mask)):
        np.testing.assert_array_equal(got, want)
