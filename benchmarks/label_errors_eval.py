"""Measurement 1: noisy_label on eval gold labels against human verdicts.

Data: cleanlab/label-errors (20news, IMDB, MNIST, CIFAR-10 test sets):
cross-validated probabilities, the given labels and the MTurk verdicts in
``derived_mturk_label_error_flags.csv`` (see that folder's PROVENANCE.md).
No derived file is written; everything is computed in memory.

Among the human-checked items of each dataset we report the AUROC that
separates verified label errors (``is_label_error_majority == 1``) from
verified-correct labels, and the precision and recall of the flags.

* ours: ``NoisyLabel`` eval-gold score, run exactly as the product runs it
  (``Prepared`` with eval frame and eval probabilities, no train); our flags
  are the product's verdicts (``diagnose.attribution.decide_one``: the
  calibrated lines of ``NoisyLabel.parts``).
* baselines in the same run: cleanlab ``get_label_quality_scores``
  (self_confidence, default) and ``find_label_issues`` (defaults).

Splits: the checked items of each dataset are split in two with seed 0; the
candidate scores (self-confidence, normalised margin, class-normalised
self-confidence, entropy-weighted self-confidence) are compared on the dev
half only; the headline table is the held-out half, and all items are shown
for reference.
"""
from __future__ import annotations

import logging

import numpy as np
import polars as pl
from sklearn.metrics import roc_auc_score

from benchmarks._data import data_dir

DATA = data_dir() / "cleanlab_label_errors"
DATASETS = ("20news", "imdb", "mnist", "cifar10")
log = logging.getLogger("benchmarks")


def load(ds: str) -> tuple[np.ndarray, np.ndarray, pl.DataFrame]:
    probs = np.load(DATA / "cross_validated_predicted_probabilities" / f"{ds}_test_set_pyx.npy")
    # a few stored values fall a hair outside [0, 1] (float error); clip and renormalise
    # once here, so ours and cleanlab see identical probabilities
    probs = np.clip(probs, 0.0, 1.0)
    probs = probs / probs.sum(axis=1, keepdims=True)
    labels = np.load(DATA / "original_test_labels" / f"{ds}_test_set_original_labels.npy").astype(int)
    flags = pl.read_csv(DATA / "derived_mturk_label_error_flags.csv").filter(pl.col("dataset") == ds)
    return probs, labels, flags


def ours(probs: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The NoisyLabel eval-gold score and the product's flags, for every row."""
    from diagnose.attribution import decide_one
    from diagnose.causes.noisy_label.analyzer import NoisyLabel
    from diagnose.core import Prepared

    k = probs.shape[1]
    classes = tuple(f"c{i:03d}" for i in range(k))
    pred = probs.argmax(axis=1)
    ev = pl.DataFrame({"id": [str(i) for i in range(len(labels))], "text": [""] * len(labels),
                       "label": [classes[i] for i in labels], "prediction": [classes[i] for i in pred],
                       "is_error": pred != labels})
    data = Prepared(task="classification", eval=ev, classes=classes, eval_probs=probs)
    analyzer = NoisyLabel().fit(data)
    scored = analyzer.score(data).join(ev.select("id", "is_error"), on="id")
    verdicts = decide_one(scored, "noisy_label", analyzer.parts())  # the product's own decision
    score = scored.get_column("score_noisy_label").fill_null(0.0).to_numpy()
    return score, verdicts.get_column("given").to_numpy() & (pred != labels)


def candidates(probs: np.ndarray, labels: np.ndarray) -> dict[str, np.ndarray]:
    """Alternative eval-gold scores compared on the dev half."""
    rows = np.arange(len(labels))
    k = probs.shape[1]
    p_given = probs[rows, labels]
    other = probs.copy()
    other[rows, labels] = -1
    thr = np.array([probs[labels == c, c].mean() if (labels == c).any() else 1.0 for c in range(k)])
    ent = -(probs * np.log(probs + 1e-12)).sum(axis=1) / np.log(k)
    return {
        "self-confidence (1 - p_given)": 1 - p_given,
        "normalised margin": other.max(axis=1) - p_given,
        "class-normalised self-confidence": 1 - p_given / thr[labels],
        "confidence-weighted entropy": (1 - p_given) * (1 - ent),
    }


def _prf(flag: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    tp = int((flag & truth).sum())
    return tp / max(int(flag.sum()), 1), tp / max(int(truth.sum()), 1)


def measure() -> dict[str, list[dict]]:
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_label_quality_scores

    heldout, full, dev = [], [], []
    for ds in DATASETS:
        log.info("label errors: %s", ds)
        probs, labels, flags = load(ds)
        idx = flags.get_column("index").to_numpy()
        truth = flags.get_column("is_label_error_majority").to_numpy().astype(bool)
        half = np.random.default_rng(0).permutation(len(idx)) < len(idx) // 2
        our_score, our_flag = ours(probs, labels)
        cl_score = 1 - get_label_quality_scores(labels, probs)
        cl_flag = find_label_issues(labels, probs, n_jobs=1)
        for rows, out in ((~half, heldout), (np.ones_like(half), full)):
            t, i = truth[rows], idx[rows]
            op, orc = _prf(our_flag[i], t)
            cp, crc = _prf(cl_flag[i], t)
            out.append({"dataset": ds, "checked": int(rows.sum()), "errors": int(t.sum()),
                        "auroc_ours": roc_auc_score(t, our_score[i]), "auroc_cleanlab": roc_auc_score(t, cl_score[i]),
                        "precision_ours": op, "recall_ours": orc, "precision_cleanlab": cp, "recall_cleanlab": crc})
        for name, s in candidates(probs, labels).items():
            dev.append({"dataset": ds, "score": name, "dev_auroc": roc_auc_score(truth[half], s[idx[half]])})
    return {"heldout": heldout, "full": full, "dev": dev}


def run() -> str:
    m = measure()
    lines = ["## noisy_label: eval gold labels vs human verdicts (cleanlab label-errors)", "",
             ("AUROC separating MTurk-verified label errors from verified-correct labels among the "
             "human-checked items; precision/recall of flags among those items. Baseline: cleanlab "
             "`get_label_quality_scores` (self_confidence) and `find_label_issues` (defaults) on the same "
             "probabilities. Published: the paper reports only counts (82/54/725/15 verified errors), "
             "not an AUROC. Target: ours ≥ cleanlab on every dataset."), ""]
    for key, title in (("heldout", "Held-out half of the checked items (seed 0)"), ("full", "All checked items")):
        lines += [f"**{title}**", "",
                  "| dataset | checked | errors | AUROC ours | AUROC cleanlab | P ours | R ours | P cleanlab | R cleanlab | target met |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|:--:|"]
        for r in m[key]:
            met = "yes" if r["auroc_ours"] >= r["auroc_cleanlab"] - 1e-9 else "no"
            lines.append(f"| {r['dataset']} | {r['checked']} | {r['errors']} | {r['auroc_ours']:.3f} | {r['auroc_cleanlab']:.3f} | "
                         f"{r['precision_ours']:.3f} | {r['recall_ours']:.3f} | {r['precision_cleanlab']:.3f} | {r['recall_cleanlab']:.3f} | {met} |")
        lines.append("")
    dev = pl.DataFrame(m["dev"]).pivot(on="dataset", index="score", values="dev_auroc")
    lines += ["**Candidate scores on the dev half (AUROC)**: how the score was chosen.", "",
              "| score | " + " | ".join(DATASETS) + " |", "|---|" + "---:|" * len(DATASETS)]
    for row in dev.iter_rows(named=True):
        lines.append(f"| {row['score']} | " + " | ".join(f"{row[d]:.3f}" for d in DATASETS) + " |")
    lines += ["", ("Our eval-gold score without training data is 1 − p(given label), rank-identical to "
              "cleanlab's self-confidence, so the AUROCs tie; none of the alternatives beat it on every dev "
              "half. Flags differ: ours are the product's verdicts (without training rows or votes, a gold label "
              "is called wrong where cleanlab's confident learning on the eval set flags it and the model "
              "gives it at most 0.4, with a stated precision of at least 0.5); cleanlab's flag by "
              "confident-learning noise rates."), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    print(run())
