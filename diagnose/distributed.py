"""Heavy stages on a Dask cluster: embedding, neighbour search, proxy folds.

With ``RunConfig(engine="dask")`` (CLI ``--engine dask``) the pipeline sends
its heavy, row-parallel stages to a ``dask.distributed`` cluster:

* **embedding**: the vocabulary and SVD basis are fitted once on the client
  (on a bounded sample), then texts are transformed in partitions on workers;
* **neighbour search**: training embeddings are broadcast once; each task
  searches one fixed query block (exact) or one chunk of queries against the
  broadcast inverted lists (ivf, built once on the client) or IVF index (faiss);
* **proxy probabilities**: each cross-validation fold is one task, and eval
  rows without probabilities are predicted partition by partition.

Partitions, blocks, folds and seeds are the ones the local path uses
(:func:`diagnose.neighbors.query_blocks`, the ivf query chunks, :func:`diagnose.probs.fold_indices`,
the embedder's ``batch_size``), so the same inputs and seed give the same
result on one machine or a cluster (exact and ivf search). The analyzers then score on
the client: given the shared representation they are linear-time and cheap.

Exactly the local result also needs the same floating-point work: OpenBLAS
splits a matrix product or a solver's dot products differently with two
threads than with one, which moves the last bits of similarities and
probabilities, and calibration turns those into score differences of up to
1e-3 (measured on BANKING77 with workers left at two BLAS threads while the
client ran at one). The workers are therefore set to the run's
``blas_threads`` (:class:`~diagnose.pipeline.RunConfig`, default 1) for the
run and restored after it, whatever their own defaults are (a worker shared
with other clients runs their tasks at that count meanwhile), and the client
checks that the workers import the same ``diagnose`` code before sending work.

Why Dask rather than Ray: these stages are a map over NumPy blocks with no
state between tasks, which is exactly what ``Client.map`` / ``scatter`` do;
Dask is pure Python, pip-installable (``diagnose[distributed]``) with no
daemon or shared-memory object store to size, runs on one machine for tests
(``LocalCluster(processes=True)``, worker processes), and reaches real clusters through the
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
from diagnose.errors import DiagnoseError, OptionalDependencyError
from diagnose.neighbors import FAISS_BATCH, IVF_CHUNK, NeighborIndex, _drop_self, exact_block, faiss_block, query_blocks
from diagnose.probs import MAX_FIT_ROWS, _model, _smooth, cap_rows, fold_indices, fold_probs, predict_expanded, probs_dtype, query_folds

__all__ = ["ADDRESS_ENV", "DaskEngine", "code_fingerprint", "connect", "session"]

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
def session(engine: str, *, progress: bool = False, client: Any = None,
            blas_threads: int | None = 1) -> Iterator[DaskEngine | None]:
    """A :class:`DaskEngine` for the enclosed stages when ``engine == "dask"``, else None.

    The pipeline passes the yielded engine to each heavy stage as a parameter (the one path).
    """
    if engine != "dask":
        yield None
        return
    with contextlib.ExitStack() as stack:
        client = client or stack.enter_context(connect())
        engine_ = DaskEngine(client, progress=progress, blas_threads=blas_threads)
        engine_.check_workers()
        with engine_.blas_limit():
            yield engine_


class DaskEngine:
    """The heavy stages, run as tasks on ``client``.

    Parameters
    ----------
    client
        A connected ``dask.distributed.Client``.
    progress
        Show progress bars as tasks finish.
    blas_threads
        BLAS threads of the workers while :meth:`blas_limit` is entered (None:
        the workers' defaults). The pipeline sets it to the client's limit, for
        bit-identical results.
    """

    def __init__(self, client: Any, *, progress: bool = False, blas_threads: int | None = 1):
        self.client = client
        self.progress = progress
        self.blas_threads = blas_threads

    def submit(self, fn, *args, **kwargs):
        """``client.submit`` of a task whose result is not cached by the scheduler."""
        return self.client.submit(fn, *args, pure=False, **kwargs)

    @contextlib.contextmanager
    def blas_limit(self) -> Iterator[None]:
        """Run the enclosed stages with every worker at ``blas_threads`` BLAS threads, then restore them."""
        if self.blas_threads is None:
            yield
            return
        before = self.client.run(_set_blas_threads, self.blas_threads)
        try:
            yield
        finally:
            for address, counts in before.items():
                with contextlib.suppress(Exception):  # a worker that left the cluster has nothing to restore
                    self.client.run(_restore_blas_threads, counts, workers=[address])

    def check_workers(self) -> None:
        """Fail when a worker imports other ``diagnose`` code than the client (its result would differ)."""
        mine = code_fingerprint()
        found = self.client.run(code_fingerprint)
        other = {addr: fp for addr, fp in found.items() if fp != mine}
        if other:
            raise DiagnoseError(
                f"engine='dask': {len(other)} of {len(found)} workers import different diagnose code than this "
                f"client (expected code fingerprint {mine}, found {sorted(set(other.values()))} on "
                f"{sorted(other)[:3]}), so the distributed result would not be the local one. Start the workers "
                "from the same installation (same version, same PYTHONPATH) as the client."
            )

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
        futures = [self.submit(_transform, remote, texts[s:s + size])
                   for s in range(0, len(texts), size)]
        return np.concatenate(self._gather(futures, "embed (dask)"))

    def search(self, index: NeighborIndex, queries: np.ndarray | None, *, k: int = 10,
               exclude_self: bool = False) -> Neighbors:
        """Like ``index.search``; ``queries=None`` searches the index's own rows."""
        base = index.base_
        n_queries = base.shape[0] if queries is None else queries.shape[0]
        k_eff = min(k + int(exclude_self), base.shape[0])
        method = index.resolve(n_queries)
        if method == "ivf":
            remote = self._broadcast(index.ivf_index())
            futures = [self.submit(_ivf_task, remote, None if queries is None else queries[a:a + IVF_CHUNK],
                                   a, min(a + IVF_CHUNK, n_queries), k_eff)
                       for a in range(0, n_queries, IVF_CHUNK)]
        elif method == "exact":
            remote = self._broadcast(np.ascontiguousarray(base.T))
            blocks = query_blocks(n_queries, base.shape[0], index.block_bytes)
            futures = [self.submit(_exact_task, remote, None if queries is None else queries[a:b], a, b, k_eff)
                       for a, b in blocks]
        else:
            import faiss

            ivf = index.faiss_index()
            remote_base = self._broadcast(base)
            remote_ivf = self._broadcast((faiss.serialize_index(ivf), ivf.nprobe))
            futures = [self.submit(_faiss_task, remote_ivf, remote_base,
                                   None if queries is None else queries[a:a + FAISS_BATCH],
                                   a, min(a + FAISS_BATCH, n_queries), k_eff)
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
                        seed: int = 0, held_queries: np.ndarray | None = None):
        """:func:`diagnose.probs.cross_val_probs` with one task per fold (same splits, same result); with
        ``held_queries``, also their fold-model probabilities (:func:`diagnose.probs.proxy_probs`)."""
        splits = fold_indices(y, n_classes, folds=folds, seed=seed)
        rx, ry = self.client.scatter([x, y], broadcast=True, hash=False)
        assigned = None if held_queries is None else query_folds(len(held_queries), len(splits), seed)
        futures = [self.submit(fold_probs, rx, ry, fit, held, n_classes, seed=seed,
                               queries=None if assigned is None else held_queries[assigned == f])
                   for f, (fit, held) in enumerate(splits)]
        out = np.zeros((len(y), n_classes), dtype=probs_dtype(len(y), n_classes))  # as the local path
        parts = self._gather(futures, "proxy folds (dask)")
        if assigned is None:
            for (_, held), part in zip(splits, parts):
                out[held] = part
            return _smooth(out)
        held_out = np.zeros((len(held_queries), n_classes), dtype=probs_dtype(len(held_queries), n_classes))
        for f, ((_, held), (part, queried)) in enumerate(zip(splits, parts)):
            out[held], held_out[assigned == f] = part, queried
        return _smooth(out), _smooth(held_out)

    def predict_probs(self, x: np.ndarray, y: np.ndarray, queries: np.ndarray, n_classes: int, *,
                      seed: int = 0, batch: int = 50_000) -> np.ndarray:
        """:func:`diagnose.probs.fit_predict_probs`: one fit, then prediction per partition."""
        rows = cap_rows(np.arange(len(y)), y, MAX_FIT_ROWS, seed=seed)
        model = self.submit(_fit, x[rows], y[rows], seed)
        futures = [self.submit(predict_expanded, model, queries[s:s + batch], None, n_classes)
                   for s in range(0, len(queries), batch)]
        return _smooth(np.concatenate(self._gather(futures, "eval probabilities (dask)")))


def _set_blas_threads(limit: int) -> dict[str, int]:
    """Set this worker's BLAS threads to ``limit``; return the previous count per library file.

    Runs through ``client.run`` in the worker's main thread: OpenBLAS ignores a
    limit set from a task's executor thread (measured: the count stays at 2).
    """
    import numpy  # noqa: F401  load the BLAS libraries before looking them up
    import scipy.linalg  # noqa: F401
    from threadpoolctl import ThreadpoolController

    blas = [lib for lib in ThreadpoolController().lib_controllers if lib.user_api == "blas"]
    before = {lib.filepath: lib.num_threads for lib in blas}
    for lib in blas:
        lib.set_num_threads(limit)
    return before


def _restore_blas_threads(before: dict[str, int]) -> None:
    from threadpoolctl import ThreadpoolController

    for lib in ThreadpoolController().lib_controllers:
        if lib.filepath in before:
            lib.set_num_threads(before[lib.filepath])


def code_fingerprint() -> str:
    """A short hash of the ``diagnose`` modules whose code runs on workers (version + source)."""
    import hashlib
    from pathlib import Path

    import diagnose

    digest = hashlib.blake2b(diagnose.__version__.encode(), digest_size=8)
    for name in ("distributed.py", "embed.py", "neighbors.py", "probs.py"):
        path = Path(diagnose.__file__).parent / name
        digest.update(path.read_bytes() if path.exists() else b"-")
    return digest.hexdigest()


def _transform(embedder: Any, texts: list[str]) -> np.ndarray:
    return embedder.transform(texts)


def _fit(x: np.ndarray, y: np.ndarray, seed: int):
    return _model(seed).fit(x, y)


def _exact_task(base_t: np.ndarray, queries: np.ndarray | None, start: int, stop: int, k: int):
    if queries is None:
        queries = np.ascontiguousarray(base_t[:, start:stop].T)
    return exact_block(queries, base_t, k)


def _ivf_task(lists: Any, queries: np.ndarray | None, start: int, stop: int, k: int):
    return lists.search(queries, k, rows=(start, stop) if queries is None else None)


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
