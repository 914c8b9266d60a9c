"""Screenshot an HTML report in headless Chromium with the network cut off.

Usage: ``python scripts/screenshot_report.py REPORT.html OUT.png [--width 1280] [--full]``.
Needs Playwright for Python and a system Chromium at /usr/bin/chromium; it
never downloads a browser.
"""
from __future__ import annotations

import argparse
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def screenshot(report: Path, out: Path, *, width: int = 1280, height: int = 900, full_page: bool = False) -> dict[str, list[str]]:
    """Open ``report``, save a screenshot to ``out``; return blocked requests and console errors."""
    from playwright.sync_api import sync_playwright

    seen: dict[str, list[str]] = {"blocked": [], "failed": [], "console_errors": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        page.route("**/*", lambda route: _route(route, seen))
        page.on("requestfailed", lambda req: seen["failed"].append(req.url))
        page.on("console", lambda msg: seen["console_errors"].append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: seen["console_errors"].append(str(exc)))
        page.goto(report.resolve().as_uri(), wait_until="load")
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out), full_page=full_page)
        browser.close()
    return seen


def _route(route, seen: dict[str, list[str]]) -> None:
    url = route.request.url
    if url.startswith("file:") or url.startswith("data:"):
        route.continue_()
    else:
        seen["blocked"].append(url)
        route.abort()


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--full", action="store_true", help="the whole page, not just the first screen")
    args = parser.parse_args()
    print(screenshot(args.report, args.out, width=args.width, height=args.height, full_page=args.full))


if __name__ == "__main__":
    main()
