"""Would a re-run after relabelling 1% of training rows gain from warm-starting the proxy's fold fits?

On the scale benchmark's data (``benchmarks/scale.py``), for one cross-validation fold of the proxy
(:func:`diagnose.probs.fold_model`, fits capped at 20k rows): L-BFGS iterations and seconds of a cold fit on
the relabelled rows against a fit started from the previous labels' fold model, with today's folds
(label-stratified, so they move when labels change) and with the fold rows kept as they were (folds by row),
and how far the warm-started held-out probabilities land from the cold ones (the solver stops at a gradient
tolerance, so the start shows in the result).

    python -m benchmarks.rerun_warm_start --rows 100000 --out benchmarks/results/rerun_warm_start.md
"""
from __future__ import annotations

import argparse
import os
import subprocess
import time
from pathlib import Path

import numpy as np
import polars as pl

from benchmarks._scale_data import log, make_dataset
from benchmarks.scale import relabelled

HERE = Path(__file__).resolve().parent


def _timed(fit):
    start = time.process_time()
    model = fit()
    return model, round(time.process_time() - start, 2)


def measure(n: int, seed: int = 0) -> dict:
    """Iterations, CPU seconds and probability differences of cold and warm fold fits at ``n`` rows."""
    from diagnose import probs
    from diagnose.embed import TfidfSvdEmbedder

    paths = make_dataset(n)
    before, after = pl.read_parquet(paths["train"]), pl.read_parquet(relabelled(paths)["train"])
    texts = before.get_column("text").to_list()
    x = TfidfSvdEmbedder(seed=seed).fit(texts).transform(texts)
    classes = sorted(set(before.get_column("label").to_list()) | set(after.get_column("label").to_list()))
    index = {c: i for i, c in enumerate(classes)}
    y0, y1 = (np.array([index[c] for c in t.get_column("label").to_list()]) for t in (before, after))
    k = len(classes)
    old, new = probs.fold_indices(y0, k, seed=seed), probs.fold_indices(y1, k, seed=seed)
    prior, _ = _timed(lambda: probs.fold_model(x, y0, old[0][0], k, seed=seed))
    out = {"rows": n, "changed_labels": int((y0 != y1).sum()), "folds": len(old),
           "held_out_rows_kept_in_fold": round(len(np.intersect1d(old[0][1], new[0][1])) / len(old[0][1]), 3)}
    for name, split in (("label-stratified folds (today)", new[0]), ("folds kept by row", old[0])):
        cold, cold_s = _timed(lambda s=split: probs.fold_model(x, y1, s[0], k, seed=seed))
        warm, warm_s = _timed(lambda s=split: probs.fold_model(x, y1, s[0], k, seed=seed, init=prior))
        p_cold, p_warm = (probs.predict_expanded(m, x, split[1], k) for m in (cold, warm))
        diff = np.abs(p_cold - p_warm)
        out[name] = {"cold_iterations": cold.n_iter_, "warm_iterations": warm.n_iter_, "cold_cpu_s": cold_s,
                     "warm_cpu_s": warm_s, "max_abs_prob_diff": float(diff.max()),
                     "mean_l1_per_row": float(diff.sum(axis=1).mean()),
                     "argmax_changed": float((p_cold.argmax(axis=1) != p_warm.argmax(axis=1)).mean())}
    return out


def report(result: dict, command: str) -> str:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True).stdout.strip()
    lines = ["# Warm-starting the proxy's fold fits on a re-run", "",
             f"`{command}` at commit {commit}, load {os.getloadavg()[0]:.1f}, one BLAS thread "
             "(CPU seconds of the fit: the machine is shared).", "",
             f"{result['rows']:,} training rows, {result['changed_labels']:,} relabelled (scale.py's re-run), "
             f"{result['folds']} folds; share of fold 0's held-out rows still in fold 0 after the relabelling with "
             f"today's folds: {result['held_out_rows_kept_in_fold']}.", "",
             "| folds | cold iterations | warm iterations | cold CPU (s) | warm CPU (s) | max abs prob diff | "
             "mean L1 per row | argmax changed |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name in ("label-stratified folds (today)", "folds kept by row"):
        r = result[name]
        lines.append(f"| {name} | {r['cold_iterations']} | {r['warm_iterations']} | {r['cold_cpu_s']} | {r['warm_cpu_s']} | "
                     f"{r['max_abs_prob_diff']:.3f} | {r['mean_l1_per_row']:.4f} | {r['argmax_changed']:.2%} |")
    lines += ["", "With today's folds a warm start saves nothing (half of each fold's held-out rows were in the other "
              "fold's fit, and starting from a model that saw them would leak them into their out-of-fold "
              "probabilities). With folds kept by row it saves some iterations, but the solver's tolerance lets the "
              "start show in the probabilities (last two columns), so a re-run would no longer reproduce a cold run; "
              "the cache therefore does not warm-start the proxy.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    command = "python -m benchmarks.rerun_warm_start " + " ".join(argv if argv is not None else __import__("sys").argv[1:])
    result = measure(args.rows)
    args.out.write_text(report(result, command))
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
