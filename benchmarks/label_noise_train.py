"""Measurement 2: noisy_label on training labels (BANKING77 with flipped labels).

Data: ``banking77/train.csv`` under :func:`benchmarks._data.data_dir` (10,003 rows, 77 intents).
Nothing is written to disk; derived frames are built in memory:

* Split: the rows are permuted with seed 0; the first half (5,001 rows) is
  the dev half where ``knn_weight`` (0.3), ``k`` (10), ``margin_weight``
  (0.25), the rank-based selection and (later) the noise-aware posterior
  ranking, ``refit_rounds`` (2), ``transition_smooth`` (0.5) and
  ``flag_factor`` (1.25) were chosen (every noise type and rate, flip seeds
  0, 1, 2: ``measure(0, seed)``); the reported numbers use the other half
  (5,002 rows, flip seed 0) only.
* Noise: a seeded share (5/10/20/30%, flip seed 0) of rows gets a new
  label: ``uniform`` = any other class; ``confused`` = the class the proxy
  most often predicts for that true class (confusion matrix of the proxy's
  cross-validated predictions on the unflipped labels of the same half).
  ``natural``: the labels as given (about 14% may be wrong according to
  Ying & Thomas 2022, but there is no per-row truth), so only flag counts
  are shown.
* Probabilities: ``diagnose.probs.cross_val_probs`` (logistic regression,
  ``FOLDS``-fold) on ``TfidfSvdEmbedder`` (256-d) features of the half;
  neighbours: ``diagnose.neighbors.search`` (k=10, self excluded), i.e. what
  the pipeline computes; the same features are given as ``train_embeddings``
  (``NoisyLabel`` refits the proxy on them without the rows it flags).

Ours: ``NoisyLabel`` ``train_issues`` (``is_label_issue``). Baselines on the
same probabilities: cleanlab ``find_label_issues`` (default
``filter_by="prune_by_noise_rate"``) and Datalab's ``label`` issue type.
Natural label errors inside the flipped data count as false positives for
every method alike, which caps precision.
"""
from __future__ import annotations

import logging

import numpy as np
import polars as pl

from benchmarks._data import data_dir

DATA = data_dir() / "banking77" / "train.csv"
FOLDS = 3  # the pipeline default is 5; 3 keeps the suite under an hour on a shared 2-core CPU
RATES = (0.05, 0.10, 0.20, 0.30)
log = logging.getLogger("benchmarks")


def prf(flag: np.ndarray, truth: np.ndarray) -> tuple[float, float, float]:
    tp = int((flag & truth).sum())
    p, r = tp / max(int(flag.sum()), 1), tp / max(int(truth.sum()), 1)
    return p, r, 2 * p * r / max(p + r, 1e-12)


def _half(which: int) -> pl.DataFrame:
    frame = pl.read_csv(DATA).rename({"category": "label"})
    perm = np.random.default_rng(0).permutation(frame.height)
    rows = np.sort(perm[: frame.height // 2] if which == 0 else perm[frame.height // 2:])
    return frame[rows].with_columns(id=pl.Series([f"b{i}" for i in rows]))


def flip(labels: np.ndarray, rate: float, kind: str, confused_to: np.ndarray, n_classes: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(labels), round(rate * len(labels)), replace=False)
    given = labels.copy()
    given[rows] = (labels[rows] + rng.integers(1, n_classes, len(rows))) % n_classes if kind == "uniform" else confused_to[labels[rows]]
    return given


def _ours(frame: pl.DataFrame, classes: tuple[str, ...], given: np.ndarray, probs: np.ndarray, nb, x: np.ndarray) -> np.ndarray:
    from diagnose.causes.noisy_label.analyzer import NoisyLabel
    from diagnose.core import Prepared

    train = frame.select("id", "text").with_columns(label=pl.Series([classes[i] for i in given]))
    ev = train.head(1).with_columns(prediction=pl.col("label"), is_error=pl.lit(False))
    data = Prepared(task="classification", eval=ev, train=train, classes=classes, train_probs=probs, train_neighbors=nb,
                    train_embeddings=x)
    return NoisyLabel().fit(data).tables()["train_issues"].get_column("is_label_issue").to_numpy()


def _datalab(given: np.ndarray, probs: np.ndarray) -> np.ndarray:
    from cleanlab import Datalab

    lab = Datalab(data={"label": given.tolist()}, label_name="label", verbosity=0)
    lab.find_issues(pred_probs=probs, issue_types={"label": {}})
    return lab.get_issues("label")["is_label_issue"].to_numpy()


def measure(which: int = 1, flip_seed: int = 0) -> list[dict]:
    from cleanlab.filter import find_label_issues

    from diagnose.embed import TfidfSvdEmbedder
    from diagnose.neighbors import search
    from diagnose.probs import cross_val_probs

    frame = _half(which)
    classes = tuple(sorted(set(frame.get_column("label").to_list())))
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[c] for c in frame.get_column("label").to_list()])
    texts = frame.get_column("text").to_list()
    x = TfidfSvdEmbedder(n_components=256, seed=0).fit(texts).transform(texts)
    nb = search(x, x, k=10, exclude_self=True, method="exact")
    rows = []
    conditions = [("natural", 0.0)] + [(kind, r) for kind in ("uniform", "confused") for r in RATES]
    confused_to = None
    for kind, rate in conditions:
        log.info("label noise: %s %.0f%%", kind, 100 * rate)
        given = y if kind == "natural" else flip(y, rate, kind, confused_to, len(classes), seed=flip_seed)
        probs = cross_val_probs(x, given, len(classes), folds=FOLDS, seed=0)
        if kind == "natural":
            conf = np.zeros((len(classes), len(classes)))
            np.add.at(conf, (y, probs.argmax(axis=1)), 1)
            np.fill_diagonal(conf, -1)
            confused_to = conf.argmax(axis=1)
        truth = given != y
        flags = {"ours": _ours(frame, classes, given, probs, nb, x),
                 "cleanlab": find_label_issues(given, probs, n_jobs=1), "datalab": _datalab(given, probs)}
        row = {"noise": kind, "rate": rate, "flipped": int(truth.sum())}
        for name, f in flags.items():
            row[f"n_{name}"] = int(f.sum())
            row[f"p_{name}"], row[f"r_{name}"], row[f"f1_{name}"] = prf(f, truth)
        rows.append(row)
    return rows


def run() -> str:
    rows = measure()
    lines = ["## noisy_label: training labels (BANKING77, held-out half, flipped labels)", "",
             (f"Out-of-sample probabilities: `cross_val_probs` ({FOLDS}-fold logistic regression) on TF-IDF+SVD "
             "features; precision/recall/F1 of flagged rows vs flipped rows. Baselines on the same probabilities: "
             "cleanlab `find_label_issues` (defaults) and Datalab's `label` issue type. Targets: F1 ≥ cleanlab at "
             "every rate; recall ≥ 0.8 at 10%. Published: Ying & Thomas (2022) estimate ~14% natural label errors "
             "in BANKING77 (no per-row list)."), "",
             "| noise | rate | flipped | flagged ours / cl / Datalab | P ours | R ours | F1 ours | P cl | R cl | F1 cleanlab | F1 Datalab | target met |",
             "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|:--:|"]
    for r in rows:
        if r["noise"] == "natural":
            lines.append(f"| natural | – | unknown | {r['n_ours']} / {r['n_cleanlab']} / {r['n_datalab']} | – | – | – | – | – | – | – | – |")
            continue
        met = r["f1_ours"] >= r["f1_cleanlab"] and (r["rate"] != 0.10 or r["r_ours"] >= 0.8)
        lines.append(f"| {r['noise']} | {r['rate']:.0%} | {r['flipped']} | {r['n_ours']} / {r['n_cleanlab']} / {r['n_datalab']} | "
                     f"{r['p_ours']:.3f} | {r['r_ours']:.3f} | **{r['f1_ours']:.3f}** | {r['p_cleanlab']:.3f} | {r['r_cleanlab']:.3f} | "
                     f"{r['f1_cleanlab']:.3f} | {r['f1_datalab']:.3f} | {'yes' if met else 'no'} |")
    lines += ["", ("Ours: probabilities blended 0.7/0.3 with the similarity-weighted labels of the 10 nearest training "
              "rows; n = cleanlab's estimated number of issues (`num_label_issues`) on the blend; the n rows with the "
              "lowest label quality (0.75 × self-confidence + 0.25 × normalised margin) are set aside, the proxy is "
              "refitted by 3-fold cross-validation on the other rows and blended again, and rows are ranked by the "
              "posterior probability that the given label is right under the class-noise transition estimated from "
              "cleanlab's calibrated confident joint (half of each class's noise rate spread evenly over the other "
              "classes); two such rounds, then 1.25 × n rows are flagged. The refit undoes what the proxy learned "
              "from flips toward a confusable class; the transition makes a pair that receives many flips more "
              "suspect; the 1.25 factor buys recall (≥ 0.8 at 10% on every dev flip seed; 1.0 gave 0.78 on "
              "confused flips) at some precision. Dev half, mean of flip seeds 0–2, F1 ours vs cleanlab: uniform "
              "10% 0.772 vs 0.580 (recall 0.962), confused 10% 0.629 vs 0.517 (recall 0.837), confused 30% 0.689 "
              "vs 0.549; the previous single-pass ranking gave 0.843, 0.545 (recall 0.635) and 0.521."), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    print(run())
