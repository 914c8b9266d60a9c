"""Refresh the committed dashboard screenshots in ``docs/dashboard/`` on purpose.

Usage: ``python scripts/refresh_dashboard_screenshots.py [--result DIR]``.

Runs the real-browser test (``tests/test_dashboard_browser.py``) with its screenshots sent to
``docs/dashboard/`` instead of a temporary folder; the test suite itself never writes there.
``--result DIR`` shows an existing result (a folder holding ``intents/`` and ``rag/``, as
``diagnose demo`` writes) instead of diagnosing the bundled sample. Needs Playwright for Python
and a system Chromium at /usr/bin/chromium; it never downloads a browser.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    """Command-line entry point; returns pytest's exit code."""
    import pytest

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--result", type=Path, help="an existing result folder with intents/ and rag/")
    args = parser.parse_args()
    os.environ["DIAGNOSE_DASHBOARD_SHOTS"] = str(ROOT / "docs" / "dashboard")
    if args.result:
        os.environ["DIAGNOSE_DASHBOARD_RESULT"] = str(args.result.resolve())
    return pytest.main([str(ROOT / "tests" / "test_dashboard_browser.py"), "-q", "-p", "no:xdist",
                        "-p", "no:cacheprovider"])


if __name__ == "__main__":
    sys.exit(main())
