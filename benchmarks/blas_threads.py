"""BLAS threads during a run: ``RunConfig(blas_threads=1)`` (the default) against the libraries' default.

Times ``diagnose.run`` on the bundled sample (intents: 1,500 training rows,
600 eval rows, annotations) in fresh processes, alternating the two settings,
``--runs`` times each, with no thread variables in the environment, and
writes ``benchmarks/results/blas_threads.md`` (median and range of wall time).

Usage: ``python -m benchmarks.blas_threads [--runs 3]``
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "results" / "blas_threads.md"
SNIPPET = ("import sys, diagnose; from diagnose.sample import sample_paths; p = sample_paths(); "
           "t = None if sys.argv[1] == 'none' else int(sys.argv[1]); "
           "diagnose.run(p['intents_eval'], p['intents_train'], p['intents_annotations'], "
           "config=diagnose.RunConfig(blas_threads=t))")


def _time(setting: str) -> float:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", SNIPPET, setting], check=True, env=env, capture_output=True)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.blas_threads", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    times: dict[str, list[float]] = {"1": [], "none": []}
    _time("1")  # warm the file cache once
    for _ in range(args.runs):
        for setting in times:
            times[setting].append(_time(setting))
    one, default = (statistics.median(times[k]) for k in ("1", "none"))
    rows = [f"| {label} | {statistics.median(v):.2f} | {min(v):.2f} – {max(v):.2f} |"
            for label, v in (("blas_threads=1 (default)", times["1"]), ("blas_threads=None (libraries' default)", times["none"]))]
    text = "\n".join([
        "## BLAS threads during a run (`python -m benchmarks.blas_threads`)", "",
        f"`diagnose.run` on the bundled intents sample, {args.runs} runs each in fresh processes, alternating, "
        f"on {os.cpu_count()} cores, no thread variables set. Wall seconds:", "",
        "| setting | median | range |", "|---|---:|---:|", *rows, "",
        f"One BLAS thread takes {one / default:.2f}x the wall time of the libraries' default: many small "
        "solver calls spend more on thread hand-offs than they gain. Larger runs were not timed here "
        "(`benchmarks/scale.py` already pins one thread per process).", ""])
    OUT.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
