"""Open the HTML report in a real headless Chromium with the network cut off.

Needs Playwright for Python and Debian's ``chromium`` at /usr/bin/chromium;
never downloads a browser. Skipped (with the reason) when either is missing.
"""
from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest

import diagnose
from diagnose.sample import sample_paths

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "example-report"
ATTACK = "<img src=http://127.0.0.1:9/x.png onerror=\"console.error('xss')\"><script>console.error('xss')</script>"

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
playwright = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed (pip install playwright)")


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    """report.html of the RAG sample data, plus one row and one passage that attack the page."""
    paths = sample_paths()
    ev = pl.read_csv(paths["rag_eval"], infer_schema_length=0)
    ctx = pl.read_csv(paths["rag_contexts"], infer_schema_length=0)
    ev = pl.concat([ev, pl.DataFrame({"id": [ATTACK], "text": [ATTACK], "label": ["1856"], "prediction": [ATTACK]}).select(ev.columns)])
    ctx = pl.concat([ctx, pl.DataFrame({"id": [ATTACK, ATTACK], "passage_id": ["a", ATTACK],
                                        "passage": [f"It was built in 1856. {ATTACK}", "It was built in 1900."]}).select(ctx.columns)])
    result = diagnose.run(ev, contexts=ctx, config=diagnose.RunConfig(progress=False))
    return result.save(tmp_path_factory.mktemp("browser") / "rag") / "report.html"


def _open(path: Path, out: Path | None = None, *, width: int = 1280, height: int = 900) -> dict:
    seen: dict = {"requests": [], "failed": [], "console": [], "dialogs": []}

    def route(r):
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            seen["requests"].append(r.request.url)
            r.abort()

    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        page.route("**/*", route)
        page.on("requestfailed", lambda req: seen["failed"].append(req.url))
        page.on("console", lambda msg: seen["console"].append(f"{msg.type}: {msg.text}") if msg.type in ("error", "warning") else None)
        page.on("pageerror", lambda exc: seen["console"].append(str(exc)))
        page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
        page.goto(path.resolve().as_uri(), wait_until="load")
        seen["dom"] = page.evaluate("""() => ({scripts: document.scripts.length, images: document.images.length,
            sections: [...document.querySelectorAll('section[id]')].map(s => s.id), svgs: document.querySelectorAll('svg').length,
            overflow: document.documentElement.scrollWidth - window.innerWidth})""")
        if out is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out))
        browser.close()
    return seen


def test_report_opens_offline_without_errors(report):
    seen = _open(report)
    assert seen["requests"] == [] and seen["failed"] == []
    assert seen["console"] == [] and seen["dialogs"] == []
    assert seen["dom"]["scripts"] == 0 and seen["dom"]["images"] == 0
    assert seen["dom"]["sections"][0] == "verdict" and "method" in seen["dom"]["sections"]
    assert seen["dom"]["svgs"] >= 1


def test_report_fits_a_phone_screen(report):
    seen = _open(report, width=390, height=844)
    assert seen["dom"]["overflow"] <= 0 and seen["console"] == []


def test_first_screen_screenshot(report, tmp_path):
    """Screenshot the committed intents example (or this run's report); the committed picture is refreshed on
    purpose by ``python scripts/build_example_report.py``, never by the tests."""
    source = EXAMPLES / "intents.html" if (EXAMPLES / "intents.html").exists() else report
    out = tmp_path / "report-first-screen.png"
    seen = _open(source, out)
    assert out.stat().st_size > 10_000
    assert seen["requests"] == [] and seen["console"] == []
