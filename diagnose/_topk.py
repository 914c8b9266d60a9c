"""Top-k primitives of the neighbour search: fixed query blocks, exact top ``k`` of a score block,
and unordered top ``k`` by value partition (private helper of :mod:`diagnose.neighbors`, which
re-exports them)."""
from __future__ import annotations

import numpy as np

__all__ = ["exact_block", "query_blocks", "top_k_sorted"]


def query_blocks(n_queries: int, n_base: int, block_bytes: int = 256 << 20) -> list[tuple[int, int]]:
    """Fixed ``(start, stop)`` query blocks of exact search (shared by every engine).

    As few blocks as keep each under ``block_bytes`` of scores (at least 16
    queries each), of equal size, so threads get equal shares.
    """
    block = max(16, int(block_bytes // (4 * max(n_base, 1))))
    n_blocks = -(-n_queries // block)
    size = -(-n_queries // max(n_blocks, 1))
    return [(s, min(s + size, n_queries)) for s in range(0, n_queries, size)] if n_queries else []


def exact_block(queries: np.ndarray, base_t: np.ndarray, k: int):
    """Top ``k`` of one query block against all base rows (``base_t`` is base transposed), most similar first."""
    return top_k_sorted(queries @ base_t, k)


def top_k_sorted(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Columns and values of the ``k`` largest scores of each row, largest first (ties: as ``argpartition``).

    The same result as ``argpartition(-scores, k - 1)`` then a stable sort,
    for about a third of its CPU: rows whose top ``k`` is unambiguous (``k``
    distinct scores above all others) are found by a value partition and a
    comparison, as in :func:`_top_unordered`; the others (ties from duplicate
    rows, NaN) take ``argpartition``, which treats each row alone. Rows at
    least ``32 k`` wide partition only the scores above a cheap lower bound
    first (:func:`_top_k_bounded`, a tenth of the CPU again at 10k columns).
    """
    n, m = scores.shape
    if k >= m:
        return _ordered(scores, np.tile(np.arange(m), (n, 1)))
    if m // GROUPS >= 4 * k:
        return _top_k_bounded(scores, k)
    return _top_k_partition(scores, k)


#: interleaved column sets of :func:`_top_k_bounded` and :func:`_top_wide`
GROUPS = 8


def _top_k_partition(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`top_k_sorted` by a value partition of every full row (each row computed alone)."""
    n, m = scores.shape
    kth = np.partition(scores, m - k, axis=1)[:, m - k]
    rows, cols = _nonzero_2d(scores >= kth[:, None])
    counts = np.bincount(rows, minlength=n)
    clean = counts == k
    part = np.zeros((n, k), dtype=np.int64)
    part[clean] = cols[np.repeat(clean, counts)].reshape(-1, k)
    ranked = np.sort(np.take_along_axis(scores, part, axis=1), axis=1)
    clean &= (ranked[:, 1:] > ranked[:, :-1]).all(axis=1)
    ambiguous = np.flatnonzero(~clean)
    if len(ambiguous):
        part[ambiguous] = np.argpartition(-scores[ambiguous], k - 1, axis=1)[:, :k]
    return _ordered(scores, part)


def _top_k_bounded(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`top_k_sorted` of rows much wider than ``k``: a cheap lower bound first (as in :func:`_top_wide`).

    Every score at or above a row's ``k``-th largest is at or above the bound, so the few scores above it
    decide: a row whose ``k`` largest are distinct and above all others has exactly one answer, taken from
    its candidates; rows with ties at or inside the top ``k`` take ``argpartition``, as in the full
    partition, and the rest (NaN, infinities, many scores at the bound) :func:`_top_k_partition`. The result is that of the full partition,
    for about a tenth of its CPU on 10k-wide rows.
    """
    cand, cand_col, odd = _candidates(scores, k)
    kth = np.partition(cand, cand.shape[1] - k, axis=1)[:, cand.shape[1] - k]
    clean = ~odd & ((cand >= kth[:, None]).sum(axis=1) == k)
    part = np.take_along_axis(cand_col, np.argpartition(cand, cand.shape[1] - k, axis=1)[:, cand.shape[1] - k:], axis=1)
    ranked = np.sort(np.take_along_axis(scores, part, axis=1), axis=1)
    clean &= (ranked[:, 1:] > ranked[:, :-1]).all(axis=1)
    idx, top = _ordered(scores, part)
    tied = np.flatnonzero(~clean & ~odd)  # ambiguous for the full partition too: it takes argpartition on them
    if len(tied):
        idx[tied], top[tied] = _ordered(scores[tied], np.argpartition(-scores[tied], k - 1, axis=1)[:, :k])
    rest = np.flatnonzero(odd)
    if len(rest):
        idx[rest], top[rest] = _top_k_partition(scores[rest], k)
    return idx, top


def _candidates(scores: np.ndarray, n: int, groups: int = GROUPS, spread: int = 8, finite: bool = True):
    """The scores of each row at or above a lower bound of its ``n``-th largest, left-aligned and padded with
    ``-inf`` (values, their columns), and the rows left out (``odd``: fewer than ``n`` or more than
    ``spread * n`` scores at the bound, NaN, or with ``finite`` an infinite bound).

    The columns are dealt into ``groups`` interleaved sets of equal width; the ``n``-th largest of the
    column-wise maxima over the sets is reached by ``n`` distinct columns, so it is at most the row's
    ``n``-th largest score.
    """
    rows, m = scores.shape
    width = m // groups
    bound = scores[:, :groups * width].reshape(rows, groups, width).max(axis=1)
    floor = np.partition(bound, width - n, axis=1)[:, width - n]
    above = scores >= floor[:, None]
    counts = above.sum(axis=1)
    odd = (counts < n) | (counts > spread * n)
    if finite:
        odd |= ~np.isfinite(floor)
    if odd.any():
        above[odd] = False
    r, col = _nonzero_2d(above)
    counts[odd] = 0
    slot = np.arange(len(r)) - np.repeat(np.cumsum(counts) - counts, counts)
    cand = np.full((rows, max(int(counts.max(initial=0)), n)), -np.inf, dtype=scores.dtype)
    cand_col = np.zeros(cand.shape, dtype=np.int64)
    cand[r, slot], cand_col[r, slot] = scores[r, col], col
    return cand, cand_col, odd


def _nonzero_2d(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.nonzero`` of a 2-D mask (rows, then columns, in row-major order), about 9× faster on wide rows."""
    return np.divmod(np.flatnonzero(mask), mask.shape[1])


def _ordered(scores: np.ndarray, part: np.ndarray):
    """``part``'s columns and scores, sorted by decreasing score (stable)."""
    top = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-top, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1), np.take_along_axis(top, order, axis=1)


def _top_unordered(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Column indices and values of the ``k`` largest scores of each row (in no fixed order).

    A value partition finds each row's k-th largest score and a comparison
    picks the columns at or above it (rows with ties there, from duplicate
    rows, use ``argpartition``): about 2.4× less CPU than ``argpartition``
    alone, which moves an index with every value.
    """
    m = scores.shape[1]
    if k >= m:
        part = np.broadcast_to(np.arange(m), scores.shape)
        return part, scores
    kth = np.partition(scores, m - k, axis=1)[:, m - k]
    rows, cols = _nonzero_2d(scores >= kth[:, None])
    counts = np.bincount(rows, minlength=len(scores))
    if counts.min(initial=k) < k:  # NaN scores: fall back to the index partition
        part = np.argpartition(scores, m - k, axis=1)[:, m - k:]
    elif counts.max(initial=k) == k:
        part = cols.reshape(-1, k)
    else:  # rows tied at the k-th score (duplicate rows): the index partition on those rows only
        part = np.empty((len(scores), k), dtype=cols.dtype)
        clean = counts == k
        part[clean] = cols[np.repeat(clean, counts)].reshape(-1, k)
        tied = np.flatnonzero(~clean)
        part[tied] = np.argpartition(scores[tied], m - k, axis=1)[:, m - k:]
    return part, np.take_along_axis(scores, part, axis=1)


def _top_wide(scores: np.ndarray, n: int, groups: int = GROUPS) -> tuple[np.ndarray, np.ndarray]:
    """As :func:`_top_unordered`, for rows much wider than ``n``: a cheap lower bound first (:func:`_candidates`);
    only the few scores at or above it are ranked."""
    width = scores.shape[1] // groups
    if width < 4 * n:
        return _top_unordered(scores, n)
    cand, cand_col, odd = _candidates(scores, n, groups, finite=False)
    keep, values = _top_unordered(cand, n)
    top = np.take_along_axis(cand_col, keep, axis=1)
    if odd.any():
        top[odd], values[odd] = _top_unordered(scores[odd], n)
    return top, values
