"""Measurement 3: coverage_gap on CLINC150 (out-of-scope and held-out domains).

Data: ``/work/shared/data/clinc150/data_full.json`` and ``domains.json``.
No derived file is written.

* Out-of-scope: train = the 15,000 in-scope training queries; scored =
  in-scope ``test`` (4,500, negatives) + ``oos_test`` (1,000, positives),
  eval labels withheld. Dev (used for every choice of features and k):
  ``val`` (3,000) + ``oos_val`` (100).
* Held-out domains: for each of 2 seeded draws, 2 of the 10 domains
  (30 intents) are removed from train; scored = all ``test`` queries;
  positives are the held-out domains' queries. Nothing is tuned here.

Metrics: AUROC and FPR at 95% recall of the positives.
Baselines in the same run: max softmax probability (1 − MSP) of the user's
model (TF-IDF word 1–2-grams + LogisticRegression trained on the training
side, as in ``benchmarks/scenarios.fit_predict``), and Datalab's outlier
score (``Datalab.find_issues(features=..., issue_types={"outlier": {}})`` on
the TF-IDF+SVD embeddings of train + scored rows, scores of the scored rows).
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import polars as pl
from sklearn.metrics import roc_auc_score, roc_curve

DATA = Path("/work/shared/data/clinc150")
log = logging.getLogger("benchmarks")
PUBLISHED = "Larson et al. 2019 report OOS recall/precision, not AUROC; no comparable published AUROC."


def fpr_at_recall(truth: np.ndarray, score: np.ndarray, recall: float = 0.95) -> float:
    fpr, tpr, _ = roc_curve(truth, score)
    return float(fpr[np.searchsorted(tpr, recall)])


def _frame(pairs, prefix: str, with_label: bool) -> pl.DataFrame:
    return pl.DataFrame({"id": [f"{prefix}{i}" for i in range(len(pairs))], "text": [t for t, _ in pairs],
                         "label": [l if with_label else None for _, l in pairs]}, schema_overrides={"label": pl.Utf8})


def ours(train: pl.DataFrame, scored: pl.DataFrame, probs: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """``CoverageGap`` scores for ``scored`` (labels withheld), as the product runs it.

    ``ours`` is the default (label-free, no probabilities); ``ours+probs`` sets
    ``use_probs=True`` with the user's model's eval probabilities given.
    """
    from diagnose.analyzers.base import Prepared
    from diagnose.analyzers.coverage_gap import CoverageGap

    ev = scored.with_columns(prediction=pl.lit(None, pl.Utf8), is_error=pl.lit(None, pl.Boolean), label=pl.lit(None, pl.Utf8))
    classes = tuple(sorted(set(train.get_column("label").to_list())))
    data = Prepared(task="classification", eval=ev, train=train, classes=classes, eval_probs=probs)
    analyzer = CoverageGap().fit(data)
    out = {"ours": analyzer.score(data).get_column("score_coverage_gap").to_numpy()}
    if probs is not None:
        analyzer.use_probs = True
        out["ours+probs"] = analyzer.score(data).get_column("score_coverage_gap").to_numpy()
    return out


def user_model_probs(train: pl.DataFrame, scored: pl.DataFrame, seed: int = 0) -> np.ndarray:
    """Class probabilities of the user's model for ``scored``."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    x = vec.fit_transform(train.get_column("text").to_list())
    model = LogisticRegression(C=10.0, solver="saga", tol=1e-3, max_iter=300, random_state=seed)
    model.fit(x, train.get_column("label").to_numpy())
    return model.predict_proba(vec.transform(scored.get_column("text").to_list()))


def datalab_outlier(train: pl.DataFrame, scored: pl.DataFrame, seed: int = 0) -> np.ndarray:
    """1 − Datalab outlier quality of the scored rows (features: TF-IDF+SVD embeddings)."""
    from cleanlab import Datalab

    from diagnose.embed import TfidfSvdEmbedder

    texts = train.get_column("text").to_list() + scored.get_column("text").to_list()
    feats = TfidfSvdEmbedder(n_components=256, seed=seed).fit(texts).transform(texts)
    lab = Datalab(data={"text": texts}, verbosity=0)
    lab.find_issues(features=feats, issue_types={"outlier": {}})
    quality = lab.get_issues("outlier")["outlier_score"].to_numpy()
    return 1.0 - quality[train.height:]


def _row(setting: str, truth: np.ndarray, scores: dict[str, np.ndarray], target: float) -> dict:
    out = {"setting": setting, "positives": int(truth.sum()), "negatives": int((~truth).sum()), "target": target}
    for name, s in scores.items():
        out[f"auroc_{name}"] = roc_auc_score(truth, s)
        out[f"fpr95_{name}"] = fpr_at_recall(truth, s)
    return out


def measure(n_domain_draws: int = 2) -> list[dict]:
    data = json.loads((DATA / "data_full.json").read_text())
    domains = json.loads((DATA / "domains.json").read_text())
    train = _frame(data["train"], "tr", True)
    rows = []
    for setting, ins, oos in (("dev: val vs oos_val", "val", "oos_val"), ("out-of-scope: test vs oos_test", "test", "oos_test")):
        log.info("coverage: %s", setting)
        scored = pl.concat([_frame(data[ins], "in", False), _frame(data[oos], "oos", False)])
        truth = np.r_[np.zeros(len(data[ins]), bool), np.ones(len(data[oos]), bool)]
        rows.append(_row(setting, truth, _scores(train, scored), 0.95))
    test = _frame(data["test"], "te", True)
    for seed in range(n_domain_draws):
        held = sorted(np.random.default_rng(seed).choice(sorted(domains), 2, replace=False).tolist())
        log.info("coverage: held-out domains %s", held)
        intents = {i for d in held for i in domains[d]}
        tr = train.filter(~pl.col("label").is_in(intents))
        truth = test.get_column("label").is_in(intents).to_numpy()
        scored = test.with_columns(label=pl.lit(None, pl.Utf8))
        rows.append(_row(f"held-out domains {'+'.join(held)} (seed {seed})", truth, _scores(tr, scored), 0.90))
    return rows


def _scores(train: pl.DataFrame, scored: pl.DataFrame) -> dict[str, np.ndarray]:
    probs = user_model_probs(train, scored)
    return {**ours(train, scored, probs), "msp": 1.0 - probs.max(axis=1), "datalab": datalab_outlier(train, scored)}


def run() -> str:
    rows = measure()
    lines = ["## coverage_gap: CLINC150 out-of-scope and held-out domains", "",
             "AUROC and FPR at 95% recall, eval labels withheld (ours is label-free). Baselines: 1 − max softmax "
             "probability of the user's model (TF-IDF + LogisticRegression on the same training side) and "
             "Datalab's outlier score. " + PUBLISHED, "",
             "**ours** = `CoverageGap()` defaults (label-free: char 2–5-gram TF-IDF, k=5, isolation percentile); "
             "**ours+probs** = `CoverageGap(use_probs=True)` given the user's model's eval probabilities "
             "(noisy-OR with 1 − MSP).", "",
             "| setting | pos | neg | AUROC ours | AUROC ours+probs | AUROC MSP | AUROC Datalab | FPR@95 ours | FPR@95 ours+probs | FPR@95 MSP | FPR@95 Datalab | target AUROC | met (best of ours) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:--:|"]
    for r in rows:
        met = "yes" if max(r["auroc_ours"], r["auroc_ours+probs"]) >= r["target"] else "no"
        lines.append(f"| {r['setting']} | {r['positives']} | {r['negatives']} | {r['auroc_ours']:.3f} | {r['auroc_ours+probs']:.3f} | "
                     f"{r['auroc_msp']:.3f} | {r['auroc_datalab']:.3f} | {r['fpr95_ours']:.3f} | {r['fpr95_ours+probs']:.3f} | "
                     f"{r['fpr95_msp']:.3f} | {r['fpr95_datalab']:.3f} | ≥ {r['target']:.2f} | {met} |")
    lines += ["", "The dev row (val vs oos_val) is where features and k were chosen; the other rows were not used for any choice.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    print(run())
