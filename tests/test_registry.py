"""A fifth cause is one new folder: a toy cause written to a temporary package shows up everywhere.

The toy package holds a trivial analyzer and its :class:`~diagnose.core.Cause` entry; the test only
registers it. Nothing in the pipeline, the attribution, the reports or the dashboard data layer is
edited, yet the cause is scored, calibrated, counted, reported (JSON, Markdown, HTML) and listed by
the dashboard's data functions.
"""
from __future__ import annotations

import importlib
import sys
import textwrap

import polars as pl
import pytest

import diagnose
from diagnose.core import CAUSES, register, registered, unregister

TOY = '''
"""Toy cause: the text mentions a leak."""
import polars as pl

from diagnose.core import Analyzer, Cause


class ToyLeak(Analyzer):
    name = "toy_leak"
    description = "The eval text leaked from somewhere odd. Fix: remove the leaked rows."

    def score(self, data):
        hit = data.eval.get_column("text").str.contains("leak").cast(pl.Float64)
        evidence = pl.Series([("mentions a leak" if h else None) for h in hit.to_list()], dtype=pl.Utf8)
        return pl.DataFrame({"id": data.eval.get_column("id"), "score_toy_leak": hit, "evidence_toy_leak": evidence})


def figures(result):
    share = result.examples.get_column("score_toy_leak").mean()
    return [{"title": "Leaky <rows>", "caption": "share of rows that leak", "rows": [{"label": "leak & co", "value": share, "note": "toy"}]}]


CAUSE = Cause(ToyLeak, colour="#123456", figures=figures)
'''


@pytest.fixture()
def toy_cause(tmp_path, monkeypatch):
    package = tmp_path / "toy_leak_cause"
    package.mkdir()
    (package / "__init__.py").write_text(textwrap.dedent(TOY), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("toy_leak_cause")
    register(module.CAUSE)
    yield module.CAUSE
    unregister("toy_leak")
    sys.modules.pop("toy_leak_cause", None)


@pytest.fixture()
def toy_run(toy_cause, toy_train, toy_eval):
    pred = toy_eval.get_column("prediction").to_list()
    text = toy_eval.get_column("text").to_list()
    errors = [i for i, (p, g) in enumerate(zip(pred, toy_eval.get_column("label").to_list())) if p != g]
    for i in errors:
        text[i] = f"{text[i]} leak"
    ev = toy_eval.with_columns(pl.Series("text", text))
    return diagnose.run(ev, toy_train, config=diagnose.RunConfig(progress=False, cv_folds=2, embed_dim=16)), len(errors)


def test_registered_cause_is_everywhere_in_the_library(toy_run):
    result, n_errors = toy_run
    assert "toy_leak" in CAUSES and registered()[-1].name == "toy_leak"
    assert {"score_toy_leak", "evidence_toy_leak", "precision_toy_leak"} <= set(result.examples.columns)
    assert result.summary["analyzers"]["toy_leak"]["status"] == "ran"
    assert result.summary["counts"]["per_cause"]["toy_leak"] == n_errors
    doc = result.to_dict()
    section = next(c for c in doc["causes"] if c["name"] == "toy_leak")
    assert section["n_errors"] == n_errors and section["action"]["text"].startswith("Remove the leaked rows.")
    assert "Toy leak" in result.to_markdown()
    assert 'id="cause-toy_leak"' in result.to_html()
    assert section["figures"][0]["rows"][0]["label"] == "leak & co"  # a cause's figures reach every output
    assert "Leaky &lt;rows&gt;" in result.to_html() and "<rows>" not in result.to_html()
    assert "**Leaky &lt;rows&gt;**" in result.to_markdown() and "toy |" in result.to_markdown()


def test_registered_cause_is_in_the_dashboard_data(toy_run, tmp_path):
    pytest.importorskip("streamlit")
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dashboard"))
    dash_data = importlib.import_module("dash_data")
    result, n_errors = toy_run
    back = diagnose.load(result.save(tmp_path / "out", reports=False))
    assert "toy_leak" in dash_data.analyzer_names()
    assert dash_data.cause_colours()["toy_leak"] == "#123456"
    counts = dict(dash_data.cause_counts(back).iter_rows())
    assert counts["toy_leak"] == n_errors
    assert "toy_leak" in dash_data.analyzer_status(back).get_column("analyzer").to_list()
    assert dash_data.errors_with_cause(back, "toy_leak").height == n_errors


def test_toy_cause_leaves_the_registry_when_removed(toy_cause):
    unregister("toy_leak")
    assert "toy_leak" not in CAUSES and len(CAUSES) == 4
