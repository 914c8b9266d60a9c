"""Cause pages come from the registry: a toy cause registered with a page gets one in the navigation."""
from __future__ import annotations

import pytest

from diagnose.core import CAUSES, Analyzer, Cause, Page, register, registered, unregister


class ToyLeak(Analyzer):
    name = "toy_leak"
    description = "The eval text leaked from somewhere odd. Fix: remove the leaked rows."


def toy_page(st, ui, dd, result, key) -> None:
    st.title("Toy leak")
    st.metric("Errors explained", f"{dd.explained_by(result, ToyLeak.name):,}", border=True)
    ui.require_ran(result, ToyLeak.name)


@pytest.fixture()
def toy_cause():
    cause = register(Cause(ToyLeak, page=Page(toy_page, title="Toy leak", url_path="toy_leak",
                                              icon=":material/water_drop:")))
    yield cause
    unregister(ToyLeak.name)


def navigation(at) -> list[str]:
    """The url paths of the pages the app registered with ``st.navigation``, in order."""
    return [info.get("url_pathname") for info in at._registered_pages.values()]


def test_every_cause_page_is_in_the_navigation_in_registry_order(open_page, intents_dir):
    pages = navigation(open_page(intents_dir))
    expected = [c.page.url_path for c in registered() if c.page]
    assert [p for p in pages if p in expected] == expected and len(expected) == 4
    assert "toy_leak" not in pages


def test_a_registered_cause_with_a_page_appears_in_the_navigation(toy_cause, open_page, intents_dir):
    at = open_page(intents_dir)
    pages = navigation(at)
    assert pages.index("toy_leak") == len(pages) - 2  # after the built-in causes, before the explorer
    at = open_page(intents_dir, "toy_leak")
    assert at.title[0].value == "Toy leak"
    assert [m.value for m in at.metric if m.label == "Errors explained"] == ["0"]
    assert [i.value for i in at.info] == ["Nothing to show here: the toy_leak analyzer is not part of this result."]


def test_a_cause_without_a_page_gets_none(open_page, intents_dir):
    register(Cause(ToyLeak))
    try:
        assert "toy_leak" in CAUSES
        assert "toy_leak" not in navigation(open_page(intents_dir))
    finally:
        unregister(ToyLeak.name)
