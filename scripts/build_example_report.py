"""Regenerate the committed example reports in ``docs/example-report/``.

Runs the whole pipeline on the bundled sample data (the same as ``diagnose
demo``) and writes ``intents.html``, ``intents.md``, ``rag.html`` and
``rag.md``; with a system Chromium and Playwright it also refreshes
``report-first-screen.png``. Usage: ``python scripts/build_example_report.py [--seed 0]``.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import diagnose
from diagnose.sample import sample_paths

OUT = Path(__file__).resolve().parent.parent / "docs" / "example-report"


def build(out: Path = OUT, *, seed: int = 0) -> list[Path]:
    """Run both demo scenarios and write their HTML and Markdown reports to ``out``."""
    paths = sample_paths()
    scenarios = {
        "intents": dict(eval=paths["intents_eval"], train=paths["intents_train"], annotations=paths["intents_annotations"]),
        "rag": dict(eval=paths["rag_eval"], contexts=paths["rag_contexts"]),
    }
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, inputs in scenarios.items():
        result = diagnose.run(**inputs, seed=seed, config=diagnose.RunConfig(progress=False))
        for suffix, text in (("html", result.to_html()), ("md", result.to_markdown())):
            path = out / f"{name}.{suffix}"
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for path in build(seed=args.seed):
        print(path)
    try:
        from screenshot_report import screenshot

        print(screenshot(OUT / "intents.html", OUT / "report-first-screen.png"))
    except (ImportError, OSError) as exc:  # no Playwright or no Chromium: the reports are still written
        print(f"screenshot skipped: {exc}")


if __name__ == "__main__":
    main()
