"""Small-data timing benchmark: ``diagnose run`` at the fine-tuner's scale (issue 18, part 1).

Builds two datasets with :func:`benchmarks._scale_data.make_dataset` (perturbed
BANKING77 + CLINC150 queries, 228 classes, eval rows with a user model's
predictions and probabilities, annotations for 5% of rows, passages for 20%
of eval rows): 10k train + 1k eval, and 1k train + 200 eval (the first 1,000
training rows of the 2k dataset and its 200 eval rows). For each size and
each repeat it times, one after the other so they share the machine's load:

* ``python -m diagnose.cli run ... --quiet`` as a subprocess (all four
  analyzers, every output written), with this checkout on ``PYTHONPATH``;
* the same command on a baseline commit (``--baseline-rev``), unpacked with
  ``git archive`` into a temporary folder, so before and after are measured
  in the same run;
* the Datalab pipeline of :mod:`benchmarks.scale` (TF-IDF + SVD-256, 5-fold
  logistic regression, Datalab label / outlier / near_duplicate);
* with ``--plain-python``, this commit at the smallest size run by another
  interpreter: a virtual environment with only the README's install.

Every ``diagnose`` subprocess gets one BLAS thread and bytecode compiled
beforehand into a cache folder of its own (as after ``pip install``); each
tree runs once untimed before the timed runs (a warm file cache). At the
smallest size each repeat also runs every tree once through
``benchmarks/_cli_anatomy.py`` (start-up, stages, writing, the rest of
``main``, garbage collection, shutdown), and one ``-X importtime`` run gives
the import cost per package. Cold starts (``diagnose --help``, a missing
input file, ``diagnose report`` on a 1k-row result) are timed for every tree. The outputs of every tree are checked
against the first one's (baseline when given): every Parquet file byte for
byte and ``summary.json`` besides timings, memory and versions. The proxy
model's out-of-fold probabilities before (scikit-learn lbfgs) and after
(:class:`diagnose.probs.SoftmaxRegression`) are compared on each dataset.
Medians of ``--repeats`` runs (and the slowest run) go to
``benchmarks/results/small_scale.md`` with per-stage medians from
``summary.json``, the command, commit and load average.

Run::

    python -m benchmarks.small_scale --baseline-rev 4b53fc8 --plain-python /path/to/venv/bin/python
    python -m benchmarks.small_scale --sizes 1000 --repeats 1 --no-proxy-check   # quick

The README-install interpreter: ``python -m venv V && V/bin/pip install numpy scipy
polars pyarrow scikit-learn cleanlab krippendorff tqdm pandas threadpoolctl
streamlit`` (the versions of this environment; never the project itself, which
comes from ``PYTHONPATH``).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from benchmarks._scale_data import WORK, log, make_dataset
from benchmarks._startup import anatomy, child_env, cold_start, import_costs, precompile, run_args, same_results, startup_lines
from benchmarks.scale import _machine, run_datalab

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "results" / "small_scale.md"
EVAL_ROWS = {1000: 200, 10000: 1000}


def dataset(n_train: int) -> dict[str, Path]:
    """Paths of the ``n_train`` dataset; 1k train + 200 eval is cut from the 2k dataset."""
    n_eval = EVAL_ROWS.get(n_train, n_train // 10)
    if n_eval == n_train // 10:
        return make_dataset(n_train)
    out = WORK / f"small_{n_train}_{n_eval}"
    paths = {k: out / f"{k}.parquet" for k in ("train", "eval", "annotations", "contexts")}
    if all(p.exists() for p in paths.values()):
        return paths
    src = make_dataset(n_eval * 10)
    out.mkdir(parents=True, exist_ok=True)
    train = pl.read_parquet(src["train"]).head(n_train)
    evals = pl.read_parquet(src["eval"]).head(n_eval)
    ids = set(train["id"].to_list()) | set(evals["id"].to_list())
    frames = {"train": train, "eval": evals,
              "annotations": pl.read_parquet(src["annotations"]).filter(pl.col("id").is_in(list(ids))),
              "contexts": pl.read_parquet(src["contexts"]).filter(pl.col("id").is_in(evals["id"].to_list()))}
    for key, frame in frames.items():
        frame.write_parquet(paths[key])
    return paths


def _env(tree: Path) -> dict[str, str]:
    return child_env(tree, WORK)


def _child(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, int, str]:
    """Run ``cmd``; (wall s, CPU s of the child, exit status, end of standard error)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    return wall, usage.ru_utime + usage.ru_stime, status, proc.stderr.read().decode(errors="replace")[-2000:]


def time_diagnose(tree: Path, paths: dict[str, Path], out: Path, python: str = sys.executable) -> dict:
    cmd = [python, "-m", "diagnose.cli", *run_args(paths, out)]
    wall, cpu, status, err = _child(cmd, _env(tree), tree)
    if status != 0:
        log(f"diagnose failed in {tree}: {err}")
        return {"status": status}
    summary = json.loads((out / "summary.json").read_text())
    return {"wall_s": wall, "cpu_s": cpu, "status": 0, "stages": summary.get("timings_seconds", {}),
            "counts": summary.get("counts", {}).get("per_cause")}


def baseline_tree(rev: str, into: Path) -> Path:
    """The files of commit ``rev`` unpacked under ``into`` (no git metadata is touched)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def measure(sizes: list[int], repeats: int, trees: dict[str, tuple[str, Path]], plain_sizes: set[int]) -> dict:
    """Time every tree (``name -> (python, tree)``) at every size, interleaved with the Datalab pipeline.

    A tree whose name ends in ``README install`` runs only at ``plain_sizes``. Per size: the runs, and
    what differs between each tree's output and the first tree's (nothing, when the results are unchanged).
    """
    results: dict = {"load_start": os.getloadavg()[0], "sizes": {}, "cold": {}, "anatomy": {}, "imports": {}, "same": {}}
    for name, (python, tree) in trees.items():
        precompile(python, tree, _env(tree))
        env = _env(tree)
        results["cold"][name] = {kind: [cold_start(python, tree, env, kind) for _ in range(max(5, repeats))]
                                 for kind in ("help", "missing")}
    for n in sizes:
        paths = dataset(n)
        here = {k: v for k, v in trees.items() if n in plain_sizes or not k.endswith("README install")}
        runs: dict[str, list] = {name: [] for name in [*here, "datalab"]}
        outs = {name: WORK / f"small_out_{i}_{n}" for i, name in enumerate(here)}
        if n == min(sizes):  # one untimed run per tree, so that no tree's first run reads its modules from disk
            for name, (python, tree) in here.items():
                time_diagnose(tree, paths, outs[name], python)
        for rep in range(repeats):
            for name, (python, tree) in here.items():
                log(f"{n:,} rows, run {rep + 1}/{repeats}: diagnose ({name})")
                runs[name].append(time_diagnose(tree, paths, outs[name], python))
            log(f"{n:,} rows, run {rep + 1}/{repeats}: Datalab pipeline")
            runs["datalab"].append(run_datalab(paths, _env(ROOT)))
            if n == min(sizes):
                for name, (python, tree) in here.items():
                    results["anatomy"].setdefault(name, []).append(anatomy(python, tree, _env(tree), paths, outs[name]))
        first = next(iter(here))
        results["same"][str(n)] = {name: same_results(outs[first], outs[name]) for name in list(here)[1:]}
        if n == min(sizes):
            for name, (python, tree) in here.items():
                results["cold"][name]["report"] = [cold_start(python, tree, _env(tree), "report", outs[first])
                                                   for _ in range(max(5, repeats))]
            results["imports"] = {name: import_costs(python, tree, _env(tree), paths, outs[name])
                                  for name, (python, tree) in here.items()}
        results["sizes"][str(n)] = runs
    results["load_end"] = os.getloadavg()[0]
    return results


def proxy_check(n: int, folds: int = 5) -> dict:
    """Out-of-fold probabilities of today's scikit-learn proxy vs :class:`diagnose.probs.SoftmaxRegression`.

    Same embeddings (``TfidfSvdEmbedder``, 256-d) and the same stratified folds (seed 0); the noise
    reference is scikit-learn's proxy on another fold split (seed 1). Log-loss, accuracy, iterations,
    CPU seconds of the fits, and the mean L1 distance per row / argmax agreement with scikit-learn.
    """
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    from diagnose.embed import TfidfSvdEmbedder
    from diagnose.probs import SoftmaxRegression

    paths = dataset(n)
    train = pl.read_parquet(paths["train"])
    texts = train["text"].to_list() + pl.read_parquet(paths["eval"])["text"].to_list()
    x = TfidfSvdEmbedder(seed=0).fit(texts).transform(train["text"].to_list())
    classes, y = np.unique(train["label"].to_list(), return_inverse=True)

    def oof(make, seed: int) -> tuple[np.ndarray, float, list[int]]:
        out, its, start = np.zeros((len(y), len(classes))), [], time.process_time()
        splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
        for fit, held in splitter.split(x, np.where(np.bincount(y)[y] >= folds, y, -1)):
            model = make().fit(x[fit], y[fit])
            out[np.ix_(held, model.classes_)] = model.predict_proba(x[held])
            its.append(int(np.max(model.n_iter_)))
        out += 1e-6
        return out / out.sum(axis=1, keepdims=True), time.process_time() - start, its

    sklearn = lambda: LogisticRegression(C=10.0, max_iter=300)  # the proxy before issue 18
    runs = {"scikit-learn lbfgs (before)": oof(sklearn, 0), "SoftmaxRegression (after)": oof(SoftmaxRegression, 0),
            "scikit-learn, other fold split (noise)": oof(sklearn, 1)}
    ref = runs["scikit-learn lbfgs (before)"][0]
    return {name: {"log_loss": float(-np.log(p[np.arange(len(y)), y]).mean()), "accuracy": float((p.argmax(1) == y).mean()),
                   "cpu_s": cpu, "iterations": its, "l1_to_before": float(np.abs(p - ref).sum(axis=1).mean()),
                   "argmax_agreement": float((p.argmax(1) == ref.argmax(1)).mean())}
            for name, (p, cpu, its) in runs.items()}


def _proxy_lines(checks: dict) -> list[str]:
    lines = ["## Proxy model: out-of-fold probabilities before and after", "",
             "5-fold cross-validation on the training rows (256-d TF-IDF + SVD embeddings, the folds of seed 0); "
             "the last row is scikit-learn's proxy on the folds of seed 1, i.e. how much the probabilities move "
             "with nothing but another fold split (the noise the solver's tolerance is held well under). CPU "
             "seconds of the five fits, one thread.", "",
             "| train rows | proxy | log-loss | accuracy | mean L1 to before (per row) | same top class as before | iterations per fold | CPU (s) |",
             "|---:|---|---:|---:|---:|---:|---|---:|"]
    for n, check in checks.items():
        for name, r in check.items():
            lines.append(f"| {int(n):,} | {name} | {r['log_loss']:.4f} | {r['accuracy']:.4f} | {r['l1_to_before']:.3f} | "
                         f"{r['argmax_agreement']:.3f} | {', '.join(map(str, r['iterations']))} | {r['cpu_s']:.1f} |")
    return lines + [""]


def _median(runs: list[dict], key: str = "wall_s") -> float | None:
    values = [r[key] for r in runs if r.get("status") == 0 and key in r]
    return statistics.median(values) if values else None


def _worst(runs: list[dict], key: str = "wall_s") -> float | None:
    values = [r[key] for r in runs if r.get("status") == 0 and key in r]
    return max(values) if values else None


def _stage_medians(runs: list[dict]) -> dict[str, float]:
    names = {k for r in runs for k in r.get("stages", {})}
    return {k: statistics.median([r["stages"][k] for r in runs if k in r.get("stages", {})]) for k in names}


def _fmt(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _main_table(results: dict) -> list[str]:
    names = list(results["cold"])
    lines = ["| train / eval rows | " + " | ".join(f"diagnose {n} (median / worst)" for n in names)
             + " | Datalab pipeline (median / worst) | " + " | ".join(f"{n} / Datalab" for n in names) + " |",
             "|---|" + "---:|" * (2 * len(names) + 1)]
    for n, runs in results["sizes"].items():
        dl = _median(runs["datalab"])
        cells = [f"{_fmt(_median(runs[k]))} / {_fmt(_worst(runs[k]))}" if k in runs else "—" for k in names]
        ratios = [f"{_median(runs[k]) / dl:.2f}" if k in runs and dl and _median(runs[k]) else "—" for k in names]
        lines.append(f"| {int(n):,} / {EVAL_ROWS.get(int(n), int(n) // 10):,} | " + " | ".join(cells)
                     + f" | {_fmt(dl)} / {_fmt(_worst(runs['datalab']))} | " + " | ".join(ratios) + " |")
    cpu = [f"{int(n):,}: " + ", ".join(f"{k} {_fmt(_median(runs[k], 'cpu_s'))}" for k in [*names, "datalab"] if k in runs)
           for n, runs in results["sizes"].items()]
    return lines + ["", "CPU seconds of the process (median): " + "; ".join(cpu), ""]


def _stage_lines(results: dict) -> list[str]:
    lines = ["## Time per stage (s, median over runs, from `summary.json`)", ""]
    for n, runs in results["sizes"].items():
        names = [k for k in results["cold"] if k in runs]
        medians = {k: _stage_medians(runs[k]) for k in names}
        order = sorted({s for m in medians.values() for s in m}, key=lambda s: -max(m.get(s, 0) for m in medians.values()))
        lines += [f"{int(n):,} training rows:", "", "| stage | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
        lines += [f"| {stage} | " + " | ".join(_fmt(medians[k].get(stage), 2) for k in names) + " |" for stage in order]
        lines += ["| *sum of the stages* | " + " | ".join(_fmt(sum(medians[k].values()), 2) for k in names) + " |", ""]
    lines += ["Datalab pipeline stages (s, median): " + "; ".join(
        f"{int(n):,}: " + ", ".join(f"{k} {statistics.median([r['stages'][k] for r in runs['datalab'] if r.get('stages')]):.1f}"
                                    for k in ("features", "cross_val_probs", "find_issues"))
        for n, runs in results["sizes"].items()), ""]
    return lines


def write_report(results: dict, command: str, commit: str, baseline: str | None, plain: str | None, out: Path = OUT) -> None:
    n_runs = len(next(iter(results["sizes"].values()))["datalab"])
    lines = ["# Small-data timing (issue 18, part 1)", "", f"Command: `{command}`", "",
             f"Commit: {commit}" + (f"; baseline: {baseline} (same run)" if baseline else ""), "",
             f"Machine: {_machine()}; BLAS/OpenMP threads per process: 1 (diagnose's own default, plus its "
             f"two fold/block threads); load average {results['load_start']:.1f} at start, "
             f"{results['load_end']:.1f} at the end (other jobs shared the 2 cores: above 2, every process got a "
             "fraction of a core, so compare CPU seconds too).", "",
             "Data: `benchmarks/_scale_data.py: make_dataset` (perturbed BANKING77 + CLINC150 queries, 228 classes, "
             "3% flipped training labels, eval rows with a user model's predictions and probabilities, "
             "annotations for 5% of rows, passages for 20% of eval rows); 1k/200 is the first 1,000 training "
             "rows and the 200 eval rows of the 2k dataset. `python -m diagnose.cli run` runs as a subprocess with all "
             "four analyzers and writes every output (Parquet, JSON, Markdown and HTML reports); its bytecode is "
             "compiled beforehand into a cache folder, as `pip install` does (this machine sets "
             "PYTHONDONTWRITEBYTECODE, which would otherwise recompile diagnose on every run), and each tree ran once "
             "untimed first. Times are wall "
             f"seconds from spawn to exit, the median of {n_runs} runs interleaved with the others, and the slowest run.",
             ""]
    if plain:
        lines += [f"*README install*: the same commit run by `{plain}`, a virtual environment holding only the "
                  "README's install (the project's dependencies and the dashboard extra, same versions; no "
                  "`datasets`, which this machine has for the `evaluate` and test extras and which cleanlab's "
                  "`__init__` imports when present).", ""]
    lines += _main_table(results) + startup_lines(results) + _stage_lines(results)
    if results.get("proxy"):
        lines += _proxy_lines(results["proxy"])
    out.write_text("\n".join(lines))
    (WORK / "small_scale.json").write_text(json.dumps(results, indent=1))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="training rows, comma-separated (1000 and/or 10000)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline-rev", default=None, help="a commit to time in the same run (e.g. the branch's start)")
    parser.add_argument("--plain-python", default=None, metavar="PYTHON",
                        help="also time this commit at the smallest size with this interpreter: a virtual environment "
                             "with only the README's install (see benchmarks/README.md)")
    parser.add_argument("--no-proxy-check", action="store_true", help="skip the proxy model's before/after check")
    parser.add_argument("--out", type=Path, default=OUT, help=f"the Markdown report (default {OUT.relative_to(ROOT)})")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="diagnose_baseline_") as tmp:
        trees = {"this commit": (sys.executable, ROOT)}
        if args.baseline_rev:
            trees = {"baseline": (sys.executable, baseline_tree(args.baseline_rev, Path(tmp))), **trees}
        if args.plain_python:
            trees["this commit, README install"] = (args.plain_python, ROOT)
        results = measure(sizes, args.repeats, trees, {min(sizes)})
    if not args.no_proxy_check:
        results["proxy"] = {str(n): proxy_check(n) for n in sizes}
    command = "python -m benchmarks.small_scale " + " ".join(argv if argv is not None else sys.argv[1:])
    write_report(results, command.strip(), commit, args.baseline_rev, args.plain_python, args.out)
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
