"""The Dask engine gives the same result as the local path (exact search, same seed)."""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import diagnose
from diagnose.sample import sample_paths

distributed = pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def client():
    from diagnose.distributed import connect

    with connect(n_workers=2, processes=False) as c:
        yield c


def _run(engine: str):
    paths = sample_paths()
    config = diagnose.RunConfig(neighbors="exact", engine=engine, progress=False)
    return diagnose.run(paths["intents_eval"], paths["intents_train"], paths["intents_annotations"],
                        seed=3, config=config)


def test_dask_engine_matches_local(client, monkeypatch):
    monkeypatch.setenv("DIAGNOSE_DASK_ADDRESS", client.scheduler.address)
    local, dask = _run("local"), _run("dask")
    assert_frame_equal(local.examples, dask.examples)
    assert dask.summary["counts"] == local.summary["counts"]


def test_engine_stages_match_local(client):
    from diagnose.distributed import DaskEngine
    from diagnose.embed import TfidfSvdEmbedder
    from diagnose.neighbors import NeighborIndex
    from diagnose.probs import cross_val_probs

    texts = pl.read_csv(sample_paths()["intents_train"]).get_column("text").to_list()
    emb = TfidfSvdEmbedder(n_components=32, batch_size=300).fit(texts)
    engine = DaskEngine(client)
    x = engine.transform(emb, texts)
    np.testing.assert_array_equal(x, emb.transform(texts))
    index = NeighborIndex(method="exact", block_bytes=4 * len(texts) * 100).fit(x)
    local, remote = index.search(x, k=5, exclude_self=True), engine.search(index, None, k=5, exclude_self=True)
    np.testing.assert_array_equal(local.indices, remote.indices)
    np.testing.assert_array_equal(local.similarities, remote.similarities)
    y = np.arange(len(texts)) % 4
    np.testing.assert_allclose(engine.cross_val_probs(x, y, 4, folds=3), cross_val_probs(x, y, 4, folds=3))
