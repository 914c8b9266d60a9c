"""How fast the dashboard loads and draws each page on a 100k-row result.

Builds a synthetic result in memory (100k eval rows, 100k training rows, 300k
annotations, 500k neighbour rows, 20k conflicting passage pairs), saves it to a
temporary directory, then times through ``streamlit.testing.v1.AppTest``:

* the first load (cold caches: reading Parquet and drawing the Overview);
* each page's first render (shaping its tables once) and a second render
  (served from the cache, as when a user comes back to a page).

Writes ``benchmarks/results/dashboard_speed.md``. Usage::

    python benchmarks/dashboard_speed.py [--rows 100000]
"""
from __future__ import annotations

import argparse
import platform
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import polars as pl

import diagnose
from diagnose.analyzers import CAUSES
from diagnose.attribution import count_causes

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "dashboard" / "app.py"
OUT = ROOT / "benchmarks" / "results" / "dashboard_speed.md"
PAGES = ["overview", "coverage", "labels", "annotators", "context", "explorer"]
WORDS = "card refund top up transfer exchange rate fee pending declined cash atm verify identity".split()


def _texts(rng, n: int) -> list[str]:
    picks = rng.integers(len(WORDS), size=(n, 8))
    return [" ".join(WORDS[j] for j in row) for row in picks]


def synthetic_result(n: int, seed: int = 0) -> diagnose.Result:
    """A result with the shape of a real one, ``n`` eval and ``n`` training rows."""
    rng = np.random.default_rng(seed)
    classes = [f"class_{i:02d}" for i in range(40)]
    ids = [f"ev-{i:06d}" for i in range(n)]
    label = rng.choice(classes, n)
    is_error = rng.random(n) < 0.2
    prediction = np.where(is_error, rng.choice(classes, n), label)
    scores = {c: rng.random(n) for c in CAUSES}
    causes = [[c for c in CAUSES if scores[c][i] > 0.8] if is_error[i] else [] for i in range(n)]
    primary = [(max(cs, key=lambda c: scores[c][i]) if cs else "unexplained") if is_error[i] else None
               for i, cs in enumerate(causes)]
    evidence = {c: [f"{c} evidence for row {i}: score {scores[c][i]:.2f}" for i in range(n)] for c in CAUSES}
    examples = pl.DataFrame({
        "id": ids, "is_error": is_error, **{f"score_{c}": scores[c] for c in CAUSES},
        "causes": pl.Series(causes, dtype=pl.List(pl.Utf8)), "primary_cause": primary,
        "evidence": [" | ".join(evidence[c][i] for c in cs) or None for i, cs in enumerate(causes)],
        "text": _texts(rng, n), "label": label, "prediction": prediction,
        **{f"evidence_{c}": evidence[c] for c in CAUSES},
    })
    return diagnose.Result(examples, _summary(examples, classes), _tables(rng, ids, classes, n))


def _tables(rng, ids: list[str], classes: list[str], n: int) -> dict[str, pl.DataFrame]:
    train_ids = [f"tr-{i:06d}" for i in range(n)]
    train = pl.DataFrame({"id": train_ids, "text": _texts(rng, n), "label": rng.choice(classes, n)})
    issue = rng.random(n) < 0.1
    k, n_ann, n_map_train = 5, 20, 20_000
    annotators = [f"ann-{i:02d}" for i in range(n_ann)]
    ann_ids = np.repeat(np.array(ids), 3)
    conflict_rows = rng.choice(n, 20_000, replace=False)
    return {
        "train": train,
        "train_issues": pl.DataFrame({"id": train_ids, "label": train["label"], "is_label_issue": issue,
                                      "label_quality": rng.random(n),
                                      "suggested_label": np.where(issue, rng.choice(classes, n), train["label"]),
                                      "annotator_support": rng.random(n)}),
        "neighbors": pl.DataFrame({"id": np.repeat(np.array(ids), k), "rank": np.tile(np.arange(1, k + 1), n),
                                   "train_id": rng.choice(train_ids, n * k), "similarity": rng.random(n * k)}),
        "embedding_map": pl.DataFrame({"id": ids + train_ids[:n_map_train],
                                       "split": ["eval"] * n + ["train"] * n_map_train,
                                       "x": rng.normal(size=n + n_map_train), "y": rng.normal(size=n + n_map_train)}),
        "coverage_regions": pl.DataFrame({"region": list(range(30)), "n_rows": rng.integers(5, 500, 30),
                                          "n_errors": rng.integers(0, 100, 30),
                                          "top_terms": [list(rng.choice(WORDS, 5)) for _ in range(30)],
                                          "example_ids": [list(rng.choice(ids, 5)) for _ in range(30)]}),
        "annotations": pl.DataFrame({"id": ann_ids, "annotator": rng.choice(annotators, 3 * n),
                                     "label": rng.choice(classes, 3 * n)}).unique(["id", "annotator"]),
        "annotators": pl.DataFrame({"annotator": annotators, "n_labels": rng.integers(1000, 20000, n_ann),
                                    "agreement_with_consensus": rng.random(n_ann), "quality": rng.random(n_ann)}),
        "annotation_items": pl.DataFrame({"id": ids, "split": ["eval"] * n, "n_annotators": [3] * n,
                                          "consensus_label": rng.choice(classes, n), "agreement": rng.random(n),
                                          "consensus_quality": rng.random(n)}),
        "contexts": pl.DataFrame({"id": np.repeat(np.array(ids)[conflict_rows], 2),
                                  "passage_id": [f"p{i}" for i in range(40_000)], "passage": _texts(rng, 40_000)}),
        "context_conflicts": pl.DataFrame({
            "id": np.array(ids)[conflict_rows], "passage_a": [f"p{2 * i}" for i in range(20_000)],
            "sentence_a": [f"It was built in {1800 + i % 200}." for i in range(20_000)],
            "span_a": [str(1800 + i % 200) for i in range(20_000)],
            "passage_b": [f"p{2 * i + 1}" for i in range(20_000)],
            "sentence_b": [f"It was built in {1900 + i % 100}." for i in range(20_000)],
            "span_b": [str(1900 + i % 100) for i in range(20_000)],
            "kind": ["date"] * 20_000, "strength": rng.random(20_000)}),
    }


def _summary(examples: pl.DataFrame, classes: list[str]) -> dict:
    n_err = int(examples["is_error"].sum())
    ran = {"status": "ran", "settings": {}, "findings": {}}
    return {
        "task": "classification", "n_eval": examples.height, "n_labelled": examples.height, "n_errors": n_err,
        "accuracy": 1 - n_err / examples.height, "counts": count_causes(examples),
        "thresholds": {c: {"threshold": 0.8, "method": "synthetic", "correct_rows": 0} for c in CAUSES},
        "analyzers": {**{c: dict(ran) for c in CAUSES},
                      "annotator_inconsistency": {"status": "ran", "settings": {}, "findings": {
                          "krippendorff_alpha": 0.41, "alpha_reading": "unreliable"}}},
        "inputs": {}, "classes": classes, "seed": 0, "timings_seconds": {}, "versions": {},
    }


def _timed(step) -> float:
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def measure(directory: Path) -> dict[str, tuple[float, float]]:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=600)
    at.session_state["result_dir"] = str(directory)
    timings = {"first load (read Parquet + Overview)": (_timed(at.run), float("nan"))}
    for page in PAGES:
        first = _timed(lambda page=page: at.switch_page(f"views/{page}.py").run())
        assert not at.exception, (page, [e.value for e in at.exception])
        second = _timed(lambda page=page: at.switch_page(f"views/{page}.py").run())
        timings[page] = (first, second)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    start = time.perf_counter()
    result = synthetic_result(args.rows)
    build = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        folder = result.save(Path(tmp) / "result", reports=False)
        save = time.perf_counter() - start
        timings = measure(folder)
    lines = [
        "# Dashboard speed", "",
        f"Synthetic result: {args.rows:,} eval rows, {args.rows:,} training rows, "
        f"{result.table('annotations').height:,} annotations, {result.table('neighbors').height:,} neighbour rows, "
        f"{result.table('embedding_map').height:,} map points (the scatter draws at most 20,000), "
        f"{result.table('context_conflicts').height:,} passage conflicts.",
        f"Built in {build:.1f} s, saved (Parquet, no reports) in {save:.1f} s.", "",
        f"Machine: {platform.machine()}, {platform.system()}, Python {platform.python_version()}; "
        "timed with `streamlit.testing.v1.AppTest` (script run time, no browser rendering).", "",
        "| step | first render (s) | cached re-render (s) |", "|---|---:|---:|",
    ]
    for step, (first, second) in timings.items():
        lines.append(f"| {step} | {first:.2f} | {'—' if second != second else f'{second:.2f}'} |")
    lines += ["", "Re-run with `python benchmarks/dashboard_speed.py`."]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
