"""Nearest-neighbour search by cosine similarity on unit-length rows.

``exact`` is a blocked matrix product (memory bounded by ``block_bytes``, never
an all-pairs matrix). ``faiss`` uses an inverted-file index from the optional
``faiss-cpu`` package (extra ``diagnose[ann]``) for large tables; ``auto``
picks ``faiss`` when the search would be large and faiss is installed.
"""
from __future__ import annotations

import logging
import warnings

import numpy as np

from diagnose.analyzers.base import Neighbors
from diagnose.errors import InputError

__all__ = ["search", "EXACT_LIMIT"]

log = logging.getLogger(__name__)

#: queries × rows above which ``auto`` switches to an approximate index
EXACT_LIMIT = 5e9


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
    k_eff = min(k + int(exclude_self), base.shape[0])
    if method == "auto":
        method = "faiss" if queries.shape[0] * base.shape[0] > EXACT_LIMIT and _has_faiss() else "exact"
    if method == "exact":
        idx, sim = _exact(queries, base, k_eff, block_bytes)
    elif method == "faiss":
        idx, sim = _faiss(queries, base, k_eff, seed)
    else:
        raise InputError(f"neighbour method {method!r} is unknown; expected 'auto', 'exact' or 'faiss'.")
    if exclude_self:
        idx, sim = _drop_self(idx, sim, k)
    return Neighbors(idx.astype(np.int64), sim.astype(np.float32))


def _has_faiss() -> bool:
    try:
        import faiss  # noqa: F401
    except ImportError:
        warnings.warn(
            "large neighbour search without faiss: falling back to exact search, which is "
            "slow at this size; install `diagnose[ann]` for an approximate index.",
            stacklevel=3,
        )
        return False
    return True


def _exact(queries: np.ndarray, base: np.ndarray, k: int, block_bytes: int):
    n = queries.shape[0]
    block = max(16, int(block_bytes // (4 * max(base.shape[0], 1))))
    idx = np.empty((n, k), dtype=np.int64)
    sim = np.empty((n, k), dtype=np.float32)
    base_t = np.ascontiguousarray(base.T)
    for start in range(0, n, block):
        scores = queries[start:start + block] @ base_t
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k] if k < scores.shape[1] else np.tile(np.arange(scores.shape[1]), (scores.shape[0], 1))
        top = np.take_along_axis(scores, part, axis=1)
        order = np.argsort(-top, axis=1, kind="stable")
        idx[start:start + block] = np.take_along_axis(part, order, axis=1)
        sim[start:start + block] = np.take_along_axis(top, order, axis=1)
    return idx, sim


def _faiss(queries: np.ndarray, base: np.ndarray, k: int, seed: int):
    import faiss

    n, dim = base.shape
    nlist = int(max(16, min(4 * np.sqrt(n), n // 39)))
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(seed)
    train = base[rng.choice(n, size=min(n, nlist * 64), replace=False)]
    index.cp.seed = seed
    index.train(np.ascontiguousarray(train, dtype=np.float32))
    index.add(np.ascontiguousarray(base, dtype=np.float32))
    index.nprobe = max(8, nlist // 16)
    log.info("faiss IVF index: %d lists, nprobe %d", nlist, index.nprobe)
    sim, idx = index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
    return idx, sim


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
