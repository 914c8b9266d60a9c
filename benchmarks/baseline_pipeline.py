"""The straightforward kNN + cleanlab + vote-counting pipeline, as a baseline.

This is what a practitioner would wire together in an afternoon, and what
``diagnose`` has to beat:

* **coverage_gap**: the eval row's nearest training neighbour (TF-IDF,
  cosine) is less similar than the 5th percentile of the training rows' own
  nearest-neighbour similarities.
* **noisy_label**: cleanlab ``find_label_issues`` (defaults) flags a majority
  of the row's 10 nearest training neighbours (training probabilities
  cross-validated with logistic regression), or flags the eval row's own
  label given its ``prob_`` columns.
* **annotator_inconsistency**: the row's annotator votes are not unanimous.

Causes are reported for rows that are errors (gold differs from prediction)
and for unlabelled rows; correct rows get an empty list.
"""
from __future__ import annotations

import numpy as np
import polars as pl

K_NEIGHBOURS = 10
COVERAGE_PERCENTILE = 5.0


def baseline_attribute(train: pl.DataFrame, eval: pl.DataFrame, annotations: pl.DataFrame | None = None,
                       *, k: int = K_NEIGHBOURS, seed: int = 0) -> pl.DataFrame:
    """Attribute eval errors with the kNN + cleanlab + vote-counting baseline.

    Parameters
    ----------
    train : polars.DataFrame
        ``id``, ``text``, ``label``.
    eval : polars.DataFrame
        ``id``, ``text``, ``label`` (may be null), ``prediction`` and
        ``prob_<class>`` columns.
    annotations : polars.DataFrame, optional
        Long votes ``id``, ``annotator``, ``label``.
    k : int
        Neighbours used for the noisy-label vote.
    seed : int
        Random state of the cross-validation and the classifier.

    Returns
    -------
    polars.DataFrame
        ``id`` and ``causes`` (list of cause names), one row per eval row.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    x_train = vectorizer.fit_transform(train["text"].to_list())
    x_eval = vectorizer.transform(eval["text"].to_list())
    train_sims, _ = _neighbours(x_train, x_train, k, exclude_self=True)
    eval_sims, eval_idx = _neighbours(x_train, x_eval, k, exclude_self=False)
    threshold = np.percentile(train_sims[:, 0], COVERAGE_PERCENTILE)
    flagged_train = _train_label_issues(x_train, train["label"].to_numpy(), seed)
    causes = {
        "coverage_gap": eval_sims[:, 0] < threshold,
        "noisy_label": (flagged_train[eval_idx].mean(axis=1) > 0.5) | _eval_label_issues(eval),
        "annotator_inconsistency": _split_votes(eval["id"], annotations),
    }
    is_error = (eval["label"].is_null() | (eval["label"] != eval["prediction"])).to_numpy()
    rows = [[name for name, mask in causes.items() if mask[i]] if is_error[i] else [] for i in range(eval.height)]
    return pl.DataFrame({"id": eval["id"], "causes": rows}, schema_overrides={"causes": pl.List(pl.String)})


def _neighbours(base, queries, k: int, *, exclude_self: bool) -> tuple[np.ndarray, np.ndarray]:
    """Cosine similarities and indices of the ``k`` nearest rows of ``base``, best first."""
    from sklearn.neighbors import NearestNeighbors

    extra = 1 if exclude_self else 0
    n = min(k + extra, base.shape[0])
    dist, idx = NearestNeighbors(n_neighbors=n, metric="cosine").fit(base).kneighbors(queries)
    if exclude_self:  # drop each row's own index (wherever duplicates placed it)
        keep = idx != np.arange(idx.shape[0])[:, None]
        keep[keep.sum(axis=1) > n - 1, -1] = False
        dist = dist[keep].reshape(idx.shape[0], n - 1)
        idx = idx[keep].reshape(idx.shape[0], n - 1)
    return 1.0 - dist, idx


def _train_label_issues(x_train, labels: np.ndarray, seed: int) -> np.ndarray:
    """cleanlab's label-issue mask over the training rows (cross-validated probabilities)."""
    from cleanlab.filter import find_label_issues
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    classes, encoded = np.unique(labels, return_inverse=True)
    folds = min(5, int(np.bincount(encoded).min()))
    model = LogisticRegression(C=10.0, solver="saga", tol=1e-3, max_iter=300, random_state=seed)
    cv = StratifiedKFold(n_splits=max(folds, 2), shuffle=True, random_state=seed)
    probs = cross_val_predict(model, x_train, encoded, cv=cv, method="predict_proba")
    return find_label_issues(encoded, probs)


def _eval_label_issues(eval: pl.DataFrame) -> np.ndarray:
    """cleanlab's label-issue mask over labelled eval rows, from their own ``prob_`` columns."""
    from cleanlab.filter import find_label_issues

    prob_cols = [c for c in eval.columns if c.startswith("prob_")]
    flagged = np.zeros(eval.height, dtype=bool)
    labelled = eval["label"].is_not_null().to_numpy()
    if not prob_cols or labelled.sum() < 2:
        return flagged
    column = {c.removeprefix("prob_"): j for j, c in enumerate(prob_cols)}
    labels = np.asarray([column[v] for v in eval["label"].filter(eval["label"].is_not_null())])
    probs = eval.filter(pl.col("label").is_not_null()).select(prob_cols).to_numpy()
    flagged[labelled] = find_label_issues(labels, probs)
    return flagged


def _split_votes(ids: pl.Series, annotations: pl.DataFrame | None) -> np.ndarray:
    """True where an eval row has at least two votes and they are not unanimous."""
    if annotations is None or annotations.height == 0:
        return np.zeros(len(ids), dtype=bool)
    split = (annotations.group_by("id").agg(split=(pl.len() >= 2) & (pl.col("label").n_unique() > 1)))
    return ids.to_frame().join(split, on="id", how="left")["split"].fill_null(False).to_numpy()
