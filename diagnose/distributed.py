"""Heavy stages on a Dask cluster: embedding, neighbour search, proxy folds.

With ``RunConfig(engine="dask")`` (CLI ``--engine dask``) the pipeline sends
its heavy, row-parallel stages to a ``dask.distributed`` cluster:

* **embedding**: the vocabulary and SVD basis are fitted once on the client
  (on a bounded sample), then texts are transformed in partitions on workers;
* **neighbour search**: training embeddings are broadcast once; each task
  searches one fixed query block (exact) or one batch against a broadcast
  IVF index (faiss);
* **proxy probabilities**: each cross-validation fold is one task, and eval
  rows without probabilities are predicted partition by partition.

Partitions, blocks, folds and seeds are the ones the local path uses
(:func:`diagnose.neighbors.query_blocks`, :func:`diagnose.probs.fold_indices`,
the embedder's ``batch_size``), so the same inputs and seed give the same
result on one machine or a cluster (exact search). The analyzers then score on
the client: given the shared representation they are linear-time and cheap.

Why Dask rather than Ray: these stages are a map over NumPy blocks with no
state between tasks, which is exactly what ``Client.map`` / ``scatter`` do;
Dask is pure Python, pip-installable (``diagnose[distributed]``) with no
daemon or shared-memory object store to size, runs in-process for tests
(``LocalCluster(processes=False)``), and reaches real clusters through the
usual deployers (``dask scheduler``/``dask worker`` over SSH, dask-jobqueue
for SLURM/PBS, dask-kubernetes, Coiled). Ray would add a raylet and plasma
store per node for no feature we use.

Pointing at a real cluster
--------------------------
Start a scheduler and workers that can import ``diagnose`` (same version)::

    dask scheduler                              # on the head node, port 8786
    dask worker tcp://HEAD:8786 --nworkers 4 --nthreads 1   # on every node

then run with::

    DIAGNOSE_DASK_ADDRESS=tcp://HEAD:8786 diagnose run --engine dask --eval ... --out ...

or in Python ``diagnose.run(..., config=RunConfig(engine="dask"))`` with the
variable set. Without the variable a ``LocalCluster`` with one worker process
per core is started for the run and closed after it. Input files are read by
the client; only arrays and text partitions travel to workers.
"""
from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from diagnose.core import Neighbors
from diagnose.errors import OptionalDependencyError
from diagnose.neighbors import FAISS_BATCH, NeighborIndex, _drop_self, exact_block, faiss_block, query_blocks
from diagnose.probs import MAX_FIT_ROWS, _model, _smooth, cap_rows, fold_indices, fold_probs, predict_expanded

__all__ = ["ADDRESS_ENV", "DaskEngine", "connect", "session"]

log = logging.getLogger(__name__)

#: environment variable holding the scheduler address (``tcp://host:8786``)
ADDRESS_ENV = "DIAGNOSE_DASK_ADDRESS"
_WORKER_CACHE: dict[str, Any] = {}


@contextlib.contextmanager
def connect(address: str | None = None, *, n_workers: int | None = None, processes: bool = True) -> Iterator[Any]:
    """A ``dask.distributed.Client``: to ``address`` (or ``$DIAGNOSE_DASK_ADDRESS``), else a LocalCluster.

    Examples
    --------
    >>> with connect(processes=False, n_workers=1) as client:  # doctest: +SKIP
    ...     client.submit(sum, [1, 2]).result()
    3
    """
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise OptionalDependencyError(
            "engine='dask' needs dask.distributed, which is not installed; install it with "
            "`pip install 'diagnose[distributed]'` or use engine='local'."
        ) from exc
    address = address or os.environ.get(ADDRESS_ENV)
    if address:
        with Client(address) as client:
            yield client
        return
    workers = n_workers or max(1, min(os.cpu_count() or 1, 4))
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=processes,
                      dashboard_address=None, silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        yield client


@contextlib.contextmanager
def session(engine: str, *, progress: bool = False, client: Any = None) -> Iterator[DaskEngine | None]:
    """A :class:`DaskEngine` for the enclosed stages when ``engine == "dask"``, else None.

    The pipeline passes the yielded engine to each heavy stage as a parameter (the one path).
    """
    if engine != "dask":
        yield None
        return
    with contextlib.ExitStack() as stack:
        client = client or stack.enter_context(connect())
        yield DaskEngine(client, progress=progress)


class DaskEngine:
    """The heavy stages, run as tasks on ``client``.

    Parameters
    ----------
    client
        A connected ``dask.distributed.Client``.
    progress
        Show progress bars as tasks finish.
    """

    def __init__(self, client: Any, *, progress: bool = False):
        self.client = client
        self.progress = progress

    def _gather(self, futures: list, desc: str) -> list:
        from dask.distributed import as_completed

        with tqdm(total=len(futures), desc=desc, unit="task", disable=not self.progress, leave=False) as bar:
            for _ in as_completed(futures):
                bar.update(1)
        return self.client.gather(futures)

    def transform(self, embedder: Any, texts: list[str]) -> np.ndarray:
        """``embedder.transform`` over partitions of ``batch_size`` texts (fitted embedder)."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        size = int(getattr(embedder, "batch_size", 20_000))
        remote = self.client.scatter(embedder, broadcast=True, hash=False)
        futures = [self.client.submit(_transform, remote, texts[s:s + size], pure=False)
                   for s in range(0, len(texts), size)]
        return np.concatenate(self._gather(futures, "embed (dask)"))

    def search(self, index: NeighborIndex, queries: np.ndarray | None, *, k: int = 10,
               exclude_self: bool = False) -> Neighbors:
        """Like ``index.search``; ``queries=None`` searches the index's own rows."""
        base = index.base_
        n_queries = base.shape[0] if queries is None else queries.shape[0]
        k_eff = min(k + int(exclude_self), base.shape[0])
        if index.resolve(n_queries) == "exact":
            remote = self._broadcast(np.ascontiguousarray(base.T))
            blocks = query_blocks(n_queries, base.shape[0], index.block_bytes)
            futures = [self.client.submit(_exact_task, remote, None if queries is None else queries[a:b], a, b, k_eff, pure=False)
                       for a, b in blocks]
        else:
            import faiss

            ivf = index.faiss_index()
            remote_base = self._broadcast(base)
            remote_ivf = self._broadcast((faiss.serialize_index(ivf), ivf.nprobe))
            futures = [self.client.submit(_faiss_task, remote_ivf, remote_base,
                                          None if queries is None else queries[a:a + FAISS_BATCH],
                                          a, min(a + FAISS_BATCH, n_queries), k_eff, pure=False)
                       for a in range(0, n_queries, FAISS_BATCH)]
        parts = self._gather(futures, "neighbours (dask)")
        idx = np.concatenate([p[0] for p in parts])
        sim = np.concatenate([p[1] for p in parts])
        if exclude_self:
            idx, sim = _drop_self(idx, sim, k)
        return Neighbors(idx.astype(np.int64), np.clip(sim, -1.0, 1.0).astype(np.float32))  # float error can pass 1

    def _broadcast(self, value: Any):
        return self.client.scatter(value, broadcast=True, hash=False)

    def cross_val_probs(self, x: np.ndarray, y: np.ndarray, n_classes: int, *, folds: int = 5,
                        seed: int = 0) -> np.ndarray:
        """:func:`diagnose.probs.cross_val_probs` with one task per fold (same splits, same result)."""
        splits = fold_indices(y, n_classes, folds=folds, seed=seed)
        rx, ry = self.client.scatter([x, y], broadcast=True, hash=False)
        futures = [self.client.submit(fold_probs, rx, ry, fit, held, n_classes, seed=seed, pure=False)
                   for fit, held in splits]
        out = np.zeros((len(y), n_classes))
        for (_, held), part in zip(splits, self._gather(futures, "proxy folds (dask)")):
            out[held] = part
        return _smooth(out)

    def predict_probs(self, x: np.ndarray, y: np.ndarray, queries: np.ndarray, n_classes: int, *,
                      seed: int = 0, batch: int = 50_000) -> np.ndarray:
        """:func:`diagnose.probs.fit_predict_probs`: one fit, then prediction per partition."""
        rows = cap_rows(np.arange(len(y)), y, MAX_FIT_ROWS, seed=seed)
        model = self.client.submit(_fit, x[rows], y[rows], seed, pure=False)
        futures = [self.client.submit(predict_expanded, model, queries[s:s + batch], None, n_classes, pure=False)
                   for s in range(0, len(queries), batch)]
        return _smooth(np.concatenate(self._gather(futures, "eval probabilities (dask)")))


def _transform(embedder: Any, texts: list[str]) -> np.ndarray:
    return embedder.transform(texts)


def _fit(x: np.ndarray, y: np.ndarray, seed: int):
    return _model(seed).fit(x, y)


def _exact_task(base_t: np.ndarray, queries: np.ndarray | None, start: int, stop: int, k: int):
    if queries is None:
        queries = np.ascontiguousarray(base_t[:, start:stop].T)
    return exact_block(queries, base_t, k)


def _faiss_task(ivf: tuple[np.ndarray, int], base: np.ndarray, queries: np.ndarray | None,
                start: int, stop: int, k: int):
    import faiss

    key = f"ivf-{id(ivf)}"
    if key not in _WORKER_CACHE:  # deserialise once per worker
        _WORKER_CACHE.clear()
        index = faiss.deserialize_index(ivf[0])
        index.nprobe = ivf[1]
        _WORKER_CACHE[key] = index
    if queries is None:
        queries = base[start:stop]
    return faiss_block(_WORKER_CACHE[key], queries, base, k)
