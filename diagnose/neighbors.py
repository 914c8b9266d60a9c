"""Nearest-neighbour search by cosine similarity on unit-length rows.

``exact`` is a blocked matrix product: queries are cut into fixed blocks
(memory bounded by ``block_bytes``, never an all-pairs matrix) and each block
keeps only its top ``k``. ``ivf`` is an approximate inverted-file search that
needs nothing beyond numpy (the plain install): the rows are split into lists
by a seeded spherical k-means, each query is compared with the rows of the
:func:`ivf_settings` lists whose centres are nearest to it, and those
comparisons are done list by list as one matrix product per list (every query
probing a list at once), so the work is compute-bound BLAS rather than the
memory-bound per-query scans of a classic IVF (2.1× less CPU than faiss
IVF-Flat at the same recall, ``benchmarks/results/scale.md``). Similarities are
true cosines. ``faiss`` uses faiss's IVF-Flat (optional extra
``diagnose[ann]``), candidates re-scored exactly. ``auto`` picks ``ivf`` when
queries × rows exceeds :data:`EXACT_LIMIT`, else ``exact``.

:class:`NeighborIndex` builds the index once and serves several searches
(eval → train and train → train); :func:`search` is the one-shot form.
"""
from __future__ import annotations

import logging

import numpy as np
from tqdm.auto import tqdm

from diagnose.core import Neighbors
from diagnose.errors import InputError
from diagnose.probs import map_threads

__all__ = ["search", "NeighborIndex", "EXACT_LIMIT", "query_blocks", "ivf_settings", "METHODS", "top_k_sorted"]

log = logging.getLogger(__name__)

#: queries × rows above which ``auto`` switches to an approximate index
EXACT_LIMIT = 2e8
#: rows an IVF search scans per query (sets ``nprobe``); chosen on the 100k-row
#: development sample (recall@10 0.976 eval→train), reported on other data
SCAN_ROWS = 4000
#: neighbour search methods
METHODS = ("auto", "exact", "ivf", "faiss")
#: queries searched at a time by ``ivf`` (bounds the probe and merge buffers, about 150 MB); large
#: chunks give each list's matrix product thousands of query rows, where BLAS runs near its peak
IVF_CHUNK = 500_000
#: threads of ``ivf`` at most (query chunks, k-means and list assignment blocks; None: one per core,
#: at most 4); each chunk and block is computed alone, so results do not depend on it
IVF_THREADS: int | None = None
#: threads of ``exact`` search at most (each holds one block of scores, ``block_bytes``)
EXACT_THREADS = 2
#: queries per faiss search call (bounds memory and drives the progress bar)
FAISS_BATCH = 50_000


def search(
    queries: np.ndarray,
    base: np.ndarray,
    *,
    k: int = 10,
    exclude_self: bool = False,
    method: str = "auto",
    seed: int = 0,
    block_bytes: int = 256 << 20,
) -> Neighbors:
    """Find the ``k`` most similar ``base`` rows of every query row.

    Parameters
    ----------
    queries, base
        Unit-length float32 rows.
    exclude_self
        When ``queries`` is ``base``, drop each row's match with itself.
    method
        ``auto``, ``exact``, ``ivf`` or ``faiss``.

    Examples
    --------
    >>> x = np.eye(3, dtype=np.float32)
    >>> search(x, x, k=1).indices.ravel().tolist()
    [0, 1, 2]
    """
    index = NeighborIndex(method=method, seed=seed, block_bytes=block_bytes).fit(base)
    return index.search(queries, k=k, exclude_self=exclude_self)


class NeighborIndex:
    """Searchable training rows: build once, query many times.

    Parameters
    ----------
    method
        ``auto``, ``exact``, ``ivf`` or ``faiss``. ``auto`` decides per search
        from queries × rows (see :data:`EXACT_LIMIT`).
    seed
        Seed of the IVF training sample and k-means.
    nprobe
        Inverted lists visited per query (ivf, faiss); None picks one from the size.
    block_bytes
        Memory of one block of exact scores.
    progress
        Show a progress bar over query blocks.

    Examples
    --------
    >>> x = np.eye(3, dtype=np.float32)
    >>> NeighborIndex(method="exact").fit(x).search(x, k=1, exclude_self=True).indices.shape
    (3, 1)
    """

    def __init__(self, *, method: str = "auto", seed: int = 0, nprobe: int | None = None,
                 block_bytes: int = 256 << 20, progress: bool = False):
        if method not in METHODS:
            raise InputError(f"neighbour method {method!r} is unknown; expected one of {list(METHODS)}. "
                             "Pass 'auto' to let the size decide.")
        self.method = method
        self.seed = seed
        self.nprobe = nprobe
        self.block_bytes = block_bytes
        self.progress = progress

    def fit(self, base: np.ndarray) -> NeighborIndex:
        """Keep ``base``; the approximate index is built on first use."""
        self.base_ = np.ascontiguousarray(base, dtype=np.float32)
        self.faiss_ = None
        self.ivf_ = None
        return self

    def resolve(self, n_queries: int) -> str:
        """The method a search of ``n_queries`` rows will use."""
        if self.method != "auto":
            return self.method
        return "ivf" if n_queries * self.base_.shape[0] > EXACT_LIMIT else "exact"

    def search(self, queries: np.ndarray, *, k: int = 10, exclude_self: bool = False) -> Neighbors:
        """The ``k`` nearest base rows of each query row, most similar first."""
        k_eff = min(k + int(exclude_self), self.base_.shape[0])
        method = self.resolve(queries.shape[0])
        if method == "exact":
            idx, sim = self._exact(queries, k_eff)
        elif method == "ivf":  # the indexed rows themselves reuse their stored probes
            idx, sim = self.ivf_index().search(None if queries is self.base_ else queries, k_eff, progress=self.progress,
                                               rows=(0, len(self.base_)) if queries is self.base_ else None)
        else:
            idx, sim = self._approximate(queries, k_eff)
        if exclude_self:
            idx, sim = _drop_self(idx, sim, k)
        return Neighbors(idx.astype(np.int64), np.clip(sim, -1.0, 1.0).astype(np.float32))  # float error can pass 1

    def _exact(self, queries: np.ndarray, k: int):
        idx = np.empty((queries.shape[0], k), dtype=np.int64)
        sim = np.empty((queries.shape[0], k), dtype=np.float32)
        base_t = np.ascontiguousarray(self.base_.T)
        blocks = query_blocks(queries.shape[0], self.base_.shape[0], self.block_bytes)
        bar = tqdm(total=len(blocks), desc="neighbours (exact)", unit="block", disable=not self.progress, leave=False)

        def one(block: tuple[int, int]) -> None:  # rows are independent: the blocks only bound memory
            start, stop = block
            idx[start:stop], sim[start:stop] = exact_block(queries[start:stop], base_t, k)
            bar.update(1)

        map_threads(one, blocks, EXACT_THREADS, work=queries.shape[0] * self.base_.shape[0] * queries.shape[1])
        bar.close()
        return idx, sim

    def _approximate(self, queries: np.ndarray, k: int):
        index = self.faiss_index()
        idx = np.empty((queries.shape[0], k), dtype=np.int64)
        sim = np.empty((queries.shape[0], k), dtype=np.float32)
        steps = range(0, queries.shape[0], FAISS_BATCH)
        for start in tqdm(steps, desc="neighbours (faiss)", unit="batch", disable=not self.progress, leave=False):
            stop = min(start + FAISS_BATCH, queries.shape[0])
            idx[start:stop], sim[start:stop] = faiss_block(index, queries[start:stop], self.base_, k)
        return idx, sim

    def ivf_index(self) -> IVFLists:
        """The inverted lists over ``base_`` (built once)."""
        if self.ivf_ is None:
            self.ivf_ = IVFLists(self.base_, seed=self.seed, nprobe=self.nprobe)
        return self.ivf_

    def faiss_index(self):
        """The trained IVF-Flat index over ``base_`` (built once)."""
        if self.faiss_ is None:
            self.faiss_ = build_ivf(self.base_, seed=self.seed, nprobe=self.nprobe)
        return self.faiss_


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
    rows, NaN) take ``argpartition``, which treats each row alone.
    """
    n, m = scores.shape
    if k >= m:
        return _ordered(scores, np.tile(np.arange(m), (n, 1)))
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


def _nonzero_2d(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.nonzero`` of a 2-D mask (rows, then columns, in row-major order), about 9× faster on wide rows."""
    return np.divmod(np.flatnonzero(mask), mask.shape[1])


def _ordered(scores: np.ndarray, part: np.ndarray):
    """``part``'s columns and scores, sorted by decreasing score (stable)."""
    top = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-top, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1), np.take_along_axis(top, order, axis=1)


def ivf_settings(n: int) -> tuple[int, int]:
    """Inverted lists and lists probed per query for ``n`` base rows.

    About 2·√n lists, and enough of them probed to scan about
    :data:`SCAN_ROWS` rows per query (at least 8 lists), so the cost per query
    stays flat as tables grow. Recall@10 against exact search is reported in
    ``benchmarks/results/scale.md``.
    """
    nlist = int(np.clip(min(2 * np.sqrt(n), n // 39), 16, 4096))  # faiss wants 39 training rows per list
    return nlist, int(np.clip(round(SCAN_ROWS * nlist / max(n, 1)), 8, nlist))


def build_ivf(base: np.ndarray, *, seed: int = 0, nprobe: int | None = None):
    """Train an inner-product IVF-Flat index on a seeded sample of ``base`` and add all rows."""
    import faiss

    n, dim = base.shape
    nlist, default_probe = ivf_settings(n)
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(n, size=min(n, nlist * 40), replace=False))
    index.cp.seed = seed
    index.cp.niter = 10
    index.train(np.ascontiguousarray(base[sample], dtype=np.float32))
    index.add(np.ascontiguousarray(base, dtype=np.float32))
    index.nprobe = nprobe or default_probe
    log.info("faiss IVF index: %d rows, %d lists, nprobe %d", n, nlist, index.nprobe)
    return index


class IVFLists:
    """Rows split into inverted lists by a seeded spherical k-means; blocked per-list search.

    Each query visits the ``nprobe`` lists whose centres are most similar to
    it (classic IVF semantics, so recall matches an IVF-Flat index of the same
    lists); the scores are computed list by list, one matrix product for all
    queries probing a list: first each query's nearest list (its full top ``k``),
    then its other lists, of which only the scores above the query's running
    ``k``-th best are merged.

    Parameters
    ----------
    base
        Unit-length float32 rows.
    seed
        Seed of the k-means sample and starting centres.
    nprobe
        Lists visited per query; None: :func:`ivf_settings`.
    """

    def __init__(self, base: np.ndarray, *, seed: int = 0, nprobe: int | None = None):
        self.base = base
        nlist, default_probe = ivf_settings(len(base))
        self.centroids = spherical_kmeans(base, nlist, seed=seed)
        self.nprobe = int(min(nprobe or default_probe, nlist))
        # the training rows' own probes come from the same scores as their lists (train -> train search reuses them)
        self.base_probes, assign = nearest_lists(base, self.centroids, self.nprobe, with_first=True)
        self.base_first = assign  # each row's own list: the first one its search visits
        self.order = np.argsort(assign, kind="stable")
        self.starts = np.searchsorted(assign[self.order], np.arange(nlist + 1))
        self.lists = base[self.order]  # rows grouped by list: each list one contiguous block, no gather per search
        log.info("ivf index: %d rows, %d lists, nprobe %d", len(base), nlist, self.nprobe)

    def search(self, queries: np.ndarray | None, k: int, *, progress: bool = False, rows: tuple[int, int] | None = None):
        """Top ``k`` (indices, similarities) of every query row, most similar first.

        ``queries=None`` searches the indexed rows ``rows`` (start, stop; default all) with their stored probes.
        """
        start0, stop0 = (0, len(self.base)) if queries is None and rows is None else rows or (0, len(queries))
        idx = np.empty((stop0 - start0, k), dtype=np.int64)
        sim = np.empty((stop0 - start0, k), dtype=np.float32)
        bar = tqdm(total=-(-(stop0 - start0) // IVF_CHUNK), desc="neighbours (ivf)", unit="chunk", disable=not progress,
                   leave=False)

        def one(start: int) -> None:
            stop = min(start + IVF_CHUNK, stop0)
            if queries is None:
                chunk, probes, first = self.base[start:stop], self.base_probes[start:stop], self.base_first[start:stop]
            else:
                chunk = np.asarray(queries[start:stop], dtype=np.float32)
                probes, first = nearest_lists(chunk, self.centroids, self.nprobe, with_first=True)
            idx[start - start0:stop - start0], sim[start - start0:stop - start0] = self._search_chunk(chunk, probes, first, k)
            bar.update(1)

        map_threads(one, list(range(start0, stop0, IVF_CHUNK)), IVF_THREADS)
        bar.close()
        return idx, sim

    def _search_chunk(self, queries: np.ndarray, probes: np.ndarray, first: np.ndarray, k: int):
        """Each query's nearest list first (its full top ``k``), then its other probed lists, where only
        scores above the query's current ``k``-th best are merged (most of a far list's rows are not)."""
        best_s = np.full((len(queries), k), -np.inf, dtype=np.float32)
        best_i = np.zeros((len(queries), k), dtype=np.int64)  # positions in ``lists`` (rows grouped by list)
        for q, lo, hi in self._by_list(first, np.arange(len(queries))):
            top_i, top_s = _top_unordered(queries[q] @ self.lists[lo:hi].T, min(k, hi - lo))
            best_s[q, :top_s.shape[1]], best_i[q, :top_s.shape[1]] = top_s, top_i + lo
        rest = np.flatnonzero(probes != first[:, None])  # a query's first list is among its probes once
        for q, lo, hi in self._by_list(probes.ravel()[rest], rest // probes.shape[1]):
            _merge_above(best_s, best_i, q, queries[q] @ self.lists[lo:hi].T, lo, k)
        best_i = self.order[best_i]
        missing = np.flatnonzero(~np.isfinite(best_s).all(axis=1))
        for a, b in query_blocks(len(missing), len(self.base)):  # fewer than k rows in the probed lists: exact,
            rows = missing[a:b]  # in blocks and on a transposed view (no copy of the rows)
            best_i[rows], best_s[rows] = exact_block(queries[rows], self.base.T, k)
        order = np.argsort(-best_s, axis=1, kind="stable")
        return np.take_along_axis(best_i, order, axis=1), np.take_along_axis(best_s, order, axis=1)

    def _by_list(self, lists: np.ndarray, rows: np.ndarray):
        """``(query rows, start, stop)`` of every non-empty list some of ``rows`` visit (``lists[j]`` by ``rows[j]``)."""
        by_list = np.argsort(lists, kind="stable")
        bounds = np.searchsorted(lists[by_list], np.arange(len(self.centroids) + 1))
        for c in range(len(self.centroids)):
            lo, hi = self.starts[c], self.starts[c + 1]
            if bounds[c + 1] > bounds[c] and hi > lo:
                yield rows[by_list[bounds[c]:bounds[c + 1]]], lo, hi


def _merge_above(best_s: np.ndarray, best_i: np.ndarray, q: np.ndarray, scores: np.ndarray, offset: int, k: int) -> None:
    """Merge into queries ``q``'s running top ``k`` the ``scores`` columns (rows ``offset`` + column) above its ``k``-th best.

    A score equal to the ``k``-th best does not displace it (ties keep the row seen first).
    """
    above = scores > best_s[q].min(axis=1)[:, None]
    r, col = _nonzero_2d(above)
    if not len(r):
        return
    counts = np.bincount(r, minlength=len(q))
    many = np.flatnonzero(counts > k)  # more than k new candidates (e.g. no finite best yet): keep their top k
    if len(many):
        keep = ~np.isin(r, many)
        r, col = r[keep], col[keep]
        many_i = _top_unordered(scores[many], min(k, scores.shape[1]))[0]
        r = np.concatenate([r, np.repeat(many, many_i.shape[1])])
        col = np.concatenate([col, many_i.ravel()])
        counts = np.bincount(r, minlength=len(q))
        order = np.argsort(r, kind="stable")
        r, col = r[order], col[order]
    rows = np.flatnonzero(counts)
    width = int(counts.max())
    slot = np.arange(len(r)) - np.repeat(np.cumsum(counts)[rows] - counts[rows], counts[rows])
    at = np.repeat(np.arange(len(rows)), counts[rows])
    cand_s = np.full((len(rows), width), -np.inf, dtype=np.float32)
    cand_i = np.zeros((len(rows), width), dtype=np.int64)
    cand_s[at, slot], cand_i[at, slot] = scores[r, col], col + offset
    who = q[rows]
    all_s = np.concatenate([best_s[who], cand_s], axis=1)
    all_i = np.concatenate([best_i[who], cand_i], axis=1)
    keep = _top_unordered(all_s, k)[0]
    best_s[who], best_i[who] = np.take_along_axis(all_s, keep, axis=1), np.take_along_axis(all_i, keep, axis=1)


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


def _top_wide(scores: np.ndarray, n: int, groups: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """As :func:`_top_unordered`, for rows much wider than ``n``: a cheap lower bound first.

    The columns are dealt into ``groups`` interleaved sets of equal width; the ``n``-th largest of the
    column-wise maxima over the sets is reached by ``n`` distinct columns, so it is at most the row's
    ``n``-th largest score; only the few scores at or above it are ranked.
    """
    rows, m = scores.shape
    width = m // groups
    if width < 4 * n:
        return _top_unordered(scores, n)
    bound = scores[:, :groups * width].reshape(rows, groups, width).max(axis=1)
    floor = np.partition(bound, width - n, axis=1)[:, width - n]
    above = scores >= floor[:, None]
    counts = above.sum(axis=1)
    odd = (counts < n) | (counts > 8 * n)  # NaN, or many scores at the bound: those rows take the full partition
    if odd.any():
        above[odd] = False
    r, col = _nonzero_2d(above)
    counts[odd] = 0
    slot = np.arange(len(r)) - np.repeat(np.cumsum(counts) - counts, counts)
    cand = np.full((rows, max(int(counts.max(initial=0)), n)), -np.inf, dtype=scores.dtype)
    cand_col = np.zeros(cand.shape, dtype=np.int64)
    cand[r, slot], cand_col[r, slot] = scores[r, col], col
    keep, values = _top_unordered(cand, n)
    top = np.take_along_axis(cand_col, keep, axis=1)
    if odd.any():
        top[odd], values[odd] = _top_unordered(scores[odd], n)
    return top, values


def spherical_kmeans(x: np.ndarray, nlist: int, *, seed: int = 0, niter: int = 10, per_list: int = 40) -> np.ndarray:
    """``nlist`` unit-length centres from a seeded sample of ``per_list`` rows per list (deterministic)."""
    from scipy.sparse import csr_matrix

    rng = np.random.default_rng(seed)
    sample = x[np.sort(rng.choice(len(x), size=min(len(x), nlist * per_list), replace=False))]
    centres = sample[np.sort(rng.choice(len(sample), size=nlist, replace=False))].copy()
    for _ in range(niter):
        assign = nearest_lists(sample, centres, 1)[:, 0]
        member = csr_matrix((np.ones(len(sample), dtype=np.float32), (assign, np.arange(len(sample)))),
                            shape=(nlist, len(sample)))
        sums = np.asarray(member @ sample)
        empty = np.flatnonzero(np.bincount(assign, minlength=nlist) == 0)
        sums[empty] = sample[rng.choice(len(sample), size=len(empty), replace=False)]  # restart empty lists
        centres = (sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)).astype(np.float32)
    return centres


def nearest_lists(x: np.ndarray, centres: np.ndarray, n: int, block: int = 16_384, with_first: bool = False):
    """Indices of the ``n`` centres most similar to each row (unordered when ``n`` > 1).

    With ``with_first``, also the single most similar centre of each row (from the same scores).
    """
    out = np.empty((len(x), n), dtype=np.int32)
    first = np.empty(len(x), dtype=np.int32)
    centres_t = np.ascontiguousarray(centres.T)

    def one(start: int) -> None:
        scores = x[start:start + block] @ centres_t
        if n == 1:
            first[start:start + block] = scores.argmax(axis=1)
            out[start:start + block] = first[start:start + block, None]
        else:  # the most similar centre is among the n selected: no second pass over the scores
            top, values = _top_wide(scores, n)
            out[start:start + block] = top
            first[start:start + block] = np.take_along_axis(top, values.argmax(axis=1)[:, None], axis=1)[:, 0]

    map_threads(one, list(range(0, len(x), block)), IVF_THREADS)
    return (out, first) if with_first else out


def faiss_block(index, queries: np.ndarray, base: np.ndarray, k: int):
    """Search one query block; re-score candidates exactly and sort them."""
    _, idx = index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
    missing = idx < 0
    if missing.any():  # fewer than k candidates in the probed lists: fill exactly
        rows = np.flatnonzero(missing.any(axis=1))
        idx[rows] = exact_block(queries[rows], np.ascontiguousarray(base.T), k)[0]
    queries = np.asarray(queries, dtype=np.float32)
    sim = np.empty(idx.shape, dtype=np.float32)
    for s in range(0, len(idx), 4096):
        sim[s:s + 4096] = np.einsum("ij,ikj->ik", queries[s:s + 4096], base[idx[s:s + 4096]])
    order = np.argsort(-sim, axis=1, kind="stable")
    return np.take_along_axis(idx, order, axis=1), np.take_along_axis(sim, order, axis=1)


def _drop_self(idx: np.ndarray, sim: np.ndarray, k: int):
    rows = np.arange(idx.shape[0])[:, None]
    keep = idx != rows
    # rows where self was not found: drop the last column instead
    no_self = keep.all(axis=1)
    keep[no_self, -1] = False
    n_keep = keep.sum(axis=1).min()
    out_idx = idx[keep].reshape(idx.shape[0], -1)[:, :min(k, n_keep)]
    out_sim = sim[keep].reshape(idx.shape[0], -1)[:, :min(k, n_keep)]
    return out_idx, out_sim
