"""top_k_sorted's lower-bound path gives exactly what argpartition and a stable sort give."""
import numpy as np
import pytest

from diagnose import _topk


def _reference(scores: np.ndarray, k: int):
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    top = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-top, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1), np.take_along_axis(top, order, axis=1)


def _scores(kind: str, rng, n: int = 40, m: int = 1200) -> np.ndarray:
    if kind == "ties":  # few distinct values: ties inside and at the k-th score
        return rng.integers(0, 30, (n, m)).astype(np.float32)
    scores = rng.standard_normal((n, m)).astype(np.float32)
    if kind == "duplicates":  # duplicate rows of a base: equal similarities in the top k
        scores[:, : m // 2] = scores[:, m // 2:]
    elif kind == "nan":
        scores[rng.random((n, m)) < 0.01] = np.nan
    elif kind == "inf":
        scores[rng.random((n, m)) < 0.05] = -np.inf
        scores[rng.random((n, m)) < 0.002] = np.inf
    return scores


@pytest.mark.parametrize("kind", ["plain", "ties", "duplicates", "nan", "inf"])
@pytest.mark.parametrize("k", [1, 5, 11, 37])
def test_bounded_top_k_equals_the_full_partition(kind, k):
    scores = _scores(kind, np.random.default_rng(k))
    assert scores.shape[1] // _topk.GROUPS >= 4 * k  # the lower-bound path is taken
    idx, val = _topk.top_k_sorted(scores, k)
    want_idx, want_val = _topk._top_k_partition(scores, k)
    assert np.array_equal(idx, want_idx) and np.array_equal(val, want_val, equal_nan=True)
    if kind in ("plain", "inf"):  # no ties: the one answer argpartition also gives
        ref_idx, ref_val = _reference(scores, k)
        assert np.array_equal(idx, ref_idx) and np.array_equal(val, ref_val)


@pytest.mark.parametrize("fill", [np.nan, -np.inf, np.inf, 0.0])
def test_bounded_top_k_on_constant_rows(fill):
    scores = np.full((3, 800), fill, dtype=np.float32)
    idx, val = _topk.top_k_sorted(scores, 5)
    want_idx, want_val = _topk._top_k_partition(scores, 5)
    assert np.array_equal(idx, want_idx) and np.array_equal(val, want_val, equal_nan=True)
