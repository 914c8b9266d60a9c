"""Benchmark: consensus labels and annotator quality on Snow et al. (2008) RTE.

800 RTE-1 items, each labelled by 10 of 164 Mechanical Turk workers, with the
expert (gold) label. We compare the ``annotator_inconsistency`` analyzer's
consensus labels and annotator quality with majority vote, a textbook
Dawid-Skene EM and cleanlab's CROWDLAB, using all 10 labels per item and random
subsamples of 5 and 3 labels per item. Gold labels are used only to score.

Run ``python benchmarks/annotators_rte.py``; it writes
``benchmarks/results/annotators_rte.md``.
"""
from __future__ import annotations

import logging
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import polars as pl
from scipy.stats import spearmanr

from diagnose.analyzers.annotator_inconsistency import AnnotatorInconsistency
from diagnose.analyzers.base import Prepared

DATA = Path("/work/shared/data/snow2008_rte_temp")
OUT = Path(__file__).parent / "results" / "annotators_rte.md"
SUBSAMPLES = (10, 5, 3)
SEEDS = (0, 1, 2, 3, 4)
MIN_LABELS = 10  # annotators with fewer labels (after subsampling) are left out of Spearman
QUALITY_TARGET = 0.8
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
        hb = list(zip(hw, hw[1:]))
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
             full_acc: dict[str, float]) -> dict:
    """Accuracy and quality Spearman (full-data and subsample truth) of every method."""
    ids = texts["id"].to_list()
    item, annotator, label, names = encode(ann, ids)
    truth = (label == gold[item]).astype(float)
    n_lab = np.bincount(annotator, minlength=len(names))
    acc_sub = np.bincount(annotator, truth, len(names)) / n_lab
    acc_true = np.array([full_acc[a] for a in names])
    keep = n_lab >= MIN_LABELS
    mv, counts = majority_vote(item, label, len(ids))
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
    results["ours, EM only (no model vote, no CROWDLAB)"] = (cons_nm, quality_nm)
    out = {m: (float((c == gold).mean()), float(spearmanr(q[keep], acc_true[keep])[0]),
               float(spearmanr(q[keep], acc_sub[keep])[0]))
           for m, (c, q) in results.items()}
    out["_extra"] = {"alpha": summary["krippendorff_alpha"], "n_kept": int(keep.sum()),
                     "model_acc": float((probs.argmax(1) == gold).mean()),
                     "method": summary["method"],
                     "model_skill": summary["model_vote_skill"],
                     "model_used": float("model_vote" in summary["method"])}
    return out


BASELINES = ("majority vote", "Dawid-Skene EM (textbook)", "cleanlab CROWDLAB")
ABLATION = "ours, EM only (no model vote, no CROWDLAB)"


def collect() -> dict[int, dict[str, np.ndarray]]:
    """Mean (accuracy, Spearman) per method for every subsample size over the seeds."""
    ann, texts = load()
    gold_of = dict(ann.select("id", "gold").unique().iter_rows())
    gold = np.array([int(gold_of[k]) for k in texts["id"].to_list()])
    table, full_acc = {}, true_accuracy(ann)
    for n in SUBSAMPLES:
        runs = []
        for seed in (SEEDS[:1] if n >= 10 else SEEDS):
            log.info("%d annotators per item, seed %d", n, seed)
            runs.append(evaluate(subsample(ann, n, seed), texts, gold, full_acc))
        table[n] = {m: np.mean([r[m] for r in runs], axis=0) for m in runs[0] if m[0] != "_"}
        table[n]["_extra"] = {key: np.mean([r["_extra"][key] for r in runs])
                              for key in ("alpha", "n_kept", "model_acc", "model_skill",
                                          "model_used")}
    return table


def _row(name: str, values: list[str]) -> str:
    return f"| {name} | " + " | ".join(values) + " |"


def render(table: dict, seconds: float) -> str:
    """The Markdown section."""
    cols = [f"{n} per item" for n in SUBSAMPLES]
    head = ["| method | " + " | ".join(cols) + " |", "|---|" + "---:|" * len(cols)]
    methods = ["ours", *BASELINES, ABLATION]
    acc = [_row(m, [f"{table[n][m][0]:.4f}" for n in SUBSAMPLES]) for m in methods]
    best = [max(table[n][b][0] for b in BASELINES) for n in SUBSAMPLES]
    acc.append(_row("target (≥ best baseline)", [f"≥ {b:.4f}" for b in best]))
    rho = [_row(m, [f"{table[n][m][1]:.3f}" for n in SUBSAMPLES]) for m in methods]
    rho_sub = [_row(m, [f"{table[n][m][2]:.3f}" for n in SUBSAMPLES]) for m in methods]
    rho_sub.append(_row("target", [f"≥ {QUALITY_TARGET}"] * len(SUBSAMPLES)))
    met_acc = all(table[n]["ours"][0] >= b - 1e-12 for n, b in zip(SUBSAMPLES, best))
    met_rho = [table[n]["ours"][2] >= QUALITY_TARGET for n in SUBSAMPLES]
    extra = {n: table[n]["_extra"] for n in SUBSAMPLES}
    lines = [
        "## Annotator inconsistency: consensus and annotator quality on Snow et al. (2008) RTE",
        "", "```", "python benchmarks/annotators_rte.py", "```", "",
        "800 RTE-1 items x 10 of 164 MTurk workers (expert gold used only for scoring). "
        f"Subsamples keep 5 or 3 random labels per item; seeds {list(SEEDS)}, mean reported "
        "(the full set is deterministic, one run).", "",
        "### Consensus accuracy vs gold", "", *head, *acc, "",
        "### Spearman: estimated annotator quality vs true accuracy", "",
        f"Over annotators with ≥ {MIN_LABELS} labels in the (subsampled) data: "
        + ", ".join(f"{extra[n]['n_kept']:.0f} at {n}" for n in SUBSAMPLES) + "; "
        "true accuracy = the worker's accuracy vs gold on the labels kept in the subsample.",
        "", *head, *rho_sub, "",
        "Same, with true accuracy measured over all of the worker's labels in the release "
        "(at least 20 each), so every subsample is judged against one fixed truth:", "",
        *head, *rho, "",
        "### Notes", "",
        f"- Targets: consensus ≥ best baseline at every subsample: "
        f"{'met' if met_acc else 'NOT met'}; quality Spearman ≥ {QUALITY_TARGET}: "
        + ", ".join(f"{n} per item {'met' if ok else 'NOT met'}"
                    for n, ok in zip(SUBSAMPLES, met_rho)) + ".",
        "- Gap of ours to the best baseline, in items out of 800: "
        + ", ".join(f"{(table[n]['ours'][0] - b) * 800:+.1f} at {n}"
                    for n, b in zip(SUBSAMPLES, best))
        + ". Seed-to-seed spread at 5 and 3 per item is of the same order.",
        "- Ours: `AnnotatorInconsistency().fit(Prepared(...))` with the RTE items as the train "
        "table and `train_probs` from the text model below; consensus = argmax of its "
        "variational Dawid-Skene posterior (pooled Dirichlet prior, 1 pseudo-label per class "
        "row; the text model votes as one more annotator with a learned confusion matrix, "
        "and is dropped when that matrix's chance-corrected balanced accuracy is below 0.2). "
        "The EM's own estimate of the text model's skill: "
        + ", ".join(f"{extra[n]['model_skill']:.3f} at {n}" for n in SUBSAMPLES)
        + "; model vote kept in "
        + ", ".join(f"{extra[n]['model_used']:.0%} of runs at {n}" for n in SUBSAMPLES)
        + ". "
        "Quality = mean of (posterior probability of the annotator's own labels) and "
        "cleanlab's CROWDLAB annotator quality. Prior strength and the quality formula were "
        "chosen on the TEMP task of the same release (gold used there only), not on RTE.",
        "- Majority vote: plurality; ties (65 items at 10 per item) go to the label most "
        "common over all annotations. Its quality = agreement with the vote.",
        "- Dawid-Skene (textbook, written here; crowd-kit installs but pulls in transformers, "
        "so it was not used): majority-vote start, maximum likelihood, 0.01 smoothing, 100 "
        "rounds; quality = class-weighted diagonal of the confusion matrix.",
        "- cleanlab CROWDLAB: `get_label_quality_multiannotator` (best_quality consensus) "
        "with pred_probs from 5-fold cross-validated TF-IDF (1-2 grams of "
        "premise || hypothesis) + 3 lexical-overlap features + logistic regression, "
        "trained on the majority-vote labels of the same subsample (never gold). The same "
        "probabilities are given to ours. Text-model accuracy vs gold: "
        + ", ".join(f"{extra[n]['model_acc']:.3f} at {n}" for n in SUBSAMPLES) + ".",
        "- Krippendorff's alpha (nominal) of the worker labels: "
        + ", ".join(f"{extra[n]['alpha']:.3f} at {n}" for n in SUBSAMPLES)
        + " (unreliable, as expected for crowd RTE).",
        f"- Runtime: {seconds:.0f} s for the whole script on this machine.",
        "- Variants measured in a one-off run (same subsamples; not re-run by this script) "
        "and not adopted, because the TEMP task (labels only, its gold used for selection) or "
        "a gold-free criterion did not favour them: prior strength 0.25 / 0.5 / 4 and "
        "point-estimate (non-variational) EM (TEMP mean accuracy over 10/5/3 per item "
        "0.0002-0.0022 below the default, 1.0 variational; RTE 0.25 would reach "
        "0.9275 / 0.8930 / 0.8475); "
        "prior strength chosen by held-out vote likelihood or by a Dirichlet-multinomial "
        "marginal likelihood (both pick 2-8 pseudo-labels, which costs 4-5 points at 3 per "
        "item on RTE); a one-coin (symmetric) model, alone or as the start of the full "
        "model (worse on TEMP at every size, and unstable at 3 per item); two starts "
        "(majority vote, one-coin) kept by vote likelihood (no gain on TEMP); annotator "
        "quality shrunk towards the pool mean (lower Spearman on TEMP and RTE) or averaged "
        "with a leave-one-out posterior (better on RTE, worse on TEMP at 3 per item).",
    ]
    return "\n".join(lines) + "\n"


def run() -> str:
    """Run the benchmark and return its Markdown section."""
    start = time.perf_counter()
    table = collect()
    return render(table, time.perf_counter() - start)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    section = run()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(section)
    log.info("wrote %s", OUT)
