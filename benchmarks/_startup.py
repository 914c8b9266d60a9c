"""Fixed costs of ``diagnose run`` for ``benchmarks/small_scale.py``: start-up, imports, garbage collection, shutdown.

* :func:`child_env`: the environment of a timed ``diagnose`` subprocess (one BLAS thread, no cache,
  bytecode kept in a cache folder of its own, as after ``pip install``);
* :func:`cold_start`: wall seconds of ``diagnose --help`` and of a missing input file's error;
* :func:`anatomy`: one run through ``benchmarks/_cli_anatomy.py``: interpreter start, ``main``,
  stages, writing, garbage collection and shutdown;
* :func:`import_costs`: ``python -X importtime`` of one run, self time summed per top-level package;
* :func:`same_results`: whether two output folders hold the same results (every Parquet file byte
  for byte, and ``summary.json`` without its timings, memory and versions).
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: summary.json keys that describe the run, not its result
RUN_KEYS = ("timings_seconds", "peak_rss_gib_after_stage", "versions")


def child_env(tree: Path, work: Path) -> dict[str, str]:
    """``diagnose`` from ``tree`` with its bytecode compiled once and kept under ``work`` (as an installed package has it)."""
    env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1", "PYTHONPYCACHEPREFIX": str(work / "pycache" / tree.name)}
    env.pop("DIAGNOSE_CACHE", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def precompile(python: str, tree: Path, env: dict[str, str]) -> None:
    subprocess.run([python, "-m", "compileall", "-q", str(tree / "diagnose")], env=env, check=True,
                   stdout=subprocess.DEVNULL)


def run_args(paths: dict[str, Path], out: Path) -> list[str]:
    return ["run", "--eval", str(paths["eval"]), "--train", str(paths["train"]), "--annotations", str(paths["annotations"]),
            "--contexts", str(paths["contexts"]), "--out", str(out), "--force", "--quiet"]


def _wall(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, int]:
    start = time.perf_counter()
    status = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    return time.perf_counter() - start, status


def cold_start(python: str, tree: Path, env: dict[str, str], kind: str, result: Path | None = None) -> float:
    """Wall seconds of ``diagnose --help`` (``kind="help"``), of ``diagnose run`` on a missing file (``"missing"``)
    or of ``diagnose report RESULT --format md`` (``"report"``)."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd, expect = {"help": (["--help"], 0), "missing": (["run", "--eval", f"{tmp}/missing.csv", "--out", f"{tmp}/out"], 2),
                       "report": (["report", str(result), "--format", "md", "--out", f"{tmp}/report.md"], 0)}[kind]
        wall, status = _wall([python, "-m", "diagnose.cli", *cmd], env, tree)
    assert status == expect, f"diagnose {' '.join(cmd)} gave exit status {status} in {tree} (expected {expect})"
    return wall


def anatomy(python: str, tree: Path, env: dict[str, str], paths: dict[str, Path], out: Path) -> dict:
    """One run of ``diagnose run`` split into start-up, main (stages, writing, the rest), garbage collection, shutdown."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "anatomy.json"
        spawned = time.time()
        proc = subprocess.Popen([python, str(HERE / "_cli_anatomy.py"), str(report), *run_args(paths, out)], env=env,
                                cwd=tree, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        done = time.time()
        if status != 0:
            return {"status": status, "error": proc.stderr.read().decode(errors="replace")[-2000:]}
        got = json.loads(report.read_text())
    stages = sum(json.loads((out / "summary.json").read_text())["timings_seconds"].values())
    main = got["main_end"] - got["main_start"]
    return {"status": 0, "wall_s": done - spawned, "cpu_s": usage.ru_utime + usage.ru_stime,
            "startup_s": got["main_start"] - spawned, "main_s": main, "stages_s": stages, "save_s": got["save_s"],
            "rest_s": main - stages - got["save_s"], "gc_s": got["gc_s"], "gc_full_passes": got["gc_passes"][2],
            "shutdown_s": done - got["main_end"]}


def import_costs(python: str, tree: Path, env: dict[str, str], paths: dict[str, Path], out: Path) -> dict[str, float]:
    """Seconds of import (self time, ``-X importtime``) per top-level package during one run, largest first."""
    proc = subprocess.run([python, "-X", "importtime", "-m", "diagnose.cli", *run_args(paths, out)], env=env, cwd=tree,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    per: dict[str, float] = defaultdict(float)
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "self [us]" not in line:
            own, _, name = line[len("import time:"):].split("|")
            per[name.strip().split(".")[0]] += int(own) / 1e6
    return dict(sorted(per.items(), key=lambda kv: -kv[1]))


def _summary(folder: Path) -> dict:
    summary = json.loads((folder / "summary.json").read_text())
    return {k: v for k, v in summary.items() if k not in RUN_KEYS}


def same_results(a: Path, b: Path) -> list[str]:
    """What differs between two ``diagnose`` output folders (empty: the same results)."""
    names = sorted({p.name for p in a.glob("*.parquet")} | {p.name for p in b.glob("*.parquet")})
    differ = [n for n in names if not (a / n).exists() or not (b / n).exists()
              or (a / n).read_bytes() != (b / n).read_bytes()]
    if _summary(a) != _summary(b):
        differ.append("summary.json (besides timings, memory and versions)")
    return differ


def _med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def startup_lines(results: dict) -> list[str]:
    """Markdown: same results, cold starts, where a small run's time goes, imports per package."""
    names = list(results["cold"])
    lines = ["## Same results", ""]
    for n, differ in results["same"].items():
        for name, what in differ.items():
            verdict = "identical (every Parquet file byte for byte; summary.json equal besides timings, memory and " \
                      "versions)" if not what else f"DIFFERENT: {', '.join(what)}"
            lines.append(f"* {int(n):,} training rows, {name} vs {names[0]}: {verdict}")
    lines += ["", "## Cold start (s, wall, median / worst of "
              f"{len(next(iter(results['cold'].values()))['help'])})", "",
              "| | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for kind, label in (("help", "`diagnose --help`"), ("missing", "`diagnose run` on a missing file (exit 2)"),
                        ("report", f"`diagnose report DIR --format md` (a {min(int(n) for n in results['sizes']):,}-row result)")):
        lines.append(f"| {label} | " + " | ".join(
            f"{_med(results['cold'][k][kind]):.2f} / {max(results['cold'][k][kind]):.2f}" if kind in results["cold"][k]
            else "—" for k in names) + " |")
    phases = [("wall_s", "wall, spawn to exit"), ("cpu_s", "CPU seconds"), ("startup_s", "interpreter start and `import diagnose.cli`"),
              ("rest_s", "in `main`, besides stages and writing: imports, input checks"), ("stages_s", "stages (sum, `summary.json`)"),
              ("save_s", "writing the output folder"), ("shutdown_s", "interpreter shutdown"),
              ("gc_s", "of these, cyclic garbage collection in `main`"), ("gc_full_passes", "full collections in `main`")]
    some = next(iter(results["anatomy"].values()), [])
    lines += ["", f"## Where a {min(int(n) for n in results['sizes']):,}-row run's time goes (s, median of {len(some)} runs "
              "through `benchmarks/_cli_anatomy.py`)", "", "| phase | " + " | ".join(results["anatomy"]) + " |",
              "|---|" + "---:|" * len(results["anatomy"])]
    for key, label in phases:
        lines.append(f"| {label} | " + " | ".join(
            f"{_med([r[key] for r in runs if r.get('status') == 0]):.2f}" for runs in results["anatomy"].values()) + " |")
    top = [k for k in dict.fromkeys(p for costs in results["imports"].values() for p in list(costs)[:8])]
    lines += ["", "## Imports during one run (s, self time per top-level package, `python -X importtime`, one run; "
              "the tool's own overhead inflates them)", "", "| package | " + " | ".join(results["imports"]) + " |",
              "|---|" + "---:|" * len(results["imports"])]
    for pkg in top:
        lines.append(f"| {pkg} | " + " | ".join(f"{c.get(pkg, 0.0):.2f}" for c in results["imports"].values()) + " |")
    lines.append("| *all* | " + " | ".join(f"{sum(c.values()):.2f}" for c in results["imports"].values()) + " |")
    return lines + [""]
