"""Nearest-neighbour search by cosine similarity on unit-length rows.

``exact`` is a blocked matrix product: queries are cut into fixed blocks
(memory bounded by ``block_bytes``, never an all-pairs matrix) and each block
keeps only its top ``k``. ``faiss`` uses an inverted-file index (IVF-Flat) from
the optional ``faiss-cpu`` package (extra ``diagnose[ann]``); the candidates it
returns are re-scored exactly, so similarities are true cosines. ``auto`` picks
``faiss`` when queries × rows exceeds :data:`EXACT_LIMIT` and faiss is
installed.

:class:`NeighborIndex` builds the index once and serves several searches
(eval → train and train → train); :func:`search` is the one-shot form.
"""
from __future__ import annotations

import logging
import warnings

import numpy as np
from tqdm.auto import tqdm

from diagnose.core import Neighbors
from diagnose.errors import InputError

__all__ = ["search", "NeighborIndex", "EXACT_LIMIT", "query_blocks"]

log = logging.getLogger(__name__)

#: queries × rows above which ``auto`` switches to an approximate index
EXACT_LIMIT = 2e8
#: rows an IVF search scans per query (sets ``nprobe``)
SCAN_ROWS = 4000
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
        ``auto``, ``exact`` or ``faiss``.

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
        ``auto``, ``exact`` or ``faiss``. ``auto`` decides per search from
        queries × rows (see :data:`EXACT_LIMIT`).
    seed
        Seed of the IVF training sample and k-means.
    nprobe
        Inverted lists visited per query (faiss); None picks one from the size.
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
        if method not in ("auto", "exact", "faiss"):
            raise InputError(f"neighbour method {method!r} is unknown; expected 'auto', 'exact' or 'faiss'.")
        self.method = method
        self.seed = seed
        self.nprobe = nprobe
        self.block_bytes = block_bytes
        self.progress = progress

    def fit(self, base: np.ndarray) -> NeighborIndex:
        """Keep ``base``; the approximate index is built on first use."""
        self.base_ = np.ascontiguousarray(base, dtype=np.float32)
        self.faiss_ = None
        return self

    def resolve(self, n_queries: int) -> str:
        """The method a search of ``n_queries`` rows will use."""
        if self.method != "auto":
            return self.method
        return "faiss" if n_queries * self.base_.shape[0] > EXACT_LIMIT and _has_faiss() else "exact"

    def search(self, queries: np.ndarray, *, k: int = 10, exclude_self: bool = False) -> Neighbors:
        """The ``k`` nearest base rows of each query row, most similar first."""
        k_eff = min(k + int(exclude_self), self.base_.shape[0])
        method = self.resolve(queries.shape[0])
        if method == "exact":
            idx, sim = self._exact(queries, k_eff)
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
        for start, stop in tqdm(blocks, desc="neighbours (exact)", unit="block", disable=not self.progress, leave=False):
            idx[start:stop], sim[start:stop] = exact_block(queries[start:stop], base_t, k)
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

    def faiss_index(self):
        """The trained IVF-Flat index over ``base_`` (built once)."""
        if self.faiss_ is None:
            self.faiss_ = build_ivf(self.base_, seed=self.seed, nprobe=self.nprobe)
        return self.faiss_


def query_blocks(n_queries: int, n_base: int, block_bytes: int = 256 << 20) -> list[tuple[int, int]]:
    """Fixed ``(start, stop)`` query blocks of exact search (shared by every engine)."""
    block = max(16, int(block_bytes // (4 * max(n_base, 1))))
    return [(s, min(s + block, n_queries)) for s in range(0, n_queries, block)]


def exact_block(queries: np.ndarray, base_t: np.ndarray, k: int):
    """Top ``k`` of one query block against all base rows (``base_t`` is base transposed)."""
    scores = queries @ base_t
    if k < scores.shape[1]:
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    else:
        part = np.tile(np.arange(scores.shape[1]), (scores.shape[0], 1))
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


def _has_faiss() -> bool:
    try:
        import faiss  # noqa: F401
    except ImportError:
        warnings.warn(
            "large neighbour search without faiss: falling back to exact search, which is "
            "slow at this size; install `diagnose[ann]` for an approximate index.",
            stacklevel=4,
        )
        return False
    return True


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
