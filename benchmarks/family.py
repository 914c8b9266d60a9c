"""Scenario families: diagnose's verdicts on fault recipes drawn at random (issue 14).

Each seed draws a recipe (:func:`benchmarks._family_recipes.draw_recipe`):
a dataset (BANKING77, CLINC150, TREC coarse question types, SST-5
sentiment, in turn by ``seed % 4``), withheld classes, label noise of a
kind at a place, annotators, split (ambiguous) items, how often two causes
share a row, class imbalance and sizes. The recipe is planted on the
dataset, the user's model (TF-IDF + logistic regression,
:func:`benchmarks.scenarios.fit_predict`) is trained on the noisy training
table, and ``diagnose.run(eval, train, annotations)`` runs with default
settings. Measures per draw are computed among eval errors (gold !=
prediction) against the planted truth; the report gives, per dataset and
overall, the median and the worst draw of each measure.

Seeds: ``dev`` = 0-9 (settings may be chosen on these), ``report`` =
100-123 (never used to choose anything).

Usage::

    python -m benchmarks.family --seeds dev|report|0,1,2 --out benchmarks/results/family_<name>.md [--jobs 1] [--no-fault]
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # before numpy loads: threaded BLAS
    os.environ.setdefault(_var, "1")  # on 2 shared cores made one run 5-10x slower (oversubscription)

import argparse
import json
import logging
import statistics
import subprocess
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import polars as pl

from benchmarks import _family_recipes as recipes

log = logging.getLogger("benchmarks.family")

SEED_SETS = {"dev": list(range(10)), "report": list(range(100, 124))}
CAUSES = ("coverage_gap", "noisy_label", "annotator_inconsistency")
MIN_N = 5  # a draw enters a measure's median and worst only with at least this many rows behind it
#: measure -> (label, higher is better)
MEASURES: dict[str, tuple[str, bool]] = {
    **{f"{c}.{m}": (f"{c} {m}", True) for c in CAUSES for m in ("precision", "recall", "f1")},
    "primary_accuracy": ("primary-cause accuracy", True),
    "double_recall": ("double-cause errors with both", True),
    "gold_recall": ("eval gold flipped: noisy_label recall", True),
    "gold_false_flag": ("eval gold: false-flag share of noisy_label", False),
    "no_fault_any_cause": ("no-fault draws: errors given any cause", False),
    **{f"{c}.calibration_gap": (f"{c} stated - measured precision", False) for c in CAUSES},
}


# ---------------------------------------------------------------- measures
def _ratio(hit: int, n: int) -> dict[str, Any]:
    return {"value": hit / n if n else None, "n": n}


def measure_draw(draw: recipes.Draw, examples: pl.DataFrame) -> dict[str, dict[str, Any]]:
    """Measures of one draw among its eval errors; each is ``{"value": float | None, "n": int}``."""
    cols = ["id", "causes", "primary_cause"] + [c for c in examples.columns if c.startswith("precision_")]
    frame = (draw.eval.select("id", "label", "prediction").join(draw.truth, on="id")
             .join(examples.select(cols), on="id", how="left")
             .filter(pl.col("label").is_not_null() & (pl.col("label") != pl.col("prediction"))))
    rows = frame.to_dicts()
    for r in rows:
        r["planted"], r["causes"] = set(r["planted"] or []), set(r["causes"] or [])
    out: dict[str, dict[str, Any]] = {"errors": {"value": None, "n": len(rows)}}
    if draw.recipe.no_fault:
        out["no_fault_any_cause"] = _ratio(sum(bool(r["causes"]) for r in rows), len(rows))
        return out
    for c in CAUSES:
        tp = sum(c in r["planted"] and c in r["causes"] for r in rows)
        planted, assigned = sum(c in r["planted"] for r in rows), sum(c in r["causes"] for r in rows)
        p, rec = _ratio(tp, assigned), _ratio(tp, planted)
        f1 = (2 * tp / (planted + assigned)) if planted else None
        out[f"{c}.precision"], out[f"{c}.recall"] = p, rec
        out[f"{c}.f1"] = {"value": f1, "n": planted}
        out[f"{c}.calibration_gap"] = _calibration(rows, c, p)
    planted_rows = [r for r in rows if r["planted"]]
    out["primary_accuracy"] = _ratio(sum(r["primary_cause"] in r["planted"] for r in planted_rows), len(planted_rows))
    doubles = [r for r in rows if len(r["planted"]) >= 2]
    out["double_recall"] = _ratio(sum(r["planted"] <= r["causes"] for r in doubles), len(doubles))
    if draw.recipe.noise_rate > 0 and draw.recipe.noise_where in ("eval", "both"):
        out.update(_gold_measures(rows))
    return out


def _gold_measures(rows: list[dict]) -> dict[str, dict[str, Any]]:
    """Eval-gold flags, on errors that planted training flips do not explain (truth: gold flipped)."""
    rows = [r for r in rows if r["gold_flipped"] or "noisy_label" not in r["planted"]]
    flipped = [r for r in rows if r["gold_flipped"]]
    flagged = [r for r in rows if "noisy_label" in r["causes"]]
    return {"gold_recall": _ratio(sum("noisy_label" in r["causes"] for r in flipped), len(flipped)),
            "gold_false_flag": _ratio(sum(not r["gold_flipped"] for r in flagged), len(flagged))}


def _calibration(rows: list[dict], cause: str, measured: dict[str, Any]) -> dict[str, Any]:
    """Mean stated precision of the cause's verdicts minus their measured precision (n/a without the column)."""
    col = f"precision_{cause}"
    if not rows or col not in rows[0]:
        return {"value": None, "n": 0, "missing": True}
    stated = [r[col] for r in rows if cause in r["causes"] and r[col] is not None]
    if not stated or measured["value"] is None:
        return {"value": None, "n": len(stated)}
    return {"value": statistics.fmean(stated) - measured["value"], "n": len(stated)}


# --------------------------------------------------------------------- run
def run_draw(seed: int, no_fault: bool | None = None, settings: dict | None = None, model: str = "lr",
             truth: str = "share") -> dict[str, Any]:
    """Draw, plant, diagnose and measure one seed (``model``: the user's model, see :mod:`benchmarks._user_models`;
    ``truth``: ``share`` or ``counterfactual``, see :mod:`benchmarks._family_recipes`)."""
    import diagnose
    from benchmarks._user_models import MODELS

    recipe = recipes.draw_recipe(seed, no_fault=no_fault)
    start = time.perf_counter()
    draw = recipes.build_draw(recipe, recipes.load_pool(recipe.dataset), fit_predict=MODELS[model],
                              counterfactual=truth == "counterfactual")
    built = time.perf_counter()
    annotations = draw.annotations if draw.annotations.height else None
    result = diagnose.run(draw.eval, draw.train, annotations, seed=0, config=diagnose.RunConfig(progress=False, **(settings or {})))
    done = time.perf_counter()
    errors = draw.truth.join(draw.eval.select("id", "label", "prediction"), on="id").filter(
        pl.col("label") != pl.col("prediction"))
    planted = {c: int(errors["planted"].list.contains(c).sum()) for c in CAUSES}
    planted["double"] = int((errors["planted"].list.len() >= 2).sum())
    planted["natural"] = int((errors["planted"].list.len() == 0).sum())
    log.info("seed %d %s: build %.1fs, diagnose %.1fs", seed, recipe.dataset, built - start, done - built)
    return {"seed": seed, "recipe": recipe.to_dict(), "info": draw.info, "planted_errors": planted,
            "seconds": {"build": round(built - start, 1), "diagnose": round(done - built, 1)},
            "measures": measure_draw(draw, result.examples)}


def run_seeds(seeds: list[int], *, jobs: int = 1, no_fault: bool | None = None,
              settings: dict | None = None, model: str = "lr", truth: str = "share") -> list[dict[str, Any]]:
    if jobs <= 1:
        return [run_draw(s, no_fault, settings, model, truth) for s in seeds]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        n = len(seeds)
        return list(pool.map(run_draw, seeds, [no_fault] * n, [settings] * n, [model] * n, [truth] * n))


# ------------------------------------------------------------------ report
def summarise(draws: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per measure: median and worst over draws with at least ``MIN_N`` rows behind it."""
    out = {}
    for key, (_, higher) in MEASURES.items():
        vals = [(d["measures"][key]["value"], d["measures"][key]["n"], d["seed"]) for d in draws
                if key in d["measures"]]
        used = [(v, n, s) for v, n, s in vals if v is not None and n >= MIN_N]
        missing = any(d["measures"].get(key, {}).get("missing") for d in draws)
        if not used:
            out[key] = {"draws": 0, "skipped": len(vals), "missing": missing}
            continue
        if key.endswith("calibration_gap"):
            w = max(used, key=lambda t: abs(t[0]))
        else:
            w = (min if higher else max)(used, key=lambda t: t[0])
        out[key] = {"draws": len(used), "skipped": len(vals) - len(used), "median": statistics.median(v for v, _, _ in used),
                    "worst": w[0], "worst_seed": w[2], "worst_n": w[1],
                    "median_n": statistics.median(n for _, n, _ in used), "missing": missing}
    return out


def _table(summary: dict[str, dict[str, Any]]) -> list[str]:
    lines = [f"| measure | draws (n ≥ {MIN_N}) | median | worst | worst draw: seed (n) | median n | draws left out (n < {MIN_N}) |",
             "|---|---:|---:|---:|---|---:|---:|"]
    for key, (label, _) in MEASURES.items():
        s = summary[key]
        if not s["draws"]:
            why = "n/a (no `precision_<cause>` column)" if s.get("missing") else "–"
            lines.append(f"| {label} | 0 | {why} | {why} | – | – | {'–' if s.get('missing') else s['skipped']} |")
            continue
        lines.append(f"| {label} | {s['draws']} | {s['median']:.3f} | {s['worst']:.3f} | {s['worst_seed']} ({s['worst_n']}) "
                     f"| {s['median_n']:g} | {s['skipped']} |")
    return lines


def _recipe_row(d: dict[str, Any]) -> str:
    r, i, p = d["recipe"], d["info"], d["planted_errors"]
    votes = "none" if not r["votes_per_item"] else (f"{r['votes_per_item']}×{r['n_annotators']} ann, acc "
                                                     f"{r['accuracy_high'] - r['accuracy_spread']:.2f}-{r['accuracy_high']:.2f}")
    noise = "–" if not r["noise_rate"] else f"{r['noise_rate']:.2f} {r['noise_kind']} @{r['noise_where']}"
    return (f"| {d['seed']} | {r['dataset']}{' (no fault)' if r['no_fault'] else ''} | {i['classes']} | {len(i['withheld'])} "
            f"| {noise} | {votes} | {r['split_share']:.2f} | {r['overlap']:.2f} | {r['zipf']:.2f} | {i['n_train']} | {i['n_eval']} "
            f"| {d['measures']['errors']['n']} | {p['coverage_gap']}/{p['noisy_label']}/{p['annotator_inconsistency']}/"
            f"{p['double']}/{p['natural']} | {d['seconds']['build']} + {d['seconds']['diagnose']} |")


SPACE = f"""## Recipe space (one recipe per seed: `benchmarks._family_recipes.draw_recipe`)

- **dataset**: banking77, clinc150, trec (6 coarse question types), sst (5 fine sentiment classes), in turn by
  `seed % 4`; each dataset's splits pooled, texts with conflicting labels dropped. banking77 keeps 40-77 of its
  intents, clinc150 40-150 (in-scope only), trec and sst all their classes.
- **withheld classes**: 0-30% of the kept classes (rounded; 0-2 of trec's 6, 0-1 of sst's 5) get no training rows.
- **label noise**: rate 0-25%; kind *uniform* (random other seen class), *pair* (A -> B, B = A's most similar class by
  TF-IDF centroid, 20-45% of A's rows, as many pairs as make the rate) or *near_dup* (rows with a same-class
  near-duplicate, cosine >= {recipes.NEAR_DUP_COS}, which keeps its label; flipped to the class of their closest
  other-class row); it sits in the training labels, the eval gold, or both (same rate on each side). Eval gold flips
  go to a random other class (uniform), the class's pair / most similar class (pair), or the label of the closest
  other-class training row (near_dup).
- **annotations**: none in 1/4 of draws; else 1-5 votes per item from 3-10 annotators whose accuracies are uniform in
  [high - spread, high], high 0.85-0.98, spread 0-0.4 (a wrong vote is a random other class), on 10-50% of the training
  rows and 30-100% of the eval rows.
- **split (ambiguous) items**: 0-15% of all items, only when there are annotations: per split pair (A, B = A's most
  similar class) the 30-70% of A's rows that lean most towards B; each vote means A or B at 50/50, a training row's
  label is A or B at 50/50 (not counted as a planted flip).
- **two causes on a row**: overlap 0-0.5 = the share of eval gold flips aimed at rows that already carry a cause
  (withheld-class or split rows), and the chance that a split pair reuses a noise pair.
- **imbalance**: none in 40% of draws, else Zipf exponent a in 0.3-1.2: the class at random rank r keeps rows in
  proportion to (r + 1)^-a x its available rows (floors: 5 train, 2 eval rows per class).
- **sizes**: eval drawn 500-5000, capped at {recipes.EVAL_CAP} rows (and half the pool) so a draw stays short;
  train capped at {recipes.TRAIN_CAP} rows.
- **no-fault draws**: seeds with `(seed // 4) % 6 == {recipes.NO_FAULT_BLOCK}` (1 in 6; 104-107 of the report seeds, 8-9 of
  the dev seeds), or every draw with `--no-fault`: no withheld classes, flips or splits; annotators, when drawn, still
  make their ordinary mistakes.
- **user's model**: TF-IDF + logistic regression (`benchmarks.scenarios.fit_predict`) trained on the noisy training
  table, unless `--model` names another (`benchmarks/_user_models.py`: tempered flatter or sharper, naive Bayes,
  k-nearest neighbours); `diagnose.run(eval, train, annotations, seed=0)` with default settings.

## Truth per eval error (gold != prediction)

- coverage_gap: its true class was withheld;
- noisy_label: its eval gold was flipped, or planted training flips moved at least {recipes.MIN_FLIP_SHARE:.0%} (and
  at least 2) of its true class's training rows to the predicted label (any noise kind); with `--truth counterfactual`
  (this run: {{truth}}), instead of the flip share: the same model trained on the labels without the planted flips
  gets the row right;
- annotator_inconsistency: it is a split item of pair (A, B) with votes in the annotations, and its gold and
  prediction both lie in {{A, B}};
- none of these: a natural error (a cause given to it is a false positive).
"""


def render(draws: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    seeds = ", ".join(str(d["seed"]) for d in draws)
    lines = [f"# Scenario families: `{meta['command']}`", "",
             (f"diagnose imported from `{meta['diagnose_file']}` (commit `{meta['commit']}`); {len(draws)} draws, "
              f"seeds {seeds}; user's model `{meta.get('model', 'lr')}`; wall time {meta['wall_seconds'] / 60:.1f} min with --jobs {meta['jobs']} (load average "
              f"{meta['load_start']} at start, {meta['load_end']} at end; other processes shared the 2 cores)."), "",
             (f"Measures per draw among eval errors. Per-cause measures and primary / double leave out no-fault draws "
              f"(they have their own row). Worst = lowest where higher is better, highest for false flags and no-fault "
              f"causes, largest |gap| for calibration. A draw enters a measure only with n >= {MIN_N} rows behind it "
              "(n: planted errors for recall / F1, verdicts for precision, errors with >= 1 / >= 2 planted causes for "
              "primary / double, flipped-gold errors for gold recall, noisy_label verdicts for false flags, all errors "
              "for no-fault). Eval gold measures: draws with eval gold noise, on errors that planted training flips do "
              "not explain. Calibration: mean `precision_<cause>` of the cause's verdicts minus its measured precision."),
             ""]
    for name in sorted({d["recipe"]["dataset"] for d in draws}) + ["overall"]:
        subset = [d for d in draws if name in ("overall", d["recipe"]["dataset"])]
        lines += [f"## {name} ({len(subset)} draws: seeds {', '.join(str(d['seed']) for d in subset)})", ""]
        lines += [*_table(summarise(subset)), ""]
    lines += [SPACE.replace("{truth}", meta.get("truth", "share")), "## Draws", "",
              ("Planted errors: coverage_gap / noisy_label / annotator_inconsistency / double / natural. "
               "Seconds: build (plant + user's model) + diagnose."), "",
              ("| seed | dataset | classes | withheld | noise | votes | split share | overlap | zipf | train | eval "
               "| errors | planted errors | seconds |"),
              "|---:|---|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---|---|"]
    lines += [_recipe_row(d) for d in draws]
    return "\n".join(lines) + "\n"


def _seeds(text: str) -> list[int]:
    return SEED_SETS[text] if text in SEED_SETS else [int(s) for s in text.split(",") if s.strip()]


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.family", description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="dev", help="dev (0-9), report (100-123) or a comma list")
    parser.add_argument("--out", required=True, type=Path, help="markdown path; the JSON goes next to it")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--no-fault", action="store_true", help="plant nothing in every draw")
    parser.add_argument("--min-precision", type=float, default=None,
                        help="RunConfig.min_precision for every run (default: the library's), to study the setting")
    parser.add_argument("--model", default="lr", choices=("lr", "flat", "sharp", "nb", "knn"),
                        help="the user's model whose predictions are diagnosed (see benchmarks/_user_models.py)")
    parser.add_argument("--truth", default="share", choices=("share", "counterfactual"),
                        help="noisy_label truth on the training side: a planted flip share of the (true, predicted) "
                             "pair (share), or the same model trained without the flips gets the row right")
    parser.add_argument("--render", type=Path, help="only rewrite --out from this saved JSON of draws")
    parser.add_argument("--noise", choices=("one_coin", "confusion"), default=None,
                        help="annotator noise model of the ambiguity posterior (default: the library's; --jobs 1 only)")
    args = parser.parse_args(argv)
    if args.render:
        saved = json.loads(args.render.read_text())
        args.out.write_text(render(saved["draws"], saved["meta"]))
        return
    import diagnose
    from diagnose import votes

    votes.NOISE = args.noise or votes.NOISE
    root = Path(diagnose.__file__).resolve().parents[1]
    commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False).stdout.strip()
    meta = {"command": "python -m benchmarks.family " + " ".join(argv if argv is not None else __import__("sys").argv[1:]),
            "diagnose_file": str(Path(diagnose.__file__).resolve()), "commit": commit or "unknown",
            "jobs": args.jobs, "load_start": _load(), "noise": __import__("diagnose").votes.NOISE}
    start = time.perf_counter()
    settings = {} if args.min_precision is None else {"min_precision": args.min_precision}
    meta["model"], meta["truth"] = args.model, args.truth
    draws = run_seeds(_seeds(args.seeds), jobs=args.jobs, no_fault=True if args.no_fault else None, settings=settings,
                      model=args.model, truth=args.truth)
    meta.update(wall_seconds=time.perf_counter() - start, load_end=_load())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(draws, meta))
    args.out.with_suffix(".json").write_text(json.dumps({"meta": meta, "draws": draws}, indent=1, default=str))
    log.info("wrote %s and %s", args.out, args.out.with_suffix(".json"))


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    main()
