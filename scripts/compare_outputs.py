"""Check that a code change left the diagnosis unchanged.

Runs ``diagnose run`` on the bundled sample data with two checkouts (a
reference commit, usually the one before the change, and the working tree) and
compares ``examples.parquet``, ``report.md``, ``report.html`` and ``summary.json`` minus what legitimately
differs between runs (timings, peak memory, versions, input paths).

Usage::

    git worktree add /tmp/wt-ref <commit>
    python scripts/compare_outputs.py --ref /tmp/wt-ref [--new .]

Exits 0 when both outputs are equal, 1 otherwise (and prints the first differences).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

VOLATILE = {"timings_seconds", "peak_rss_gib_after_stage", "versions", "inputs"}
SCENARIOS = {
    "intents": ["--eval", "intents_eval.csv", "--train", "intents_train.csv", "--annotations", "intents_annotations.csv"],
    "rag": ["--eval", "rag_eval.csv", "--contexts", "rag_contexts.csv"],
}


def run(checkout: Path, args: list[str], out: Path) -> None:
    """``diagnose run`` with the package of ``checkout`` first on the path."""
    data = checkout / "sample_data"
    files = [str(data / a) if a.endswith(".csv") else a for a in args]
    env = {**os.environ, "PYTHONPATH": f"{checkout}{os.pathsep}{checkout / 'dashboard'}", "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "diagnose.cli", "run", *files, "--out", str(out), "--quiet", "--seed", "0"]
    subprocess.run(cmd, check=True, env=env, cwd=checkout)


def stable_summary(folder: Path) -> dict:
    summary = json.loads((folder / "summary.json").read_text())
    return {k: v for k, v in summary.items() if k not in VOLATILE}


def compare(ref: Path, new: Path) -> list[str]:
    problems = []
    try:
        assert_frame_equal(pl.read_parquet(ref / "examples.parquet"), pl.read_parquet(new / "examples.parquet"))
    except AssertionError as exc:
        problems.append(f"examples.parquet differs: {str(exc)[:500]}")
    for name in ("report.md", "report.html"):
        if (ref / name).read_text(encoding="utf-8") != (new / name).read_text(encoding="utf-8"):
            problems.append(f"{name} differs")
    a, b = stable_summary(ref), stable_summary(new)
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            problems.append(f"summary[{key!r}] differs: {json.dumps(a.get(key))[:300]} != {json.dumps(b.get(key))[:300]}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", type=Path, required=True, help="checkout of the reference commit")
    parser.add_argument("--new", type=Path, default=Path(__file__).resolve().parents[1], help="checkout to test")
    args = parser.parse_args()
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        for name, inputs in SCENARIOS.items():
            ref_out, new_out = Path(tmp, f"ref-{name}"), Path(tmp, f"new-{name}")
            run(args.ref.resolve(), inputs, ref_out)
            run(args.new.resolve(), inputs, new_out)
            problems = compare(ref_out, new_out)
            print(f"{name}: {'identical' if not problems else 'DIFFERENT'}")
            for line in problems:
                print("  " + line)
            failed |= bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
