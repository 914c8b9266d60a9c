"""Real-browser smoke test of the dashboard, started by ``diagnose dashboard`` as a user would.

Every page loads without a Streamlit exception, the page asks no host but the dashboard's own for
anything (the network is cut off and every request is recorded), and there is no Deploy button.
Needs Debian's ``chromium`` (``apt-get install -y chromium``) and Playwright for Python;
it never downloads a browser. Screenshots of each page go to a temporary folder, or to
``DIAGNOSE_DASHBOARD_SHOTS=DIR`` (``scripts/refresh_dashboard_screenshots.py`` sets it to
``docs/dashboard/``). Set ``DIAGNOSE_DASHBOARD_RESULT=DIR`` to show an existing result instead of
diagnosing the sample.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import warnings
from pathlib import Path

import pytest

DIAGNOSE = [sys.executable, "-c", "import sys; from diagnose.cli import main; sys.exit(main())"]
OWN_HOSTS = {"127.0.0.1", "localhost"}
NOT_NETWORK = {"data", "blob", "about"}  # drawn in the page, never fetched
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
    """``diagnose dashboard DIR --port P``: the command a user runs, with its settings."""
    port = _free_port()
    proc = subprocess.Popen([*DIAGNOSE, "dashboard", str(result_dir), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(360):
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                return proc, url
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    proc.wait(timeout=30)
    pytest.fail(f"`diagnose dashboard` did not answer on {url} within 180 s")


def _shots(tmp_path: Path) -> Path:
    """Where screenshots go: DIAGNOSE_DASHBOARD_SHOTS (to refresh docs/dashboard on purpose) or tmp_path."""
    folder = Path(os.environ.get("DIAGNOSE_DASHBOARD_SHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _cut_off(route, outside: list[str]) -> None:
    """Let requests to the dashboard through; record and abort every other one."""
    url = urllib.parse.urlsplit(route.request.url)
    if url.scheme in NOT_NETWORK or url.hostname in OWN_HOSTS:
        route.continue_()
    else:
        outside.append(route.request.url)
        route.abort()


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
    shots, outside, requested = _shots(tmp_path), [], []
    try:
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, service_workers="block")
        context.route("**/*", lambda route: _cut_off(route, outside))
        page = context.new_page()
        page.on("request", lambda request: requested.append(request.url))
        for name, (path, title) in PAGES.items():
            suffix = "" if scenario == "intents" else f"-{scenario}"
            _visit(page, f"{url}/{path}", title, shots / f"{name}{suffix}.png")
            assert page.locator('[data-testid="stAppDeployButton"]').count() == 0, f"{title}: Deploy button shown"
            assert page.get_by_role("button", name="Deploy").count() == 0, f"{title}: Deploy button shown"
        if scenario == "intents":
            page.get_by_role("button", name="Open another result").click()
            page.get_by_role("heading", name="diagnose", exact=True).wait_for(timeout=30_000)
            page.wait_for_timeout(1000)
            assert page.locator('[data-testid="stException"]').count() == 0
            _screenshot(page, shots / "start.png")
        context.close()
    finally:
        proc.terminate()  # SIGTERM: `diagnose dashboard` stops its Streamlit server too
        proc.wait(timeout=30)
    assert requested, "no request was recorded"
    assert outside == [], f"the page asked outside hosts for {sorted(set(outside))}"
