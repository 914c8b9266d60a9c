"""Shared fixtures of the dashboard tests: sample results built once per session, and page runners."""
from __future__ import annotations

import importlib
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

import diagnose
from diagnose.sample import sample_paths

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
TIMEOUT = 180  # seconds; the first run of a page in a session pays for loading the result
FAST = diagnose.RunConfig(progress=False, cv_folds=2, embed_dim=64)


@pytest.fixture(scope="session")
def intents_dir(tmp_path_factory) -> Path:
    """The bundled intents scenario (eval, train, annotations), diagnosed and saved once."""
    p = sample_paths()
    with warnings.catch_warnings():  # the sample plants unseen labels on purpose
        warnings.simplefilter("ignore")
        result = diagnose.run(eval=p["intents_eval"], train=p["intents_train"],
                              annotations=p["intents_annotations"], config=FAST)
    return result.save(tmp_path_factory.mktemp("dash") / "intents", reports=False)


@pytest.fixture(scope="session")
def rag_dir(tmp_path_factory) -> Path:
    """The bundled RAG scenario (eval, contexts), diagnosed and saved once."""
    p = sample_paths()
    result = diagnose.run(eval=p["rag_eval"], contexts=p["rag_contexts"], config=FAST)
    return result.save(tmp_path_factory.mktemp("dash") / "rag", reports=False)


@pytest.fixture(scope="session")
def unlabelled_dir(tmp_path_factory) -> Path:
    """Eval rows with text only (no label, no prediction) plus the intents training rows; no annotations."""
    import polars as pl

    p = sample_paths()
    folder = tmp_path_factory.mktemp("dash") / "unlabelled"
    folder.mkdir()
    eval_path = folder.parent / "unlabelled_eval.csv"
    pl.read_csv(p["intents_eval"]).select("id", "text").head(80).write_csv(eval_path)
    result = diagnose.run(eval=eval_path, train=p["intents_train"], config=FAST)
    return result.save(folder / "result", reports=False)


@pytest.fixture(scope="session")
def intents(intents_dir) -> diagnose.Result:
    return diagnose.load(intents_dir)


@pytest.fixture(scope="session")
def rag(rag_dir) -> diagnose.Result:
    return diagnose.load(rag_dir)


def switch_page(at: AppTest, page: str) -> AppTest:
    """Switch ``at`` (after its first run) to ``page``: a file in ``views/`` or a cause's page by its url path.

    ``AppTest.switch_page`` only finds pages that are files; a cause's page is a function, which
    Streamlit registers under the hash of its url path, so that hash is requested directly.
    """
    if (APP.parent / "views" / f"{page}.py").is_file():
        return at.switch_page(f"views/{page}.py")
    known = {info.get("url_pathname") for info in at._registered_pages.values()}
    assert page in known, f"no page {page!r} in the navigation; found {sorted(map(str, known))}"
    at._page_hash = calc_hash(page)
    return at


@pytest.fixture()
def open_page() -> Callable[..., AppTest]:
    """Run the app on ``result_dir`` (None: the start page) and switch to ``page`` (e.g. "overview")."""
    def run(result_dir: Path | None, page: str | None = None) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
        at.session_state["result_dir"] = None if result_dir is None else str(result_dir)
        at.run()
        if page:
            switch_page(at, page).run()
        assert not at.exception, [e.value for e in at.exception]
        return at
    return run


def metric(at: AppTest, label: str) -> str:
    """The shown value of the metric labelled ``label``."""
    values = [m.value for m in at.metric if m.label == label]
    assert values, f"no metric {label!r}; found {[m.label for m in at.metric]}"
    return values[0]


def table_with(at: AppTest, *columns: str) -> pd.DataFrame:
    """The first table on the page that has all ``columns``."""
    for frame in at.dataframe:
        if set(columns) <= set(frame.value.columns):
            return frame.value
    raise AssertionError(f"no table with columns {columns}; found {[list(f.value.columns) for f in at.dataframe]}")


@pytest.fixture(scope="session")
def dash_data():
    """The dashboard's data module, imported the way app.py imports it."""
    if str(APP.parent) not in sys.path:
        sys.path.insert(0, str(APP.parent))
    return importlib.import_module("dash_data")


@pytest.fixture()
def helpers():
    """``metric`` and ``table_with`` for the page tests (test modules cannot import each other)."""
    return type("Helpers", (), {"metric": staticmethod(metric), "table_with": staticmethod(table_with),
                                "switch_page": staticmethod(switch_page)})
