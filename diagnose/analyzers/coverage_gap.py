"""coverage_gap: the model never saw similar examples in training."""
from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from sklearn.feature_extraction.text import TfidfVectorizer

from diagnose.analyzers.base import Analyzer, Neighbors, Prepared
from diagnose.regions import describe_regions


class CoverageGap(Analyzer):
    """Score how far each eval row lies from the training data.

    The isolation of a row is one minus the mean cosine similarity to its
    ``k`` nearest training rows. By default it is measured on character
    2–5-gram TF-IDF of the texts (``features="char"``), which separates
    out-of-scope queries far better than the shared word embedding (CLINC150
    val vs oos_val AUROC 0.93 vs 0.67 at k=5, see ``benchmarks/RESULTS.md``);
    ``features="shared"`` uses the pipeline's embeddings and neighbours. It
    is calibrated against the isolation of (up to ``reference_rows``)
    training rows from the other training rows, so a score of 0.97 reads
    "more isolated than 97% of training rows". Gold labels absent from
    training score 1, and labels rarer than ``rare_share`` of the median
    class count score high. Works without eval labels.

    Parameters
    ----------
    k
        Neighbours averaged for the isolation.
    rare_share
        A class with fewer than this share of the median class count is rare.
    features
        ``auto`` (``char`` up to ``char_max_rows`` training rows, else
        ``shared``), ``char`` (character n-gram TF-IDF of the texts, exact
        sparse search) or ``shared`` (the pipeline's embeddings and
        neighbours, which scale through the approximate index).
    char_max_rows
        Largest training table searched exactly on character n-grams.
    reference_rows
        Training rows sampled to calibrate the isolation percentile.
    use_probs
        Also use the model's own uncertainty when eval probabilities are
        available: score = 1 − (1 − percentile) × max probability (a noisy-OR
        of isolation and 1 − max softmax probability). Off by default so the
        score stays specific to novelty (model uncertainty also rises on
        label-noise errors); on CLINC150 dev it lifts AUROC from 0.925 to 0.949.
    """

    name = "coverage_gap"
    description = (
        "The model never saw similar examples in training: the row is farther from its "
        "nearest training rows than almost all training rows are from theirs, or its "
        "label is absent or rare in training. Fix: collect and label data like these rows."
    )

    def __init__(self, *, k: int = 5, rare_share: float = 0.25, features: str = "auto",
                 char_max_rows: int = 50_000, reference_rows: int = 5000, use_probs: bool = False, show: int = 3):
        self.k = k
        self.rare_share = rare_share
        self.features = features
        self.char_max_rows = char_max_rows
        self.reference_rows = reference_rows
        self.use_probs = use_probs
        self.show = show

    def skip_reason(self, data: Prepared) -> str | None:
        if data.train is None:
            return "no training table was given, so there is nothing to measure coverage against"
        if self._space(data) == "shared" and (data.eval_neighbors is None or data.train_neighbors is None):
            return "no neighbour search was run"
        return None

    def _space(self, data: Prepared) -> str:
        if self.features != "auto":
            return self.features
        return "char" if data.train is not None and data.train.height <= self.char_max_rows else "shared"

    def fit(self, data: Prepared) -> "CoverageGap":
        self.space_ = self._space(data)
        if self.space_ == "char":
            texts = data.train.get_column("text").to_list()
            self.vectorizer_ = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True,
                                               min_df=2 if len(texts) > 5000 else 1, dtype=np.float32)
            self.train_matrix_ = self.vectorizer_.fit_transform(texts).tocsr()
            rows = np.random.default_rng(data.seed).permutation(len(texts))[: self.reference_rows]
            _, sims = _sparse_top_k(self.train_matrix_[rows], self.train_matrix_, self.k, exclude=rows)
        else:
            sims = data.train_neighbors.similarities[:, : self.k]
        self.reference_ = np.sort(1.0 - sims.mean(axis=1))
        counts = data.train.group_by("label").len()
        self.label_counts_ = dict(zip(counts.get_column("label").to_list(), counts.get_column("len").to_list()))
        self.median_count_ = float(np.median(list(self.label_counts_.values())))
        return self

    def score(self, data: Prepared) -> pl.DataFrame:
        nb = self._eval_neighbors(data)
        isolation = 1.0 - nb.similarities[:, : self.k].mean(axis=1)
        pct = np.searchsorted(self.reference_, isolation, side="right") / len(self.reference_)
        labels = data.eval.get_column("label").to_list()
        label_score, label_note = zip(*(self._label_signal(g) for g in labels)) if labels else ((), ())
        novelty, notes = pct, list(label_note)
        if self.use_probs and data.eval_probs is not None:
            top = data.eval_probs.max(axis=1)
            novelty = 1.0 - (1.0 - pct) * top
            notes = [f"{n}; " if n else "" for n in notes]
            notes = [f"{n}the model's top probability is only {t:.2f}" for n, t in zip(notes, top)]
        scores = np.maximum(novelty, np.asarray(label_score, dtype=float))
        train_ids = data.train.get_column("id").to_list()
        train_labels = data.train.get_column("label").to_list()
        evidence = [
            self._evidence(pct[i], nb.indices[i], nb.similarities[i], train_ids, train_labels, notes[i])
            for i in range(len(scores))
        ]
        self.regions_ = describe_regions(data, pct, seed=data.seed)
        self.n_isolated_ = int((pct >= 0.95).sum())
        return pl.DataFrame({"id": data.eval.get_column("id"), "score_coverage_gap": scores.astype(float),
                             "evidence_coverage_gap": evidence})

    def _eval_neighbors(self, data: Prepared) -> Neighbors:
        """Nearest training rows of every eval row, in the chosen feature space."""
        if self.space_ != "char":
            return data.eval_neighbors
        queries = self.vectorizer_.transform(data.eval.get_column("text").to_list()).tocsr()
        idx, sims = _sparse_top_k(queries, self.train_matrix_, max(self.k, self.show), exclude=None)
        return Neighbors(idx, sims)

    def _label_signal(self, gold: str | None) -> tuple[float, str]:
        if gold is None or not hasattr(self, "label_counts_"):
            return 0.0, ""
        count = self.label_counts_.get(gold, 0)
        if count == 0:
            return 1.0, f"gold label {gold!r} never appears in training"
        limit = self.rare_share * self.median_count_
        if count < limit:
            return 0.5 + 0.5 * (1 - count / limit), f"gold label {gold!r} is rare in training ({count} rows; median class {self.median_count_:.0f})"
        return 0.0, ""

    def _evidence(self, pct, idx, sims, train_ids, train_labels, label_note) -> str:
        near = ", ".join(f"{train_ids[j]} [{train_labels[j]}] sim {s:.2f}" for j, s in zip(idx[: self.show], sims[: self.show]))
        text = f"more isolated than {100 * pct:.0f}% of training rows; nearest training rows: {near}"
        return f"{label_note}; {text}" if label_note else text

    def tables(self) -> dict[str, pl.DataFrame]:
        return {"coverage_regions": self.regions_} if hasattr(self, "regions_") else {}

    def summary(self) -> dict[str, Any]:
        return {"isolated_rows": getattr(self, "n_isolated_", 0), "k": self.k, "features": getattr(self, "space_", self.features),
                "classes_in_training": len(getattr(self, "label_counts_", {}))}


def _sparse_top_k(queries, base, k: int, *, exclude: np.ndarray | None, block: int = 512):
    """Top-``k`` cosine neighbours of L2-normalised sparse rows, blocked.

    ``exclude[i]`` is the base row to skip for query ``i`` (itself), or None.
    """
    k = min(k, base.shape[0] - (exclude is not None))
    idx = np.empty((queries.shape[0], k), dtype=np.int64)
    sim = np.empty((queries.shape[0], k), dtype=np.float32)
    base_t = base.T.tocsc()
    for start in range(0, queries.shape[0], block):
        scores = (queries[start:start + block] @ base_t).toarray()
        if exclude is not None:
            scores[np.arange(scores.shape[0]), exclude[start:start + block]] = -np.inf
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        top = np.take_along_axis(scores, part, axis=1)
        order = np.argsort(-top, axis=1, kind="stable")
        idx[start:start + block] = np.take_along_axis(part, order, axis=1)
        sim[start:start + block] = np.take_along_axis(top, order, axis=1)
    return idx, sim
