"""Scale benchmark: diagnose end to end at 10k, 100k and 1M training rows.

Builds realistic text datasets from the real BANKING77 + CLINC150 queries
(perturbed so rows are not copies: word dropout, swaps, typos, fillers,
numbers; 3% of training labels flipped; out-of-scope queries in eval), runs
``python -m diagnose.cli run ... --quiet`` as a subprocess, records wall time,
peak RSS and the per-stage timings, times the cleanlab Datalab pipeline a user
would build instead on the same data (10k and 100k), measures the recall of
the approximate index against exact search, compares per-cause F1 of exact
and approximate search on the planted intent scenario, and writes
``benchmarks/results/scale.md`` and ``benchmarks/scale_plot.png``. The datasets are built
by :mod:`benchmarks._scale_data`.

Run::

    python benchmarks/scale.py                      # 10k, 100k, 1M
    python benchmarks/scale.py --sizes 10000,100000 # quick
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

HERE = Path(__file__).resolve().parent
if __package__:  # python -m benchmarks.scale
    from benchmarks._scale_data import WORK, log, make_dataset
else:  # python benchmarks/scale.py
    from _scale_data import WORK, log, make_dataset


# ------------------------------------------------------------- measuring
def _run_child(cmd: list[str], env: dict[str, str]) -> tuple[float, float, int, float]:
    """Run ``cmd``; return (wall seconds, peak RSS GiB of that child, exit code, CPU seconds)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    if status != 0:
        log(f"command failed ({status}): {' '.join(cmd)}\n{err[-3000:]}")
    return wall, usage.ru_maxrss / 2**20, status, usage.ru_utime + usage.ru_stime


COVERAGE_PATCH = ("import sys; from diagnose.causes.coverage_gap.analyzer import CoverageGap; "
                  "CoverageGap.__init__.__kwdefaults__['features'] = {!r}; from diagnose.cli import main; "
                  "sys.exit(main(sys.argv[1:]))")


def run_diagnose(paths: dict[str, Path], out: Path, env: dict[str, str], engine: str = "local",
                 coverage: str = "default") -> dict:
    entry = ["-m", "diagnose.cli"] if coverage == "default" else ["-c", COVERAGE_PATCH.format(coverage)]
    cmd = [sys.executable, *entry, "run", "--eval", str(paths["eval"]), "--train", str(paths["train"]),
           "--annotations", str(paths["annotations"]), "--contexts", str(paths["contexts"]),
           "--out", str(out), "--force", "--quiet", "--engine", engine]
    wall, rss, status, cpu = _run_child(cmd, env)
    summary = json.loads((out / "summary.json").read_text()) if status == 0 else {}
    return {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "peak_rss_gib": round(rss, 2), "status": status,
            "stages": summary.get("timings_seconds", {}), "notes": summary.get("notes", {}),
            "n_errors": summary.get("n_errors"), "counts": summary.get("counts", {}).get("per_cause")}


DATALAB_SCRIPT = r'''
import sys, time, numpy as np, polars as pl, warnings
warnings.simplefilter("ignore")
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.decomposition import TruncatedSVD
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_predict
from cleanlab import Datalab
t0 = time.perf_counter()
train = pl.read_parquet(sys.argv[1])
texts, labels = train["text"].to_list(), train["label"].to_list()
tfidf = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2, max_features=200_000).fit_transform(texts)
x = TruncatedSVD(256, random_state=0).fit_transform(tfidf)
x /= np.linalg.norm(x, axis=1, keepdims=True) + 1e-12
t1 = time.perf_counter()
classes, y = np.unique(labels, return_inverse=True)
probs = cross_val_predict(LogisticRegression(C=10.0, max_iter=300), x, y, cv=5, method="predict_proba")
t2 = time.perf_counter()
lab = Datalab(data={"label": y}, label_name="label", verbosity=0)
lab.find_issues(features=x.astype(np.float32), pred_probs=probs, issue_types={"label": {}, "outlier": {}, "near_duplicate": {}})
t3 = time.perf_counter()
print(f"{t1 - t0:.1f} {t2 - t1:.1f} {t3 - t2:.1f}")
'''


def run_datalab(paths: dict[str, Path], env: dict[str, str]) -> dict:
    script = WORK / "datalab_pipeline.py"
    script.write_text(DATALAB_SCRIPT)
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(script), str(paths["train"])], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    out = proc.stdout.read().decode().split()
    if status != 0:
        log("datalab failed: " + proc.stderr.read().decode(errors="replace")[-2000:])
        return {"status": status}
    feats, cv, find = (float(v) for v in out[-3:])
    return {"wall_s": round(wall, 1), "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
            "peak_rss_gib": round(usage.ru_maxrss / 2**20, 2), "status": status, "stages": {"features": feats, "cross_val_probs": cv, "find_issues": find}}


def ann_recall(n_train: int, sample: int = 2000, seed: int = 0) -> dict:
    """recall@10 of the IVF index against exact search, on ``sample`` eval and train queries."""
    from diagnose.embed import TfidfSvdEmbedder
    from diagnose.neighbors import NeighborIndex, ivf_settings

    paths = make_dataset(n_train)
    train = pl.read_parquet(paths["train"], columns=["text"])["text"].to_list()
    evals = pl.read_parquet(paths["eval"], columns=["text"])["text"].to_list()
    emb = TfidfSvdEmbedder(seed=seed).fit(train + evals)
    base, queries = emb.transform(train), emb.transform(evals[:sample])
    rows = np.random.default_rng(seed).choice(len(base), sample, replace=False)
    out = {"nlist_nprobe": ivf_settings(len(base))}
    approx, exact = NeighborIndex(method="faiss", seed=seed).fit(base), NeighborIndex(method="exact").fit(base)
    for name, q in (("eval", queries), ("train", base[rows])):
        a, e = approx.search(q, k=10).indices, exact.search(q, k=10).indices
        out[name] = round(float(np.mean([len(set(x) & set(y)) / 10 for x, y in zip(a, e)])), 4)
    return out


def scenario_f1(seed: int = 0) -> dict:
    """Per-cause F1 on the planted intent scenario with exact and with approximate search."""
    sys.path.insert(0, str(HERE))
    from scenarios import make_intent_scenario

    import diagnose

    sc = make_intent_scenario(seed=seed)
    truth = dict(zip(sc.truth["id"].to_list(), sc.truth["planted"].to_list()))
    out = {}
    for method in ("exact", "faiss"):
        res = diagnose.run(sc.eval, sc.train, sc.annotations, seed=seed,
                           config=diagnose.RunConfig(neighbors=method, progress=False))
        ex = res.examples.filter(pl.col("is_error"))
        got = dict(zip(ex["id"].to_list(), ex["causes"].to_list()))
        scores = {}
        for cause in ("coverage_gap", "noisy_label", "annotator_inconsistency"):
            tp = sum(cause in (got[i] or []) and cause in truth[i] for i in got)
            fp = sum(cause in (got[i] or []) and cause not in truth[i] for i in got)
            fn = sum(cause not in (got[i] or []) and cause in truth[i] for i in got)
            scores[cause] = round(2 * tp / max(2 * tp + fp + fn, 1), 3)
        out[method] = scores
    return out


# ------------------------------------------------------------- reporting
def _load_results() -> dict:
    path = WORK / "results.json"
    return json.loads(path.read_text()) if path.exists() else {"sizes": {}}


def _save_results(results: dict) -> None:
    """Merge into the stored results (separate invocations, e.g. the 1M run, accumulate)."""
    disk = _load_results()
    for n, entry in results["sizes"].items():
        disk["sizes"].setdefault(n, {}).update(entry)
    for key in ("recall", "f1_by_size"):
        disk.setdefault(key, {}).update(results.get(key, {}))
    disk.update({k: v for k, v in results.items() if k not in ("sizes", "recall", "f1_by_size")})
    (WORK / "results.json").write_text(json.dumps(disk, indent=1))
    results.update(disk)


def _machine() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GiB, Python {platform.python_version()}"


def write_report(results: dict, command: str) -> None:
    sizes = sorted(results["sizes"], key=int)
    lines = ["# Scale benchmark", "", f"Command: `{command}`", "",
             f"Machine: {_machine()}; BLAS/OpenMP threads per process: {results.get('threads', 'default')}; "
             f"load average at start: {results.get('load', '?')} (other jobs shared the 2 cores).", "",
             "Data: perturbed BANKING77 + CLINC150 queries (228 classes, 3% flipped training labels, 2% "
             "out-of-scope eval rows), eval = train/10 with predictions and `prob_` columns, annotations for "
             "5% of rows (3 votes each), 3 passages for 20% of eval rows. `diagnose run` runs as a subprocess "
             "with every analyzer and writes its reports; peak RSS is that subprocess's `ru_maxrss`.", "",
             "| train rows | eval rows | diagnose wall (s) | diagnose CPU (s) | peak RSS (GiB) | Datalab pipeline wall (s) | Datalab CPU (s) | diagnose / Datalab (wall) | Datalab peak RSS (GiB) |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for n in sizes:
        r = results["sizes"][n]
        d, dl = r.get("diagnose", {}), r.get("datalab")
        ratio = f"{d['wall_s'] / dl['wall_s']:.2f}" if dl and dl.get("wall_s") else "—"
        dl_s = f"{dl['wall_s']:.0f}" if dl and dl.get("wall_s") else (
            "not run (hours: exact k-NN graph)" if int(n) >= 1_000_000 else "—")
        dl_cpu = dl.get("cpu_s", "—") if dl else "—"
        if d.get("status"):
            d = {**d, "wall_s": f"failed (exit {d['status']}) after {d.get('wall_s')}"}
        lines.append(f"| {int(n):,} | {int(n) // 10:,} | {d.get('wall_s', '—')} | {d.get('cpu_s', '—')} | {d.get('peak_rss_gib', '—')} | "
                     f"{dl_s} | {dl_cpu} | {ratio} | {dl.get('peak_rss_gib', '—') if dl else '—'} |")
    stage_names = sorted({k for n in sizes for k in results["sizes"][n].get("diagnose", {}).get("stages", {})},
                         key=lambda k: -max(results["sizes"][n].get("diagnose", {}).get("stages", {}).get(k, 0) for n in sizes))
    lines += ["", "## diagnose time per stage (s, from `summary.json`)", "",
              "| stage | " + " | ".join(f"{int(n):,}" for n in sizes) + " |", "|---|" + "---:|" * len(sizes)]
    for k in stage_names:
        lines.append(f"| {k} | " + " | ".join(str(results["sizes"][n].get("diagnose", {}).get("stages", {}).get(k, "—")) for n in sizes) + " |")
    lines += ["", "Wall time also includes interpreter start-up, imports, reading the files and writing "
              "Parquet, JSON, Markdown and HTML outputs.", "", "## Datalab pipeline time per stage (s)", "",
              "The pipeline a user would build instead: the same TF-IDF (1–2-grams) + 256-d SVD features, "
              "5-fold `cross_val_predict` logistic regression, then `Datalab(...).find_issues(features=..., "
              "pred_probs=..., issue_types={label, outlier, near_duplicate})` on the training rows.", "",
              "| train rows | features | cross-validated probabilities | find_issues |", "|---:|---:|---:|---:|"]
    for n in sizes:
        dl = results["sizes"][n].get("datalab")
        if dl and dl.get("stages"):
            st = dl["stages"]
            lines.append(f"| {int(n):,} | {st['features']} | {st['cross_val_probs']} | {st['find_issues']} |")
    if results.get("recall"):
        lines += ["", "## Approximate neighbour search", "",
                  "recall@10 of the faiss IVF-Flat index (candidates re-scored exactly) against exact search, "
                  "on 2,000 eval queries and 2,000 training queries:", "",
                  "| train rows | lists / probed | recall@10 eval→train | recall@10 train→train |", "|---:|---:|---:|---:|"]
        for n, r in sorted(results["recall"].items(), key=lambda kv: int(kv[0])):
            lines.append(f"| {int(n):,} | {r['nlist_nprobe'][0]} / {r['nlist_nprobe'][1]} | {r['eval']} | {r['train']} |")
    if results.get("f1"):
        f1 = results["f1"]
        lines += ["", "## Attribution accuracy, exact vs approximate search", "",
                  "Per-cause F1 over the model's errors on the planted BANKING77 scenario "
                  "(`benchmarks/scenarios.py: make_intent_scenario(seed=0)`):", "",
                  "| cause | exact | faiss |", "|---|---:|---:|"]
        for cause in f1["exact"]:
            lines.append(f"| {cause} | {f1['exact'][cause]} | {f1['faiss'][cause]} |")
    remarks = WORK / "remarks.md"  # observations of the run at hand, kept across regenerations
    lines += ["", NOTES, remarks.read_text() if remarks.exists() else ""]
    (HERE / "results" / "scale.md").write_text("\n".join(lines).rstrip() + "\n")


NOTES = """## How diagnose stays linear

* **Embedding** (`diagnose/embed.py`): TF-IDF vocabulary (capped at 200k terms) and the 256-d SVD basis are
  learned from a seeded sample of at most 50k texts; above 20k sample rows the basis comes from a float32
  randomized range finder with Cholesky-QR (same captured variance as scikit-learn's randomized SVD, about 5×
  cheaper); all texts are then transformed in batches of 20k. Tables up to 50k texts are fitted on every text,
  exactly as before (bit-identical embeddings on the bundled sample).
* **Neighbours** (`diagnose/neighbors.py`): exact search is a blocked matrix product with a fixed block size
  (never an all-pairs matrix); above 2·10⁸ query × row pairs `auto` uses a faiss IVF-Flat index (≈2·√n lists,
  24+ probed) built once for eval→train and train→train, and the candidates are re-scored exactly, so the
  similarities the analyzers calibrate on are true cosines.
* **Proxy probabilities** (`diagnose/probs.py`): each cross-validation fit uses a class-stratified sample of
  at most 20k rows (accuracy on held-out rows: 0.671 with 5k, 0.715 with 10k, 0.763 with 20k rows at 100k
  training rows); with capped fits only as many folds are used as keep each fit at the cap (2 at 100k and 1M),
  since more folds would fit the same number of rows more often. Prediction is batched and the probability
  matrix is smoothed in place. Tables up to 25k rows behave exactly as before.
* Memory grows with rows × (embedding dim + classes), never with train × eval.

## Why Dask (not Ray) for the distributed engine

The heavy stages are maps over NumPy blocks with no state between tasks (`scatter` + `submit`). Dask is pure
Python, pip-installable (`diagnose[distributed]`), needs no daemon or shared-memory object store, runs
in-process for tests (`LocalCluster(processes=False)`), and reaches real clusters through the usual deployers
(`dask scheduler`/`dask worker`, dask-jobqueue for SLURM/PBS, dask-kubernetes, Coiled). Ray would add a raylet
and a plasma store per node for features we do not use. The Dask engine uses the same partitions, query
blocks, folds and seeds as the local path, so exact search gives the same result (`tests/test_distributed.py`).

## Running on a real cluster

```bash
dask scheduler                                            # head node, listens on tcp://HEAD:8786
dask worker tcp://HEAD:8786 --nworkers 4 --nthreads 1     # each worker node (same diagnose version)
DIAGNOSE_DASK_ADDRESS=tcp://HEAD:8786 diagnose run --engine dask --eval eval.parquet --train train.parquet --out out/
```

In Python: `diagnose.run(..., config=diagnose.RunConfig(engine="dask"))` with the variable set. Without the
variable a LocalCluster (one worker process per core, up to 4) is started for the run and closed after it.
The client reads the files; embedding partitions, neighbour query blocks, proxy folds and eval-probability
partitions run on workers; the analyzers then score on the client (linear and cheap given the shared
representation).
"""


def write_plot(results: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted(results["sizes"], key=int)
    fig, ax = plt.subplots(figsize=(6, 4.2))
    xs = [int(n) for n in sizes if results["sizes"][n].get("diagnose", {}).get("wall_s")]
    ax.plot(xs, [results["sizes"][str(n)]["diagnose"]["wall_s"] for n in xs], "o-", label="diagnose run (all analyzers)")
    dl = [int(n) for n in sizes if (results["sizes"][n].get("datalab") or {}).get("wall_s")]
    if dl:
        ax.plot(dl, [results["sizes"][str(n)]["datalab"]["wall_s"] for n in dl], "s--", label="Datalab pipeline")
    if xs:
        ref = np.array([min(xs), max(xs)])
        ax.plot(ref, results["sizes"][str(min(xs))]["diagnose"]["wall_s"] * ref / min(xs), ":", color="grey", label="linear")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("training rows (eval = 1/10)")
    ax.set_ylabel("wall time (s)")
    ax.set_title("diagnose end to end, 2 shared cores")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(HERE / "scale_plot.png", dpi=120)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="10000,100000,1000000", help="training rows, comma-separated")
    p.add_argument("--datalab-sizes", default="10000,100000", help="sizes at which Datalab is also timed")
    p.add_argument("--recall-sizes", default="100000", help="sizes at which ANN recall is measured")
    p.add_argument("--threads", default="1", help="BLAS/OpenMP threads per process for both tools ('' = library default)")
    p.add_argument("--engine", default="local", choices=["local", "dask"])
    p.add_argument("--coverage-features", default="default", choices=["default", "shared", "char"],
                   help="CoverageGap feature space (its char n-gram default is an exact sparse search, quadratic)")
    p.add_argument("--skip-f1", action="store_true", help="skip the exact-vs-ANN scenario F1")
    args = p.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    if args.threads:
        env.update(OPENBLAS_NUM_THREADS=args.threads, OMP_NUM_THREADS=args.threads, MKL_NUM_THREADS=args.threads)
        os.environ.update(OPENBLAS_NUM_THREADS=args.threads, OMP_NUM_THREADS=args.threads)
    results = _load_results()
    results.update(threads=args.threads or "default", load=round(os.getloadavg()[0], 1))
    datalab = {int(s) for s in args.datalab_sizes.split(",") if s}
    for n in (int(s) for s in args.sizes.split(",") if s):
        paths = make_dataset(n)
        log(f"diagnose run at {n:,} rows")
        entry = results["sizes"].setdefault(str(n), {})
        entry["diagnose"] = run_diagnose(paths, WORK / f"out_{n}", env, engine=args.engine, coverage=args.coverage_features)
        entry["diagnose"]["coverage_features"] = args.coverage_features
        log(f"  {entry['diagnose']['wall_s']} s, {entry['diagnose']['peak_rss_gib']} GiB")
        if n in datalab:
            log(f"Datalab pipeline at {n:,} rows")
            entry["datalab"] = run_datalab(paths, env)
            log(f"  {entry['datalab'].get('wall_s')} s")
        _save_results(results)
    for n in (int(s) for s in args.recall_sizes.split(",") if s):
        log(f"ANN recall at {n:,} rows")
        results.setdefault("recall", {})[str(n)] = ann_recall(n)
        _save_results(results)
    if not args.skip_f1:
        log("scenario F1, exact vs faiss")
        results["f1"] = scenario_f1()
        _save_results(results)
    write_report(results, "python benchmarks/scale.py " + " ".join(argv if argv is not None else sys.argv[1:]))
    write_plot(results)
    log("wrote benchmarks/results/scale.md and benchmarks/scale_plot.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
