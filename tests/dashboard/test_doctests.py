"""The dashboard's docstring examples run as tests (pytest only collects doctests under diagnose/)."""
from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize("module", ["dash_tables", "dash_data"])
def test_docstring_examples(dash_data, module):
    mod = importlib.import_module(module)
    failures, attempted = doctest.testmod(mod, verbose=False)
    assert attempted > 0, f"{module} has no docstring examples"
    assert failures == 0
