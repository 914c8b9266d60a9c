"""The Dask engine gives exactly the local result, with real worker processes.

The workers are separate processes (``LocalCluster(processes=True)``, as with
``dask scheduler`` + ``dask worker --nworkers 2``) whose BLAS libraries are set
to two threads while the client runs at the pipeline's default of one: the
set-up that moved ``score_coverage_gap`` by up to 1e-3 before every task ran
under the run's BLAS limit.
"""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import diagnose
from diagnose.sample import sample_paths

distributed = pytest.importorskip("dask.distributed")


def _two_blas_threads() -> list[int]:
    import numpy  # noqa: F401  load both BLAS libraries (numpy's and scipy's) first
    import scipy.linalg  # noqa: F401
    from threadpoolctl import threadpool_info, threadpool_limits

    threadpool_limits(limits=2, user_api="blas")  # kept for the worker's life, like a worker left at its default
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


@pytest.fixture(scope="module")
def client():
    from diagnose.distributed import connect

    with connect(n_workers=2, processes=True) as c:
        threads = c.run(_two_blas_threads)
        assert all(n == 2 for found in threads.values() for n in found), threads
        yield c


def _run(engine: str, paths: dict):
    config = diagnose.RunConfig(neighbors="exact", engine=engine, progress=False)
    return diagnose.run(paths["eval"], paths["train"], paths.get("annotations"), seed=3, config=config)


def _intents() -> dict:
    paths = sample_paths()
    return {"eval": paths["intents_eval"], "train": paths["intents_train"], "annotations": paths["intents_annotations"]}


def test_dask_engine_matches_local_with_worker_processes(client, monkeypatch):
    monkeypatch.setenv("DIAGNOSE_DASK_ADDRESS", client.scheduler.address)
    local, dask = _run("local", _intents()), _run("dask", _intents())
    assert_frame_equal(local.examples, dask.examples)  # exact: no tolerance
    assert dask.summary["counts"] == local.summary["counts"]
    restored = client.run(_blas_counts)
    assert all(n == 2 for found in restored.values() for n in found), restored  # the workers' own setting is back


def _blas_counts() -> list[int]:
    from threadpoolctl import threadpool_info

    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_engine_stages_match_local(client):
    from diagnose.distributed import DaskEngine
    from diagnose.embed import TfidfSvdEmbedder
    from diagnose.neighbors import NeighborIndex
    from diagnose.probs import cross_val_probs, fit_predict_probs, proxy_probs

    texts = pl.read_csv(sample_paths()["intents_train"]).get_column("text").to_list()
    emb = TfidfSvdEmbedder(n_components=32, batch_size=300).fit(texts)
    engine = DaskEngine(client)  # blas_threads=1, as the pipeline's default
    x = engine.transform(emb, texts)
    np.testing.assert_array_equal(x, emb.transform(texts))
    index = NeighborIndex(method="exact", block_bytes=4 * len(texts) * 100).fit(x)
    local, remote = index.search(x, k=5, exclude_self=True), engine.search(index, None, k=5, exclude_self=True)
    np.testing.assert_array_equal(local.indices, remote.indices)
    np.testing.assert_array_equal(local.similarities, remote.similarities)
    ivf = NeighborIndex(method="ivf", nprobe=3).fit(x)  # the approximate search a large run uses
    local, remote = ivf.search(x, k=5, exclude_self=True), engine.search(ivf, None, k=5, exclude_self=True)
    np.testing.assert_array_equal(local.indices, remote.indices)
    np.testing.assert_array_equal(local.similarities, remote.similarities)
    y = np.arange(len(texts)) % 4
    from threadpoolctl import threadpool_limits

    with engine.blas_limit(), threadpool_limits(limits=1, user_api="blas"):  # as in a run: one thread everywhere
        np.testing.assert_array_equal(engine.cross_val_probs(x, y, 4, folds=3), cross_val_probs(x, y, 4, folds=3))
        for got, want in zip(engine.cross_val_probs(x, y, 4, folds=3, held_queries=x[:50]),
                             proxy_probs(x, y, None, 4, folds=3, held_queries=x[:50])[::2]):
            np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(engine.predict_probs(x, y, x[:50], 4), fit_predict_probs(x, y, x[:50], 4))


def test_workers_with_other_code_are_refused(client, monkeypatch):
    from diagnose.distributed import session
    from diagnose.errors import DiagnoseError

    monkeypatch.setattr(diagnose, "__version__", "0.0.0-other")  # the client's code now differs from the workers'
    with pytest.raises(DiagnoseError, match="different diagnose code"):
        with session("dask", client=client):
            pass
