"""Run settings given to the API: checked once, optional extras named."""
from __future__ import annotations

import pytest

import diagnose
import diagnose.cli
from diagnose.errors import InputError, OptionalDependencyError
from diagnose.pipeline import RunConfig


def test_api_rejects_bad_settings(toy_eval, toy_train):
    with pytest.raises(InputError, match=r"min_precision=1\.5.*k=0"):
        diagnose.run(toy_eval, toy_train, config=RunConfig(progress=False, min_precision=1.5, k=0))


def test_faiss_requested_but_missing_is_clear(toy_eval, toy_train, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "faiss" else real(name, *a))
    with pytest.raises(OptionalDependencyError, match=r"pip install 'diagnose\[ann\]'"):
        diagnose.run(toy_eval, toy_train, config=RunConfig(progress=False, neighbors="faiss"))
