"""Scale benchmark: diagnose end to end at 10k, 100k and 1M training rows.

Builds realistic text datasets from the real BANKING77 + CLINC150 queries
(perturbed so rows are not copies: word dropout, swaps, typos, fillers,
numbers; 3% of training labels flipped; out-of-scope queries in eval), runs
``diagnose run ... --quiet --cache DIR`` as a subprocess on the plain install
(faiss is made unimportable in that subprocess), records wall time, peak RSS
and the per-stage timings, then relabels 1% of the training rows and re-runs
with the same cache folder (the re-run a user makes after a relabelling
round), times the cleanlab Datalab pipeline a user would build instead on the
same data (10k and 100k), measures the recall@10 of the approximate ``ivf``
search against exact search (and faiss IVF-Flat's, when installed, at the
same lists), compares per-cause F1 of exact and approximate search on the
planted intent scenario, and writes
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
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

HERE = Path(__file__).resolve().parent
REPORT = HERE / "results" / "scale.md"
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


#: the diagnose subprocess as on the plain install (`pip install .`): faiss cannot be imported
PLAIN = "import sys; sys.modules['faiss'] = None; "
COVERAGE_PATCH = ("from diagnose.causes.coverage_gap.analyzer import CoverageGap; "
                  "CoverageGap.__init__.__kwdefaults__['features'] = {!r}; ")
MAIN = "from diagnose.cli import main; sys.exit(main(sys.argv[1:]))"


def run_diagnose(paths: dict[str, Path], out: Path, env: dict[str, str], engine: str = "local",
                 coverage: str = "default", cache: Path | None = None) -> dict:
    patch = "" if coverage == "default" else COVERAGE_PATCH.format(coverage)
    cmd = [sys.executable, "-c", PLAIN + patch + MAIN, "run", "--eval", str(paths["eval"]), "--train", str(paths["train"]),
           "--annotations", str(paths["annotations"]), "--contexts", str(paths["contexts"]),
           "--out", str(out), "--force", "--quiet", "--engine", engine, *(["--cache", str(cache)] if cache else [])]
    wall, rss, status, cpu = _run_child(cmd, env)
    summary = json.loads((out / "summary.json").read_text()) if status == 0 else {}
    return {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "peak_rss_gib": round(rss, 2), "status": status,
            "stages": summary.get("timings_seconds", {}), "notes": summary.get("notes", {}), "cache": summary.get("cache"),
            "peak_rss_after_stage": summary.get("peak_rss_gib_after_stage", {}),
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


def relabelled(paths: dict[str, Path], share: float = 0.01, seed: int = 7) -> dict[str, Path]:
    """The dataset with ``share`` of its training labels moved to another class (a relabelling round)."""
    target = paths["train"].with_name(f"train_relabel_{share:g}.parquet")
    if not target.exists():
        train = pl.read_parquet(paths["train"])
        rng = np.random.default_rng(seed)
        rows = rng.choice(train.height, int(train.height * share), replace=False)
        classes = np.array(sorted(set(train["label"].to_list())))
        labels = train["label"].to_numpy().copy()
        labels[rows] = classes[rng.integers(0, len(classes), len(rows))]
        train.with_columns(pl.Series("label", labels)).write_parquet(target)
    return {**paths, "train": target}


def ann_recall(n_train: int, sample: int = 2000, seed: int = 2) -> dict:
    """recall@10 of ivf (and faiss IVF-Flat at the same lists, when installed) against exact search.

    ``sample`` eval and ``sample`` training queries drawn with ``seed`` (the
    index settings were chosen on the 100k dataset with query seed 1; other
    sizes and this seed are reported only).
    """
    from diagnose.embed import TfidfSvdEmbedder
    from diagnose.neighbors import NeighborIndex, ivf_settings

    paths = make_dataset(n_train)
    train = pl.read_parquet(paths["train"], columns=["text"])["text"].to_list()
    evals = pl.read_parquet(paths["eval"], columns=["text"])["text"].to_list()
    emb = TfidfSvdEmbedder(seed=0).fit(train + evals)
    base = emb.transform(train)
    rng = np.random.default_rng(seed)
    queries = {"eval": emb.transform([evals[i] for i in rng.choice(len(evals), sample, replace=False)]),
               "train": base[rng.choice(len(base), sample, replace=False)]}
    del train, evals
    exact = NeighborIndex(method="exact").fit(base)
    truth = {name: exact.search(q, k=10).indices for name, q in queries.items()}
    out = {"nlist_nprobe": ivf_settings(len(base))}
    methods = ["ivf"]
    try:
        import faiss  # noqa: F401
        methods.append("faiss")
    except ImportError:
        pass
    for method in methods:
        index, start = NeighborIndex(method=method, seed=0).fit(base), time.process_time()
        index.ivf_index() if method == "ivf" else index.faiss_index()
        res = {"build_cpu_s": round(time.process_time() - start, 1)}
        for name, q in queries.items():
            found = index.search(q, k=10).indices
            res[name] = round(float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth[name])])), 4)
        rows = min(len(base), 50_000)  # CPU per query of a train -> train search (as in a run: many queries at once)
        start = time.process_time()
        index.search(base[:rows], k=11)
        res["ms_per_query"] = round((time.process_time() - start) / rows * 1e3, 3)
        out[method] = res
    return out


def scenario_f1(seed: int = 0) -> dict:
    """Per-cause F1 on the planted intent scenario with exact and with approximate search."""
    sys.path.insert(0, str(HERE))
    from scenarios import make_intent_scenario

    import diagnose

    sc = make_intent_scenario(seed=seed)
    truth = dict(zip(sc.truth["id"].to_list(), sc.truth["planted"].to_list()))
    out = {}
    for method in ("exact", "ivf"):
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


def _peak_table(results: dict, sizes: list[str], stage_names: list[str]) -> list[str]:
    """Peak RSS of the cold run after each stage (``summary.json`` → ``peak_rss_gib_after_stage``)."""
    peaks = {n: results["sizes"][n].get("diagnose", {}).get("peak_rss_after_stage") or {} for n in sizes}
    shown = [n for n in sizes if peaks[n]]
    if not shown:
        return []
    lines = ["", "## diagnose peak RSS after each stage (GiB, cold run; the process's peak so far)", "",
             "| stage | " + " | ".join(f"{int(n):,}" for n in shown) + " |", "|---|" + "---:|" * len(shown)]
    order = [k for k in peaks[shown[-1]] if k in stage_names] or stage_names
    return lines + [f"| {k} | " + " | ".join(str(peaks[n].get(k, "—")) for n in shown) + " |" for k in order]


def write_report(results: dict, command: str, out: Path | None = None) -> None:
    sizes = sorted(results["sizes"], key=int)
    runs = results.get("commands") or [{"command": command, "load": results.get("load", "?")}]
    lines = ["# Scale benchmark", "", "Commands (each merges its sizes into the stored results; the table shows the latest "
             "run of every size), with the load average when each started:", "",
             *[f"* `{r['command']}` at commit {r.get('commit', '?')}, load {r['load']}" for r in runs], "",
             f"Machine: {_machine()}; BLAS/OpenMP threads per process: {results.get('threads', 'default')}. Other jobs "
             "shared the 2 cores throughout (load averages above 2 mean every process got a fraction of a core), so "
             "wall times are inflated: compare CPU seconds too.", "",
             "Data: perturbed BANKING77 + CLINC150 queries (228 classes, 3% flipped training labels, 2% "
             "out-of-scope eval rows), eval = train/10 with predictions and `prob_` columns, annotations for "
             "5% of rows (3 votes each), 3 passages for 20% of eval rows. `diagnose run --cache DIR` runs as a "
             "subprocess with every analyzer and writes its reports, on the plain install (faiss made unimportable "
             "in the subprocess); the cold run starts from an empty cache folder; the re-run relabels 1% of the "
             "training rows (to a random class) and runs again with the same folder. Peak RSS is that subprocess's "
             "`ru_maxrss`.", "",
             "| train rows | eval rows | diagnose wall (s) | diagnose CPU (s) | peak RSS (GiB) | neighbours stage (s, share of wall) "
             "| re-run after relabelling 1% (s) | re-run / cold, wall (CPU) | Datalab pipeline wall (s) | Datalab CPU (s) "
             "| diagnose / Datalab, wall (CPU) | Datalab peak RSS (GiB) |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for n in sizes:
        r = results["sizes"][n]
        d, dl, re_ = r.get("diagnose", {}), r.get("datalab"), r.get("rerun") or {}
        nb = d.get("stages", {}).get("neighbors")
        nb_s = f"{nb:.1f} ({nb / d['wall_s']:.0%})" if nb and isinstance(d.get("wall_s"), (int, float)) else "—"
        re_s = f"{re_['wall_s']}" if re_.get("wall_s") and not re_.get("status") else "—"
        re_ratio = (f"{re_['wall_s'] / d['wall_s']:.2f} ({re_['cpu_s'] / d['cpu_s']:.2f})"
                    if re_s != "—" and d.get("wall_s") and not d.get("status") else "—")
        ratio = f"{d['wall_s'] / dl['wall_s']:.2f} ({d['cpu_s'] / dl['cpu_s']:.2f})" if dl and dl.get("wall_s") else "—"
        dl_s = f"{dl['wall_s']:.0f}" if dl and dl.get("wall_s") else (
            "not run (hours: exact k-NN graph)" if int(n) >= 1_000_000 else "—")
        dl_cpu = dl.get("cpu_s", "—") if dl else "—"
        if d.get("status"):
            d = {**d, "wall_s": f"failed (exit {d['status']}) after {d.get('wall_s')}"}
        lines.append(f"| {int(n):,} | {int(n) // 10:,} | {d.get('wall_s', '—')} | {d.get('cpu_s', '—')} | {d.get('peak_rss_gib', '—')} | "
                     f"{nb_s} | {re_s} | {re_ratio} | {dl_s} | {dl_cpu} | {ratio} | {dl.get('peak_rss_gib', '—') if dl else '—'} |")
    stage_names = sorted({k for n in sizes for k in results["sizes"][n].get("diagnose", {}).get("stages", {})},
                         key=lambda k: -max(results["sizes"][n].get("diagnose", {}).get("stages", {}).get(k, 0) for n in sizes))
    lines += ["", "## diagnose time per stage (s, from `summary.json`)", "",
              "| stage | " + " | ".join(f"{int(n):,}" for n in sizes) + " |", "|---|" + "---:|" * len(sizes)]
    for k in stage_names:
        lines.append(f"| {k} | " + " | ".join(str(results["sizes"][n].get("diagnose", {}).get("stages", {}).get(k, "—")) for n in sizes) + " |")
    lines += _peak_table(results, sizes, stage_names)
    reruns = [n for n in sizes if (results["sizes"][n].get("rerun") or {}).get("stages")]
    if reruns:
        lines += ["", "## Re-run after relabelling 1% of training rows: time per stage (s)", "",
                  "Embeddings, neighbour tables, the eval rows' vote posterior (stage `eval_posterior`) and "
                  "contradictory_context's output come from the cache (`summary.json` → `cache`); the proxy model's "
                  "cross-validated probabilities and the analyzers that read training labels are recomputed.", "",
                  "| stage | " + " | ".join(f"{int(n):,}" for n in reruns) + " |", "|---|" + "---:|" * len(reruns)]
        for k in stage_names:
            lines.append(f"| {k} | " + " | ".join(str(results["sizes"][n]["rerun"]["stages"].get(k, "—")) for n in reruns) + " |")
        lines.append("| cache | " + " | ".join(", ".join(f"{a} {b}" for a, b in (results["sizes"][n]["rerun"].get("cache") or {}).items())
                                               for n in reruns) + " |")
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
                  "recall@10 against exact search on 2,000 eval and 2,000 training queries drawn with seed 2 (the "
                  "index settings, 2·√n lists and enough probed to scan about 4,000 rows per query, were chosen on "
                  "the 100k dataset with queries drawn with seed 1; no setting looked at this seed or the 1M data). "
                  "`ivf` is the numpy search the plain install uses above 2·10⁸ query × row pairs; faiss IVF-Flat "
                  "(extra `diagnose[ann]`) uses the same numbers of lists. CPU per query: a train → train search of "
                  "50,000 rows, one thread.", "",
                  "| train rows | lists / probed | method | recall@10 eval→train | recall@10 train→train | build CPU (s) | search CPU per query (ms) |",
                  "|---:|---:|---|---:|---:|---:|---:|"]
        for n, r in sorted(results["recall"].items(), key=lambda kv: int(kv[0])):
            for method in ("ivf", "faiss"):
                if method in r:
                    m = r[method]
                    lines.append(f"| {int(n):,} | {r['nlist_nprobe'][0]} / {r['nlist_nprobe'][1]} | {method} | {m['eval']} | "
                                 f"{m['train']} | {m['build_cpu_s']} | {m['ms_per_query']} |")
    if results.get("f1"):
        f1 = results["f1"]
        lines += ["", "## Attribution accuracy, exact vs approximate search", "",
                  "Per-cause F1 over the model's errors on the planted BANKING77 scenario "
                  "(`benchmarks/scenarios.py: make_intent_scenario(seed=0)`):", "",
                  "| cause | exact | ivf |", "|---|---:|---:|"]
        for cause in f1["exact"]:
            lines.append(f"| {cause} | {f1['exact'][cause]} | {f1['ivf'][cause]} |")
    remarks = WORK / "remarks.md"  # observations of the run at hand, kept across regenerations
    lines += ["", NOTES, remarks.read_text() if remarks.exists() else ""]
    (out or REPORT).write_text("\n".join(lines).rstrip() + "\n")


NOTES = """## How diagnose stays linear

* **Embedding** (`diagnose/embed.py`): TF-IDF vocabulary (capped at 200k terms) and the 256-d SVD basis are
  learned from a seeded sample of at most 50k texts; above 20k sample rows the basis comes from a float32
  randomized range finder with Cholesky-QR (same captured variance as scikit-learn's randomized SVD, about 5×
  cheaper); all texts are then transformed in batches of 20k. Tables up to 50k texts are fitted on every text,
  exactly as before (bit-identical embeddings on the bundled sample).
* **Neighbours** (`diagnose/neighbors.py`): exact search is a blocked matrix product with a fixed block size
  (never an all-pairs matrix); above 2·10⁸ query × row pairs `auto` uses `ivf`, which needs only numpy (the
  plain install): a seeded spherical k-means splits the training rows into ≈2·√n lists, each query probes the
  lists nearest it (enough to scan about 4,000 rows), and the scores are computed list by list as one matrix
  product for all queries probing that list, merged into a running top k. That is the recall of an IVF-Flat
  index of the same lists at about half faiss's CPU per query (faiss scans each query's lists separately, which
  is memory-bound once the rows outgrow the cache). The rows are stored grouped by list (one contiguous block
  per list, no gather per search), queries are searched in chunks of 500k (each list's product then has
  thousands of query rows, where BLAS runs near its peak) and the chunks, the k-means assignment and the list
  assignment run on threads (one per core; the results do not depend on the number of threads).
  Similarities are true cosines. faiss stays available as `--neighbors faiss` (extra `diagnose[ann]`).
* **Re-runs** (`diagnose/cache.py`, `--cache DIR`): embeddings (keyed by the embedder's settings and code and
  every text, not the labels) and neighbour tables (keyed by the embeddings' bytes, k, method, seed and code)
  are kept as `.npy` files, and so are the outputs that read no training label: the eval rows' vote posterior
  (keyed by the eval rows, their votes and probabilities, the classes and the code) and contradictory_context's
  scores and conflicts (Parquet, keyed by the eval questions, labels, predictions, the passages, its settings and
  the code). A re-run after relabelling or adding training rows reuses them and gives byte-identical outputs to a
  cold run on the edited data (`tests/test_cache.py`). The proxy's cross-validated probabilities are recomputed:
  relabelling 1% of rows touches every fold, and a warm start from the previous run's fold models either saves
  nothing (label-stratified folds move) or changes the probabilities (`benchmarks/results/rerun_warm_start.md`).
* **Proxy probabilities** (`diagnose/probs.py`): each cross-validation fit uses a class-stratified sample of
  at most 20k rows (accuracy on held-out rows: 0.671 with 5k, 0.715 with 10k, 0.763 with 20k rows at 100k
  training rows); with capped fits only as many folds are used as keep each fit at the cap (2 at 100k and 1M),
  since more folds would fit the same number of rows more often. Each fold predicts in batches straight into
  the one out-of-fold table, which is smoothed in place; tables above 5·10⁷ cells (rows × classes) are float32
  (1M × 228: 0.9 GB instead of 1.8 GB), smaller ones stay float64 (bit-identical results below that size).
  Tables up to 25k rows behave exactly as before.
* **Analyzers at scale**: the label-quality scores, the suggested relabels and the class centres of
  `noisy_label` are computed in blocks of 65k rows, the annotator analyzer counts near-duplicate labels in
  uint16 and expands only the annotated rows' probabilities: no rows × classes float64 copies (bit-identical
  results).
* Memory grows with rows × (embedding dim + classes), never with train × eval.

## Why Dask (not Ray) for the distributed engine

The heavy stages are maps over NumPy blocks with no state between tasks (`scatter` + `submit`). Dask is pure
Python, pip-installable (`diagnose[distributed]`), needs no daemon or shared-memory object store, runs
worker processes on one machine for tests (`LocalCluster(processes=True)`), and reaches real clusters through
the usual deployers (`dask scheduler`/`dask worker`, dask-jobqueue for SLURM/PBS, dask-kubernetes, Coiled).
Ray would add a raylet and a plasma store per node for features we do not use. The Dask engine uses the same
partitions, query blocks, ivf query chunks, folds and seeds as the local path, and sets the workers' BLAS
threads to the run's `blas_threads` (default 1) for the run: the proxy folds fitted with two OpenBLAS threads
on workers against one on the client had moved `score_coverage_gap` by up to 1e-3 on BANKING77. With that,
exact and ivf search give bit-identical results (`tests/test_distributed.py`, worker processes left at two
BLAS threads). Workers importing other diagnose code than the client are refused.

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
    rr = [int(n) for n in xs if (results["sizes"][str(n)].get("rerun") or {}).get("wall_s")]
    if rr:
        ax.plot(rr, [results["sizes"][str(n)]["rerun"]["wall_s"] for n in rr], "^-", label="re-run after relabelling 1% (--cache)")
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
    ax.set_title("diagnose end to end, plain install, 2 shared cores")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(HERE / "scale_plot.png", dpi=120)


def _clear_own_cache(folder: Path) -> None:
    """Remove ``folder`` only when it is a diagnose cache (its marker file says so); refuse anything else."""
    from diagnose.cache import MARKER

    if not folder.exists():
        return
    if not (folder / MARKER).is_file():
        raise SystemExit(f"{folder}: exists and is not a diagnose cache (no {MARKER}); this benchmark removes only "
                         "its own cache folders. Move it away or set DIAGNOSE_SCALE_DIR to another folder.")
    shutil.rmtree(folder)


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
    p.add_argument("--skip-rerun", action="store_true", help="skip the re-run after relabelling 1%% of training rows")
    p.add_argument("--report", type=Path, default=REPORT,
                   help="the Markdown report (default benchmarks/results/scale.md; the plot is redrawn only then). "
                        "With another path the stored results of earlier runs are left out: the report holds this run")
    args = p.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    if args.threads:
        env.update(OPENBLAS_NUM_THREADS=args.threads, OMP_NUM_THREADS=args.threads, MKL_NUM_THREADS=args.threads)
        os.environ.update(OPENBLAS_NUM_THREADS=args.threads, OMP_NUM_THREADS=args.threads)
    merge = args.report.resolve() == REPORT  # the shared report accumulates runs; another file holds this run only
    results = _load_results() if merge else {"sizes": {}}
    results.update(threads=args.threads or "default", load=round(os.getloadavg()[0], 1))
    command = "python benchmarks/scale.py " + " ".join(argv if argv is not None else sys.argv[1:])
    if args.sizes or args.recall_sizes or not args.skip_f1:  # a run that only re-renders adds no command
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True).stdout.strip()
        results["commands"] = [*results.get("commands", []), {"command": command, "commit": commit, "load": results["load"]}]
    datalab = {int(s) for s in args.datalab_sizes.split(",") if s}
    for n in (int(s) for s in args.sizes.split(",") if s):
        paths = make_dataset(n)
        cache = WORK / f"cache_{n}"
        _clear_own_cache(cache)  # the first run is cold
        log(f"diagnose run at {n:,} rows (cold, cache {cache})")
        entry = results["sizes"].setdefault(str(n), {})
        entry["diagnose"] = run_diagnose(paths, WORK / f"out_{n}", env, engine=args.engine, coverage=args.coverage_features,
                                         cache=cache)
        entry["diagnose"]["coverage_features"] = args.coverage_features
        log(f"  {entry['diagnose']['wall_s']} s, {entry['diagnose']['peak_rss_gib']} GiB")
        if not args.skip_rerun:
            log(f"re-run at {n:,} rows after relabelling 1% of training rows")
            entry["rerun"] = run_diagnose(relabelled(paths), WORK / f"out_{n}_rerun", env, engine=args.engine,
                                          coverage=args.coverage_features, cache=cache)
            log(f"  {entry['rerun']['wall_s']} s, cache {entry['rerun'].get('cache')}")
        if n in datalab:
            log(f"Datalab pipeline at {n:,} rows")
            entry["datalab"] = run_datalab(paths, env)
            log(f"  {entry['datalab'].get('wall_s')} s")
        if merge:
            _save_results(results)
    for n in (int(s) for s in args.recall_sizes.split(",") if s):
        log(f"ANN recall at {n:,} rows")
        results.setdefault("recall", {})[str(n)] = ann_recall(n)
        if merge:
            _save_results(results)
    if not args.skip_f1:
        log("scenario F1, exact vs ivf")
        results["f1"] = scenario_f1()
        if merge:
            _save_results(results)
    write_report(results, command, args.report)
    if merge:
        write_plot(results)
    log(f"wrote {args.report}" + (" and benchmarks/scale_plot.png" if merge else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
