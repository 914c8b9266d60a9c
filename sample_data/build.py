"""Rebuild the bundled sample data from the shared datasets.

Run from the repository root::

    python sample_data/build.py [--shared-dir DIR]   # default: benchmarks._data.data_dir()

Deterministic (seed 0): running it twice gives byte-identical files. It uses
``benchmarks/scenarios.py`` for the planted faults; see ``README.md`` here
for what each file holds.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import polars as pl

HERE = Path(__file__).resolve().parent
SEED = 0
N_CLASSES, TRAIN_PER_CLASS, EVAL_PER_CLASS, N_OOS = 28, 70, 20, 40
DECIMALS = 6


def _scenarios():
    sys.path.insert(0, str(HERE.parent / "benchmarks"))
    import scenarios

    return scenarios


def round_probs(frame: pl.DataFrame, classes: tuple[str, ...]) -> pl.DataFrame:
    """Round ``prob_*`` columns to 6 decimals; the largest absorbs the residue so rows sum to 1."""
    cols = [f"prob_{c}" for c in classes]
    probs = np.round(frame.select(cols).to_numpy(), DECIMALS)
    top = probs.argmax(axis=1)
    rows = np.arange(len(probs))
    probs[rows, top] = 0.0
    probs[rows, top] = np.round(1.0 - probs.sum(axis=1), DECIMALS)
    return frame.with_columns(pl.Series(c, probs[:, j]) for j, c in enumerate(cols))


def production_rows(scenarios, scenario, shared_dir: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """CLINC150 out-of-scope queries scored by the same model, as unlabelled traffic."""
    data = json.loads((shared_dir / "clinc150" / "data_full.json").read_text())
    oos = pl.DataFrame(data["oos_test"], schema=["text", "label"], orient="row").sample(N_OOS, seed=SEED)
    ids = [f"pr-{i:05d}" for i in range(1, N_OOS + 1)]
    scored = scenarios.fit_predict(scenario.train, oos, scenario.classes, seed=SEED)
    rows = pl.concat([pl.DataFrame({"id": ids, "label": [None] * N_OOS, "text": oos["text"]},
                                   schema_overrides={"label": pl.String}), scored], how="horizontal")
    truth = pl.DataFrame({"id": ids, "planted": ["coverage_gap"] * N_OOS, "true_label": ["oos"] * N_OOS})
    return rows, truth


def build_intents(scenarios, shared_dir: Path, out: Path) -> dict:
    scenario = scenarios.make_intent_scenario(
        "banking77", seed=SEED, n_classes=N_CLASSES, train_per_class=TRAIN_PER_CLASS,
        eval_per_class=EVAL_PER_CLASS, shared_dir=shared_dir)
    prod, prod_truth = production_rows(scenarios, scenario, shared_dir)
    evals = pl.concat([scenario.eval, prod]).select("id", "text", "label", pl.exclude("id", "text", "label"))
    round_probs(evals, scenario.classes).write_csv(out / "intents_eval.csv", float_precision=DECIMALS)
    scenario.train.select("id", "text", "label").write_csv(out / "intents_train.csv")
    scenario.annotations.write_csv(out / "intents_annotations.csv")
    truth = scenario.truth.with_columns(pl.col("planted").list.join(";"))
    pl.concat([truth, prod_truth]).write_csv(out / "intents_truth.csv")
    scenario.train_truth.write_csv(out / "intents_train_truth.csv")
    return scenario.plants


def build_rag(scenarios, shared_dir: Path, out: Path) -> None:
    rag = scenarios.make_rag_scenario(seed=SEED, n_questions=60, shared_dir=shared_dir)
    rag.eval.write_csv(out / "rag_eval.csv")
    rag.contexts.write_csv(out / "rag_contexts.csv")
    rag.truth.with_columns(pl.col("planted").list.join(";")).write_csv(out / "rag_truth.csv")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared-dir", type=Path, default=_scenarios().SHARED_DIR,
                        help="the shared datasets (default: $DIAGNOSE_DATA, else <repo root>/../shared/data)")
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args(argv)
    scenarios = _scenarios()
    plants = build_intents(scenarios, args.shared_dir, args.out)
    build_rag(scenarios, args.shared_dir, args.out)
    print(json.dumps(plants, indent=1))


if __name__ == "__main__":
    main()
