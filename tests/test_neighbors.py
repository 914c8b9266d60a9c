"""Neighbour search: exact blocks agree with brute force; the IVF indexes find most true neighbours."""
from __future__ import annotations

import numpy as np
import pytest

from diagnose.embed import l2_normalize
from diagnose.errors import InputError
from diagnose.neighbors import EXACT_LIMIT, NeighborIndex, query_blocks, search


def _clustered(n: int, dim: int = 16, centers: int = 20, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mid = rng.standard_normal((centers, dim))
    return l2_normalize(mid[rng.integers(0, centers, n)] + 0.3 * rng.standard_normal((n, dim)))


def _brute(q: np.ndarray, b: np.ndarray, k: int) -> np.ndarray:
    return np.argsort(-(q @ b.T), axis=1, kind="stable")[:, :k]


@pytest.mark.parametrize("block_bytes", [4 * 300 * 7, 256 << 20])
def test_exact_matches_brute_force_for_any_block_size(block_bytes):
    base, queries = _clustered(300), _clustered(50, seed=1)
    nb = search(queries, base, k=5, method="exact", block_bytes=block_bytes)
    np.testing.assert_array_equal(nb.indices, _brute(queries, base, 5))
    assert np.all(np.diff(nb.similarities, axis=1) <= 1e-6)


def test_exclude_self_drops_the_row_itself():
    x = _clustered(200)
    nb = search(x, x, k=4, exclude_self=True, method="exact")
    assert nb.indices.shape == (200, 4)
    assert not (nb.indices == np.arange(200)[:, None]).any()


def test_query_blocks_cover_every_row_once():
    blocks = query_blocks(1000, 5000, block_bytes=4 * 5000 * 64)
    assert blocks[0][0] == 0 and blocks[-1][1] == 1000 and all(a == b for (_, a), (b, _) in zip(blocks, blocks[1:]))
    assert len(blocks) == 16 and max(b - a for a, b in blocks) <= 64  # as few blocks as fit, of equal size
    assert sum(b - a for a, b in blocks) == 1000


def _assert_recall_and_true_similarities(nb, queries, base, k: int = 10) -> None:
    """recall@k >= 0.9 against brute force, and similarities that are the true cosines."""
    truth = _brute(queries, base, k)
    recall = np.mean([len(set(a) & set(b)) / k for a, b in zip(nb.indices, truth)])
    assert recall >= 0.9
    np.testing.assert_allclose(nb.similarities, np.einsum("ij,ikj->ik", queries, base[nb.indices]), atol=1e-5)


def test_faiss_recall_and_exact_similarities():
    pytest.importorskip("faiss")
    base, queries = _clustered(5000, dim=32), _clustered(300, dim=32, seed=2)
    index = NeighborIndex(method="faiss", seed=0).fit(base)
    _assert_recall_and_true_similarities(index.search(queries, k=10), queries, base)
    train = index.search(base[:100], k=5, exclude_self=True)
    assert not (train.indices == np.arange(100)[:, None]).any()


def test_ivf_recall_true_similarities_and_determinism():
    base, queries = _clustered(6000, dim=32, centers=60), _clustered(300, dim=32, centers=60, seed=2)
    index = NeighborIndex(method="ivf", seed=0).fit(base)
    nb = index.search(queries, k=10)
    _assert_recall_and_true_similarities(nb, queries, base)
    assert np.all(np.diff(nb.similarities, axis=1) <= 0)
    again = NeighborIndex(method="ivf", seed=0).fit(base).search(queries, k=10)
    np.testing.assert_array_equal(nb.indices, again.indices)
    np.testing.assert_array_equal(nb.similarities, again.similarities)
    train = index.search(base[:100], k=5, exclude_self=True)
    assert not (train.indices == np.arange(100)[:, None]).any()


def test_ivf_with_few_probed_rows_still_returns_k_neighbours():
    base = _clustered(400, dim=8, centers=4)
    index = NeighborIndex(method="ivf", nprobe=1).fit(base)
    nb = index.search(base[:20], k=50)
    assert nb.indices.shape == (20, 50) and np.isfinite(nb.similarities).all()
    assert all(len(set(row)) == 50 for row in nb.indices)


def test_auto_switches_on_size_and_unknown_method_fails():
    small = NeighborIndex(method="auto").fit(_clustered(100))
    assert small.resolve(100) == "exact"
    big = int(np.sqrt(EXACT_LIMIT)) + 1
    assert NeighborIndex(method="exact").fit(_clustered(10)).resolve(big * big) == "exact"
    assert small.resolve(int(EXACT_LIMIT // 100) + 1) == "ivf"  # approximate above the limit, no extra needed
    with pytest.raises(InputError, match="unknown"):
        NeighborIndex(method="annoy")


def test_exact_top_k_equals_argpartition_with_ties_and_nan():
    from diagnose.neighbors import exact_block

    rng = np.random.default_rng(1)
    base = rng.standard_normal((600, 8)).astype(np.float32)
    base[100:130] = base[5]  # duplicate rows: tied scores
    base = np.round(base / np.linalg.norm(base, axis=1, keepdims=True), 1)
    queries = np.concatenate([base[:200], np.full((2, 8), np.nan, np.float32)])
    for k in (1, 5, 40, 600):
        scores = queries @ base.T
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k] if k < 600 else np.tile(np.arange(600), (202, 1))
        top = np.take_along_axis(scores, part, axis=1)
        order = np.argsort(-top, axis=1, kind="stable")
        idx, sim = exact_block(queries, np.ascontiguousarray(base.T), k)
        np.testing.assert_array_equal(idx, np.take_along_axis(part, order, axis=1))
        np.testing.assert_array_equal(sim, np.take_along_axis(top, order, axis=1))
