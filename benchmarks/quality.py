"""The quality suite: every detection measurement in one command.

Run from the repository root::

    python -m benchmarks.quality            # two sections at a time (2 cores)

Progress goes to stderr; ``benchmarks/RESULTS.md`` is rewritten after every
section (so a partial run still leaves a readable file) with the command,
the machine, the time taken, one section per measurement (our number, the
baseline measured in the same run, the published number where one exists,
the target), the sections of ``context_ramdocs.run()`` and
``annotators_rte.run()``, and any ``benchmarks/results/*.md`` written by
other benchmarks. A section that fails shows its error text instead.
"""
from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import platform
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
#: last text of every section, so ``--only`` can refresh one and keep the rest
CACHE = HERE / "results" / "quality_sections.json"
COMMAND = "python -m benchmarks.quality"
SECTIONS = (
    ("noisy_label: eval gold labels", "benchmarks.label_errors_eval"),
    ("coverage_gap: CLINC150", "benchmarks.coverage_clinc"),
    ("noisy_label: training labels", "benchmarks.label_noise_train"),
    ("attribution: planted scenarios", "benchmarks.attribution"),
    ("contradictory_context: RAMDocs", "benchmarks.context_ramdocs"),
    ("annotator_inconsistency: RTE", "benchmarks.annotators_rte"),
    ("scenario families (issue 14)", "benchmarks.family_summary"),
)
#: rough relative cost, to schedule the slowest first
SLOW = {"benchmarks.label_noise_train": 4, "benchmarks.attribution": 3, "benchmarks.coverage_clinc": 2}
#: result files already produced by a section above (not appended twice)
COVERED = {"context_ramdocs.md", "annotators_rte.md"}
#: summarised by benchmarks.family_summary and disagreement_summary.md; per-draw tables stay in their files
COVERED_PREFIXES = ("family_", "disagreement_")
SUMMARIES = {"disagreement_summary.md"}  # appended although its prefix is covered
log = logging.getLogger("benchmarks")


def machine() -> str:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        load = "n/a"
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), "
            f"Python {platform.python_version()}; load average at start {load} (the CPU is shared)")


def run_section(title: str, module: str) -> tuple[str, float]:
    start = time.perf_counter()
    log.info("section %s (%s)", title, module)
    try:
        text = importlib.import_module(module).run()
    except Exception as exc:  # a failing benchmark is reported, not fatal
        text = (f"## {title}\n\n**Failed**: `{module}.run()` raised `{type(exc).__name__}: {exc}`\n\n"
                f"```\n{traceback.format_exc(limit=6)}```\n")
        log.error("section %s failed: %s", title, exc)
    seconds = time.perf_counter() - start
    log.info("section %s done in %.0f s", title, seconds)
    return text, seconds


def _worker(title: str, module: str) -> tuple[str, float]:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    sys.path.insert(0, str(HERE.parent))
    return run_section(title, module)


def write(parts: list[tuple[str, str, float]], started: float, header: str, done: bool) -> None:
    parts = sorted(parts, key=lambda p: [t for t, _ in SECTIONS].index(p[0]))
    total = time.perf_counter() - started
    status = "complete" if done else f"partial ({len(parts)}/{len(SECTIONS)} sections so far)"
    timing = "\n".join(f"| {t} | {s:.0f} |" for t, _, s in parts)
    body = [f"# Detection quality: results\n\nCommand: `{COMMAND}` (from the repository root)\n",
            header, f"Total time: {total / 60:.1f} min ({status}).\n",
            "| section | seconds |\n|---|---:|\n" + timing + "\n"]
    body += [text for _, text, _ in parts]
    if done:
        extra = sorted(p for p in (HERE / "results").glob("*.md")
                       if p.name in SUMMARIES or (p.name not in COVERED and not p.name.startswith(COVERED_PREFIXES)))
        for path in extra:
            body.append(f"<!-- appended from benchmarks/results/{path.name} -->\n" + path.read_text())
    RESULTS.write_text("\n".join(body))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="sections run in parallel (default 2, one per core)")
    parser.add_argument("--only", nargs="*", default=None,
                        help="module names (e.g. benchmarks.attribution) to re-run; the others are taken from the last run")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    sys.path.insert(0, str(HERE.parent))
    started = time.perf_counter()
    header = (f"Machine: {machine()}.\n\nStarted: {time.strftime('%Y-%m-%d %H:%M %Z')}; sections ran {args.jobs} at a "
              "time in separate processes, so per-section seconds are wall-clock on a shared CPU.\n")
    if args.only:
        header += (f"This invocation re-ran only {', '.join(args.only)}; the other sections come from the cached "
                   "run noted under each, and the total time below covers the re-run only.\n")
    cache = json.loads(CACHE.read_text()) if CACHE.exists() else {}
    parts: list[tuple[str, str, float]] = []
    todo = SECTIONS
    if args.only:
        todo = tuple(s for s in SECTIONS if s[1] in args.only)
        for title, module in SECTIONS:
            if module not in args.only and module in cache:
                c = cache[module]
                parts.append((title, c["text"] + f"\n_(from the run of {c['when']})_\n", c["seconds"]))
    # slowest sections first so the two workers finish together
    order = sorted(todo, key=lambda s: -SLOW.get(s[1], 0))
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {pool.submit(_worker, title, module): title for title, module in order}
        for future in as_completed(futures):
            text, seconds = future.result()
            parts.append((futures[future], text, seconds))
            module = dict(SECTIONS)[futures[future]]
            cache[module] = {"text": text, "seconds": seconds, "when": time.strftime("%Y-%m-%d %H:%M")}
            CACHE.parent.mkdir(exist_ok=True)
            CACHE.write_text(json.dumps(cache, indent=1))
            write(parts, started, header, done=False)
    write(parts, started, header, done=True)
    log.info("wrote %s in %.1f min", RESULTS, (time.perf_counter() - started) / 60)


if __name__ == "__main__":
    main()
