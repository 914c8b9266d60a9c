"""Real-browser smoke test of the dashboard: every page loads without a Streamlit exception.

Needs Debian's ``chromium`` (``apt-get install -y chromium``) and Playwright for Python;
it never downloads a browser. Screenshots of each page are saved under ``docs/dashboard/``.
Set ``DIAGNOSE_DASHBOARD_RESULT=DIR`` to show an existing result instead of diagnosing the sample.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "dashboard" / "app.py"
SHOTS = ROOT / "docs" / "dashboard"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
PAGES = {"overview": ("", "Overview"), "coverage": ("coverage", "Coverage"), "labels": ("labels", "Labels"),
         "annotators": ("annotators", "Annotators"), "context": ("context", "Context"),
         "explorer": ("explorer", "Error explorer")}

if not CHROMIUM.exists():
    pytest.skip("needs Debian chromium at /usr/bin/chromium: apt-get install -y chromium", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="needs Playwright for Python: pip install playwright")
pytest.importorskip("streamlit", reason="needs streamlit: pip install 'diagnose[dashboard]'")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _result_dir(tmp: Path, scenario: str) -> Path:
    """An existing result (DIAGNOSE_DASHBOARD_RESULT/<scenario> or the variable itself) or a fresh one."""
    import diagnose
    from diagnose.sample import sample_paths

    given = os.environ.get("DIAGNOSE_DASHBOARD_RESULT")
    if given:
        return Path(given) / scenario if (Path(given) / scenario).is_dir() else Path(given)
    p = sample_paths()
    files = ({"eval": p["intents_eval"], "train": p["intents_train"], "annotations": p["intents_annotations"]}
             if scenario == "intents" else {"eval": p["rag_eval"], "contexts": p["rag_contexts"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = diagnose.run(**files, config=diagnose.RunConfig(progress=False, cv_folds=2, embed_dim=64))
    return result.save(tmp / scenario, reports=False)


def _serve(result_dir: Path):
    port = _free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--", "--result", str(result_dir)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                return proc, url
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    pytest.fail(f"streamlit did not start on {url} within 60 s")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield chromium
        chromium.close()


def _visit(page, url: str, title: str, shot: Path) -> None:
    page.goto(url)
    page.get_by_role("heading", name=title, exact=True).first.wait_for(timeout=90_000)
    page.wait_for_load_state("networkidle")
    page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=90_000)
    page.wait_for_timeout(1500)  # let charts draw
    assert page.locator('[data-testid="stException"]').count() == 0, f"{title}: Streamlit exception shown"
    _screenshot(page, shot)


def _screenshot(page, shot: Path) -> None:
    """The whole page: Streamlit scrolls inside its main block, so grow the viewport to fit it."""
    height = page.evaluate("(document.querySelector('[data-testid=\"stMain\"]') || document.body).scrollHeight")
    page.set_viewport_size({"width": 1400, "height": min(max(int(height), 1000), 6000)})
    page.wait_for_timeout(800)
    page.screenshot(path=str(shot))
    page.set_viewport_size({"width": 1400, "height": 1000})


@pytest.mark.parametrize("scenario", ["intents", "rag"])
def test_every_page_loads_in_a_real_browser(browser, tmp_path, scenario):
    proc, url = _serve(_result_dir(tmp_path, scenario))
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        for name, (path, title) in PAGES.items():
            suffix = "" if scenario == "intents" else f"-{scenario}"
            _visit(page, f"{url}/{path}", title, SHOTS / f"{name}{suffix}.png")
        if scenario == "intents":
            page.get_by_role("button", name="Open another result").click()
            page.get_by_role("heading", name="diagnose", exact=True).wait_for(timeout=30_000)
            page.wait_for_timeout(1000)
            assert page.locator('[data-testid="stException"]').count() == 0
            _screenshot(page, SHOTS / "start.png")
        page.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
