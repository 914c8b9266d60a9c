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

from diagnose._topk import _nonzero_2d, _top_unordered, _top_wide, exact_block, query_blocks, top_k_sorted
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
