"""Measurement 3: coverage_gap on CLINC150 (out-of-scope and held-out domains).

Data: ``clinc150/data_full.json`` under :func:`benchmarks._data.data_dir` and ``domains.json``.
No derived file is written.

* Out-of-scope: train = the 15,000 in-scope training queries; scored =
  in-scope ``test`` (4,500, negatives) + ``oos_test`` (1,000, positives),
  eval labels withheld. Dev (used for every choice of features, k and signals):
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
Ours runs through ``diagnose.pipeline.prepare`` (embeddings, neighbours,
cross-validated proxy probabilities) exactly as ``diagnose.run`` would.
"""
from __future__ import annotations

import json
import logging

import numpy as np
import polars as pl
from sklearn.metrics import roc_auc_score, roc_curve

from benchmarks._data import data_dir

DATA = data_dir() / "clinc150"
log = logging.getLogger("benchmarks")
PUBLISHED = "Larson et al. 2019 report OOS recall/precision, not AUROC; no comparable published AUROC."


def fpr_at_recall(truth: np.ndarray, score: np.ndarray, recall: float = 0.95) -> float:
    fpr, tpr, _ = roc_curve(truth, score)
    return float(fpr[np.searchsorted(tpr, recall)])


def _frame(pairs, prefix: str, with_label: bool) -> pl.DataFrame:
    return pl.DataFrame({"id": [f"{prefix}{i}" for i in range(len(pairs))], "text": [t for t, _ in pairs],
                         "label": [lab if with_label else None for _, lab in pairs]}, schema_overrides={"label": pl.Utf8})


def ours(train: pl.DataFrame, scored: pl.DataFrame, probs: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """``CoverageGap`` scores for ``scored`` (labels withheld), as ``diagnose.run`` computes them.

    The shared representation comes from :func:`diagnose.pipeline.prepare` on
    the eval texts alone (no labels, predictions or probabilities), so the
    classifier probabilities are the cross-validated proxy's. ``ours`` is the
    default analyzer; ``ours+probs`` is ``use_probs=True`` with the user's
    model's eval probabilities given (as ``prob_<class>`` columns would give
    them: training probabilities stay the proxy's).
    """
    from dataclasses import replace

    from diagnose.causes.coverage_gap.analyzer import CoverageGap
    from diagnose.pipeline import RunConfig, prepare
    from diagnose.validate import load_inputs

    inputs = load_inputs(scored.select("id", "text"), train, task="classification")
    data = prepare(inputs, seed=0, config=RunConfig(progress=False))
    out = {"ours": CoverageGap().fit(data).score(data).get_column("score_coverage_gap").to_numpy()}
    if probs is not None:
        col = {c: j for j, c in enumerate(sorted(set(train.get_column("label").to_list())))}
        given = replace(data, eval_probs=probs[:, [col[c] for c in data.classes]])
        analyzer = CoverageGap(use_probs=True).fit(given)
        out["ours+probs"] = analyzer.score(given).get_column("score_coverage_gap").to_numpy()
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
             "AUROC and FPR at 95% recall, eval labels withheld (ours reads no eval labels; it uses training labels). Baselines: 1 − max softmax "
             "probability of the user's model (TF-IDF + LogisticRegression on the same training side) and "
             "Datalab's outlier score. " + PUBLISHED, "",
             ("**ours** = `CoverageGap()` defaults as `diagnose.run` computes them (eval texts only: no labels, "
             "predictions or probabilities): the mean of three calibrated novelty signals, each the share of "
             "(leave-one-out) training rows it exceeds: character 2–5-gram TF-IDF isolation (k=5), distance to the "
             "closest training-class centre, and the entropy of the pipeline's cross-validated proxy classifier; "
             "**ours+probs** = `CoverageGap(use_probs=True)` given the user's model's eval probabilities "
             "(they replace the proxy's in the entropy signal; noisy-OR with the top probability on top)."), "",
             "| setting | pos | neg | AUROC ours | AUROC ours+probs | AUROC MSP | AUROC Datalab | FPR@95 ours | FPR@95 ours+probs | FPR@95 MSP | FPR@95 Datalab | target AUROC | met (best of ours) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:--:|"]
    for r in rows:
        met = "yes" if max(r["auroc_ours"], r["auroc_ours+probs"]) >= r["target"] else "no"
        lines.append(f"| {r['setting']} | {r['positives']} | {r['negatives']} | {r['auroc_ours']:.3f} | {r['auroc_ours+probs']:.3f} | "
                     f"{r['auroc_msp']:.3f} | {r['auroc_datalab']:.3f} | {r['fpr95_ours']:.3f} | {r['fpr95_ours+probs']:.3f} | "
                     f"{r['fpr95_msp']:.3f} | {r['fpr95_datalab']:.3f} | ≥ {r['target']:.2f} | {met} |")
    lines += ["", ("The dev row (val vs oos_val) is where features, k and the signals were chosen; the other rows were "
              "not used for any choice. Dev AUROC of the candidates (same run set-up): isolation alone 0.925; "
              "+ class-centre distance 0.946; + proxy entropy (the default) 0.959; entropy rather than 1 − top "
              "probability (0.958) and the plain mean of shares rather than noisy-OR (0.955) or a logit sum "
              "(0.957). Tried and dropped on dev: word 1–2-gram TF-IDF isolation (0.77–0.79 alone), Mahalanobis "
              "distance to class means in TF-IDF+SVD spaces (0.65–0.83), local density ratios (LOF-like, "
              "0.72–0.89), k-NN label-vote uncertainty (0.82–0.85 alone; no gain combined). Trade-off, also "
              "measured on dev: at the threshold passing 5% of the in-scope rows the user's model gets right, "
              "isolation alone flags 64% of out-of-scope rows and 19% of its in-scope errors, the default 83% "
              "and 34% (AUROC out-of-scope vs in-scope errors 0.820 → 0.843): the centre and entropy signals also "
              "rise on hard in-scope rows, so `signals=(\"isolation\",)` is the more specific setting. Rows scored "
              "here are unlabelled, so the reference of labelled rows (`outcome_reference`, see the attribution "
              "section) does not change these numbers."), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    print(run())
