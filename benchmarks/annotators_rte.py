"""Benchmark: consensus labels and annotator quality on Snow et al. (2008) RTE.

800 RTE-1 items, each labelled by 10 of 164 Mechanical Turk workers, with the
expert (gold) label. We compare the ``annotator_inconsistency`` analyzer's
consensus labels and annotator quality with majority vote, a textbook
Dawid-Skene EM and cleanlab's CROWDLAB, using all 10 labels per item and random
subsamples of 5 and 3 labels per item. Gold labels are used only to score.

Run ``python -m benchmarks.annotators_rte``; it writes
``benchmarks/results/annotators_rte.md``.
The simulated ceiling lives in :mod:`benchmarks._crowd_sim`, the Markdown in
:mod:`benchmarks._crowd_report`.
"""
from __future__ import annotations

import itertools
import logging
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import polars as pl
from scipy.stats import spearmanr

from benchmarks._crowd_report import ABLATION, PREVIOUS, render
from benchmarks._crowd_sim import (
    FIXED,
    MIN_LABELS,
    SEEDS,
    SUBSAMPLES,
    em_only,
    rho,
    simulate,
    true_confusion,
)
from benchmarks._data import data_dir
from diagnose.causes.annotator_inconsistency.analyzer import AnnotatorInconsistency
from diagnose.core import Prepared

DATA = data_dir() / "snow2008_rte_temp"
OUT = Path(__file__).parent / "results" / "annotators_rte.md"
log = logging.getLogger("annotators_rte")


def load() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Annotations (id, annotator, label, gold) and item texts (id, text)."""
    ann = pl.read_csv(DATA / "rte.standardized.tsv", separator="\t").select(
        pl.col("orig_id").cast(pl.Utf8).alias("id"),
        pl.col("!amt_worker_ids").alias("annotator"),
        pl.col("response").cast(pl.Utf8).alias("label"),
        pl.col("gold").cast(pl.Utf8),
    )
    texts = pl.read_csv(DATA / "rte1.tsv", separator="\t", quote_char=None).select(
        pl.col("id").cast(pl.Utf8), "text", "hypothesis")
    return ann, texts


def load_temp() -> pl.DataFrame:
    """TEMP annotations (labels only), classes recoded 1/2 -> '0'/'1'."""
    return pl.read_csv(DATA / "temp.standardized.tsv", separator="\t").select(
        pl.col("orig_id").cast(pl.Utf8).alias("id"),
        pl.col("!amt_worker_ids").alias("annotator"),
        (pl.col("response") - 1).cast(pl.Utf8).alias("label"),
        (pl.col("gold") - 1).cast(pl.Utf8).alias("gold"),
    )


def subsample(ann: pl.DataFrame, n: int, seed: int) -> pl.DataFrame:
    """Keep ``n`` random annotations per item."""
    if n >= 10:
        return ann
    rng = np.random.default_rng(seed)
    keys = rng.random(ann.height)
    return (ann.with_columns(pl.Series("_r", keys))
            .with_columns(pl.col("_r").rank("ordinal").over("id").alias("_k"))
            .filter(pl.col("_k") <= n).drop("_r", "_k"))


def encode(ann: pl.DataFrame, ids: list[str]):
    """Integer item / annotator / label arrays (classes '0' < '1')."""
    pos = {k: i for i, k in enumerate(ids)}
    names = sorted(set(ann["annotator"].to_list()))
    who = {a: i for i, a in enumerate(names)}
    item = np.array([pos[k] for k in ann["id"].to_list()])
    annotator = np.array([who[a] for a in ann["annotator"].to_list()])
    label = ann["label"].cast(pl.Int64).to_numpy()
    return item, annotator, label, names


def majority_vote(item, label, n_items, k=2):
    """Plurality label; ties go to the class most common over all annotations."""
    counts = np.zeros((n_items, k))
    np.add.at(counts, (item, label), 1.0)
    overall = np.bincount(label, minlength=k)
    return (counts + 1e-3 * overall / overall.sum()).argmax(1), counts


def textbook_dawid_skene(item, annotator, label, n_items, n_ann, k=2, iters=100):
    """Plain Dawid-Skene EM (majority-vote start, maximum likelihood, 0.01 smoothing)."""
    _, counts = majority_vote(item, label, n_items, k)
    post = counts / counts.sum(1, keepdims=True)
    for _ in range(iters):
        conf = np.full((n_ann, k, k), 0.01)
        for c in range(k):
            np.add.at(conf[:, c, :], (annotator, label), post[item, c])
        conf /= conf.sum(2, keepdims=True)
        prior = post.mean(0)
        log_post = np.tile(np.log(prior), (n_items, 1))
        for c in range(k):
            log_post[:, c] += np.bincount(item, np.log(conf[annotator, c, label]), n_items)
        post = np.exp(log_post - log_post.max(1, keepdims=True))
        post /= post.sum(1, keepdims=True)
    seen = np.stack([np.bincount(annotator, post[item, c], n_ann) for c in range(k)], 1)
    quality = (seen / seen.sum(1, keepdims=True) * conf.diagonal(0, 1, 2)).sum(1)
    return post.argmax(1), quality


def text_probs(texts: pl.DataFrame, labels: np.ndarray) -> np.ndarray:
    """5-fold out-of-sample P(label) from TF-IDF + lexical overlap + logistic regression.

    Trained on the (subsampled) majority-vote labels, never on gold.
    """
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    prem = [t.lower() for t in texts["text"].to_list()]
    hyp = [t.lower() for t in texts["hypothesis"].to_list()]
    pairs = [p + " || " + h for p, h in zip(prem, hyp)]
    tfidf = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit_transform(pairs)
    feats = []
    for p, h in zip(prem, hyp):
        pw, hw = set(p.split()), h.split()
        hb = list(itertools.pairwise(hw))
        pb = set(zip(p.split(), p.split()[1:]))
        feats.append([np.mean([w in pw for w in hw]) if hw else 0.0,
                      np.mean([b in pb for b in hb]) if hb else 0.0,
                      len(hw) / max(len(pw), 1)])
    x = hstack([tfidf, csr_matrix(np.array(feats) * 3.0)]).tocsr()
    model = LogisticRegression(C=1.0, max_iter=2000)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    return cross_val_predict(model, x, labels, cv=folds, method="predict_proba")


def cleanlab_baseline(item, annotator, label, probs, n_ann):
    """cleanlab CROWDLAB consensus and annotator quality."""
    import pandas as pd
    from cleanlab.multiannotator import get_label_quality_multiannotator

    matrix = np.full((len(probs), n_ann), np.nan)
    matrix[item, annotator] = label
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = get_label_quality_multiannotator(pd.DataFrame(matrix), probs, verbose=False,
                                               return_detailed_quality=False)
    quality = res["annotator_stats"].sort_index()["annotator_quality"].to_numpy(float)
    return res["label_quality"]["consensus_label"].to_numpy(int), quality


def ours(ann: pl.DataFrame, texts: pl.DataFrame, mv: np.ndarray, probs, names, ids,
         **settings):
    """The analyzer's consensus and annotator quality (RTE items as the train table)."""
    train = pl.DataFrame({"id": ids, "text": (texts["text"] + " || " + texts["hypothesis"]),
                          "label": [str(v) for v in mv]})
    empty = pl.DataFrame(schema={"id": pl.Utf8, "text": pl.Utf8, "label": pl.Utf8,
                                 "prediction": pl.Utf8, "is_error": pl.Boolean})
    data = Prepared(task="classification", eval=empty, train=train,
                    annotations=ann.select("id", "annotator", "label"),
                    classes=("0", "1"), train_probs=probs)
    analyzer = AnnotatorInconsistency(**settings).fit(data)
    tabs = analyzer.tables()
    items = tabs["annotation_items"].filter(pl.col("split") == "train")
    cons = dict(zip(items["id"], items["consensus_label"]))
    quality = dict(zip(tabs["annotators"]["annotator"], tabs["annotators"]["quality"]))
    return (np.array([int(cons[k]) for k in ids]), np.array([quality[a] for a in names]),
            analyzer.summary())


def true_accuracy(ann: pl.DataFrame) -> dict[str, float]:
    """Each worker's accuracy vs gold over all of their labels in the release."""
    return dict(ann.group_by("annotator").agg((pl.col("label") == pl.col("gold")).mean())
                .iter_rows())


def evaluate(ann: pl.DataFrame, texts: pl.DataFrame, gold: np.ndarray,
             full_acc: dict[str, float], conf_of: dict[str, np.ndarray], seed: int) -> dict:
    """Accuracy and quality Spearman (full-data and subsample truth) of every method."""
    ids = texts["id"].to_list()
    item, annotator, label, names = encode(ann, ids)
    truth = (label == gold[item]).astype(float)
    n_lab = np.bincount(annotator, minlength=len(names))
    acc_sub = np.bincount(annotator, truth, len(names)) / n_lab
    acc_true = np.array([full_acc[a] for a in names])
    keep = n_lab >= MIN_LABELS
    mv, _counts = majority_vote(item, label, len(ids))
    mv_quality = np.bincount(annotator, (label == mv[item]), len(names)) / n_lab
    probs = text_probs(texts, mv)
    results = {"majority vote": (mv, mv_quality),
               "Dawid-Skene EM (textbook)": textbook_dawid_skene(
                   item, annotator, label, len(ids), len(names)),
               "cleanlab CROWDLAB": cleanlab_baseline(item, annotator, label, probs,
                                                      len(names))}
    cons, quality, summary = ours(ann, texts, mv, probs, names, ids)
    results["ours"] = (cons, quality)
    cons_nm, quality_nm, _ = ours(ann, texts, mv, probs, names, ids, use_model=False,
                                  use_cleanlab=False)
    results[ABLATION] = (cons_nm, quality_nm)
    cons_fx, quality_fx, _ = ours(ann, texts, mv, probs, names, ids, **FIXED)
    results[PREVIOUS] = (cons_fx, quality_fx)
    out = {m: (float((c == gold).mean()), float(spearmanr(q[keep], acc_true[keep])[0]),
               float(spearmanr(q[keep], acc_sub[keep])[0]))
           for m, (c, q) in results.items()}
    out["_extra"] = {"alpha": summary["krippendorff_alpha"], "n_kept": int(keep.sum()),
                     "model_acc": float((probs.argmax(1) == gold).mean()),
                     "method": summary["method"],
                     "model_skill": summary["model_vote_skill"],
                     "model_used": float("model_vote" in summary["method"])}
    conf = np.stack([conf_of[a] for a in names])
    out["_sim"] = simulate(item, annotator, label, conf, gold, seed)
    return out


def evaluate_temp(ann: pl.DataFrame, conf_of: dict[str, np.ndarray], seed: int) -> dict:
    """TEMP (the selection task): accuracy and quality Spearman, real and simulated labels."""
    ids = sorted(set(ann["id"].to_list()))
    gold_of = dict(ann.select("id", "gold").unique().iter_rows())
    gold = np.array([int(gold_of[k]) for k in ids])
    item, annotator, label, names = encode(ann, ids)
    n_items, n_ann, hits = len(ids), len(names), label == gold[item]
    mv, _ = majority_vote(item, label, n_items)
    mv_quality = np.bincount(annotator, label == mv[item], n_ann) / np.bincount(annotator)
    results = {"majority vote": (mv, mv_quality),
               "Dawid-Skene EM (textbook)": textbook_dawid_skene(item, annotator, label,
                                                                 n_items, n_ann),
               "ours (EM, TEMP has no text)": em_only(item, annotator, label, n_items, n_ann),
               PREVIOUS: em_only(item, annotator, label, n_items, n_ann, **FIXED)}
    out = {m: (float((c == gold).mean()), rho(q, hits, annotator, n_ann))
           for m, (c, q) in results.items()}
    conf = np.stack([conf_of[a] for a in names])
    out["_sim"] = simulate(item, annotator, label, conf, gold, seed)
    return out


def _mean(runs: list[dict]) -> dict:
    """Mean over seeds of every method's scores and of the simulated Spearman."""
    out = {m: np.mean([r[m] for r in runs], axis=0) for m in runs[0] if m[0] != "_"}
    out["_sim"] = {k: np.mean([r["_sim"][k] for r in runs]) for k in runs[0]["_sim"]}
    return out


def collect() -> tuple[dict, dict]:
    """Mean (accuracy, Spearman) per method and subsample size over the seeds: RTE, TEMP."""
    ann, texts = load()
    gold_of = dict(ann.select("id", "gold").unique().iter_rows())
    gold = np.array([int(gold_of[k]) for k in texts["id"].to_list()])
    table, full_acc, conf_of = {}, true_accuracy(ann), true_confusion(ann)
    temp, temp_ann = {}, load_temp()
    temp_conf = true_confusion(temp_ann)
    for n in SUBSAMPLES:
        runs, temp_runs = [], []
        for seed in (SEEDS[:1] if n >= 10 else SEEDS):
            log.info("%d annotators per item, seed %d", n, seed)
            runs.append(evaluate(subsample(ann, n, seed), texts, gold, full_acc, conf_of, seed))
            temp_runs.append(evaluate_temp(subsample(temp_ann, n, seed), temp_conf, seed))
        table[n], temp[n] = _mean(runs), _mean(temp_runs)
        table[n]["_extra"] = {key: np.mean([r["_extra"][key] for r in runs])
                              for key in ("alpha", "n_kept", "model_acc", "model_skill",
                                          "model_used")}
    return table, temp


def run() -> str:
    """Run the benchmark and return its Markdown section."""
    start = time.perf_counter()
    table, temp = collect()
    return render(table, temp, time.perf_counter() - start)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    section = run()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(section)
    log.info("wrote %s", OUT)
