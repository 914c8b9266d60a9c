"""Measure the size of the reports of a synthetic 100,000-row result.

Builds the result in memory (no pipeline run; the same builder as
``tests/test_report.py``), renders HTML, Markdown and JSON, and writes the
sizes and render times to ``benchmarks/results/report_size.md``.
Usage: ``python benchmarks/report_size.py [--rows 100000]``.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import time
from pathlib import Path

from diagnose.report import build_document, render_html, render_markdown

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "results" / "report_size.md"


def _builder():
    spec = importlib.util.spec_from_file_location("report_tests", ROOT / "tests" / "test_report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.synthetic_result


def measure(rows: int) -> list[tuple[str, int, float]]:
    """(format, bytes, seconds) for each report format of a ``rows``-row result."""
    result = _builder()(rows, texts=["a long customer message " * 40] * rows)
    start = time.perf_counter()
    doc = build_document(result)
    built = time.perf_counter() - start
    out = [("json", len(json.dumps(doc, ensure_ascii=False).encode("utf-8")), built)]
    for name, render in (("html", render_html), ("md", render_markdown)):
        start = time.perf_counter()
        text = render(doc)
        out.append((name, len(text.encode("utf-8")), built + time.perf_counter() - start))
    return out


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    lines = [f"# Report size for a {args.rows:,}-row result", "",
             "Synthetic result built in memory (`benchmarks/report_size.py`): every eval text is 960 characters, "
             "30% of rows are errors, all side tables present. Limit: 5 MB per file.", "",
             "| format | bytes | MB | seconds (document + render) |", "|---|---:|---:|---:|"]
    lines += [f"| {name} | {size:,} | {size / 1e6:.3f} | {secs:.2f} |" for name, size, secs in measure(args.rows)]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(OUT.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
