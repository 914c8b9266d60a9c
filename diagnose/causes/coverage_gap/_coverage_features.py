"""Novelty signals of :class:`~diagnose.causes.coverage_gap.analyzer.CoverageGap`.

Each signal is computed for eval rows and, leave-one-out, for a sample of
training rows (the reference the scores are calibrated against):

* isolation: one minus the mean cosine similarity to the ``k`` nearest
  training rows;
* class-centre distance: one minus the largest cosine similarity to the
  centre (sum of rows) of a training class, the row itself left out of its
  own class;
* uncertainty: entropy of the classifier's class probabilities (out-of-sample
  for training rows);
* gold-label distance (labelled errors only): one minus the largest cosine
  similarity to a training row of the row's gold label (for a training
  row, to another row of its own label).

Rows may be sparse (TF-IDF) or dense (shared embeddings); centre sums keep
the input's type, and every product is taken in blocks, so memory stays
bounded by ``block × classes``.
"""
from __future__ import annotations

import numpy as np

from diagnose.neighbors import top_k_sorted
from diagnose.probs import map_threads

__all__ = ["base_split", "char_features", "sparse_top_k", "class_sums", "centre_distance", "nearest_in_group", "entropy", "matched_quantiles",
           "percentile"]


#: the most frequent terms of a sparse product taken as a dense matrix product: character n-grams such as
#: "th" occur in most rows and make the sparse product slow (512 terms: about 3x faster at 10k rows)
DENSE_TERMS = 512
DENSE_BYTES = 64 * 2**20


def char_features(texts: list[str], rows: np.ndarray, k: int):
    """Character 2–5-gram TF-IDF of ``texts`` (the fitted vectorizer and its CSR rows), the similarities of
    the ``k`` nearest other rows of each row in ``rows`` (what ``CoverageGap.fit`` computes first) and the
    rows' term split (:func:`base_split`), which later searches of the same rows reuse."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True,
                                 min_df=2 if len(texts) > 5000 else 1, dtype=np.float32)
    matrix = vectorizer.fit_transform(texts).tocsr()
    split = base_split(matrix)
    return vectorizer, matrix, sparse_top_k(matrix[rows], matrix, k, exclude=rows, split=split)[1], split


def sparse_top_k(queries, base, k: int, *, exclude: np.ndarray | None, block: int = 512, split: tuple | None = None):
    """Top-``k`` cosine neighbours of L2-normalised sparse rows, blocked.

    ``exclude[i]`` is the base row to skip for query ``i`` (itself), or None.
    The products of the most frequent terms are dense (BLAS), the rest sparse
    (:func:`base_split`, or ``split``, computed before from the same ``base``);
    blocks are computed on threads (both release the GIL).
    """
    k = min(k, base.shape[0] - (exclude is not None))
    frequent, dense_t, rest_t = split if split is not None else base_split(base)
    q_dense, q_rest = _query_split(queries.tocsr(), frequent, dense_t is not None)

    def one(start: int) -> tuple[np.ndarray, np.ndarray]:
        scores = (q_rest[start:start + block] @ rest_t).toarray()
        if dense_t is not None:
            scores += q_dense[start:start + block].toarray() @ dense_t
        if exclude is not None:
            scores[np.arange(scores.shape[0]), exclude[start:start + block]] = -np.inf
        if k < scores.shape[1]:
            return top_k_sorted(scores, k)  # as the argpartition below, for a third of the CPU
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        top = np.take_along_axis(scores, part, axis=1)
        order = np.argsort(-top, axis=1, kind="stable")
        return np.take_along_axis(part, order, axis=1), np.take_along_axis(top, order, axis=1)

    parts = map_threads(one, list(range(0, queries.shape[0], block)), work=block * base.shape[0] * 100.0)
    idx = np.concatenate([p[0] for p in parts]) if parts else np.empty((0, k), dtype=np.int64)
    sim = np.concatenate([p[1] for p in parts]) if parts else np.empty((0, k), dtype=np.float32)
    return idx.astype(np.int64), sim.astype(np.float32)


def base_split(base):
    """``(frequent, dense_t, rest_t)``: the base rows' most frequent terms (a mask), those columns transposed
    as a dense matrix (None when there are none) and the other columns transposed (sparse CSR).

    The split changes only the order of the float32 sums (similarities agree to about 1e-6).
    """
    base = base.tocsr()
    n_dense = int(min(DENSE_TERMS, base.shape[1] // 2, DENSE_BYTES // (4 * max(base.shape[0], 1))))
    frequent = np.zeros(base.shape[1], dtype=bool)
    if n_dense > 0:
        freq = np.bincount(base.indices, minlength=base.shape[1])
        frequent[np.argsort(-freq, kind="stable")[:n_dense]] = True
    rest_t = base[:, ~frequent].T.tocsr()
    dense_t = np.ascontiguousarray(base[:, frequent].toarray().T) if n_dense > 0 else None
    return frequent, dense_t, rest_t


def _query_split(queries, frequent: np.ndarray, dense: bool):
    """The query rows' frequent-term columns and the others (all of them, unsplit, without dense terms)."""
    if not dense:
        return None, queries
    return queries[:, frequent].tocsr(), queries[:, ~frequent].tocsr()


def class_sums(rows, y: np.ndarray, n_classes: int):
    """Per-class sums of ``rows`` (sparse stays sparse) and their squared norms."""
    import scipy.sparse as sp

    member = sp.csr_matrix((np.ones(len(y), dtype=np.float32), (y, np.arange(len(y)))), shape=(n_classes, len(y)))
    sums = member @ rows
    sums = sums.tocsr() if sp.issparse(sums) else np.asarray(sums, dtype=np.float32)
    return sums, _squared_norms(sums)


def centre_distance(rows, sums, sq_norms: np.ndarray, *, own: np.ndarray | None = None, block: int = 2048) -> np.ndarray:
    """One minus the largest cosine of each row to a class centre.

    ``own[i]`` is the class of training row ``i``, removed from its own
    centre first (leave-one-out); None for eval rows.
    """
    import scipy.sparse as sp

    out = np.empty(rows.shape[0], dtype=np.float64)
    sums_t = sums.T.tocsc() if sp.issparse(sums) else sums.T
    for start in range(0, rows.shape[0], block):
        part = rows[start:start + block]
        dots = part @ sums_t
        dots = np.asarray(dots.toarray() if sp.issparse(dots) else dots, dtype=np.float64)
        norms = np.tile(sq_norms, (dots.shape[0], 1))
        if own is not None:
            r = np.arange(dots.shape[0])
            cls = own[start:start + block]
            self_sq = _squared_norms(part)
            self_dot = dots[r, cls]
            dots[r, cls] = self_dot - self_sq
            norms[r, cls] = sq_norms[cls] - 2 * self_dot + self_sq
        cos = np.where(norms > 1e-9, dots / np.sqrt(np.maximum(norms, 1e-18)), 0.0)
        out[start:start + block] = 1.0 - cos.max(axis=1)
    return out


def nearest_in_group(queries, query_groups: np.ndarray, base, base_groups: np.ndarray, *,
                     exclude: np.ndarray | None = None, block: int = 256) -> np.ndarray:
    """Largest cosine of each L2-normalised query to a base row of the same group.

    ``query_groups`` and ``base_groups`` are integer group codes (a negative
    query code means no group). ``exclude[i]`` is the base row to skip for
    query ``i`` (itself; negative for none). NaN where the group has no
    (other) base row. Products are taken per group (groups on threads) in
    blocks of ``block`` queries, so memory stays bounded by ``block`` × the
    largest group × the threads.
    """
    import scipy.sparse as sp

    out = np.full(queries.shape[0], np.nan)
    q_order = np.argsort(query_groups, kind="stable")
    b_order = np.argsort(base_groups, kind="stable")
    b_sorted = base_groups[b_order]
    q_groups, q_starts = np.unique(query_groups[q_order], return_index=True)

    def one(item: tuple[int, np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
        g, q_rows = item
        lo, hi = np.searchsorted(b_sorted, g, side="left"), np.searchsorted(b_sorted, g, side="right")
        if g < 0 or hi == lo:
            return []
        members = b_order[lo:hi]
        base_t = base[members].T
        base_t = base_t.tocsr() if sp.issparse(base_t) else base_t
        found = []
        for start in range(0, len(q_rows), block):
            part = q_rows[start:start + block]
            dots = queries[part] @ base_t
            dots = np.asarray(dots.toarray() if sp.issparse(dots) else dots, dtype=np.float64)
            if exclude is not None:
                dots[members[None, :] == exclude[part][:, None]] = -np.inf
            best = dots.max(axis=1)
            found.append((part, np.where(np.isfinite(best), best, np.nan)))
        return found

    work = queries.shape[0] * base.shape[0] * 10.0  # about the products' multiply-adds, all groups together
    for found in map_threads(one, list(zip(q_groups, np.split(q_order, q_starts[1:]))), work=work):
        for part, best in found:
            out[part] = best
    return out


def _squared_norms(rows) -> np.ndarray:
    import scipy.sparse as sp

    if sp.issparse(rows):
        return np.asarray(rows.multiply(rows).sum(axis=1), dtype=np.float64).ravel()
    return (np.asarray(rows, dtype=np.float64) ** 2).sum(axis=1)


def entropy(probs: np.ndarray) -> np.ndarray:
    """Shannon entropy (nats) of each probability row."""
    p = np.clip(np.asarray(probs, dtype=np.float64), 1e-12, 1.0)
    return -(p * np.log(p)).sum(axis=1)


def matched_quantiles(values: np.ndarray, reference_sorted: np.ndarray) -> np.ndarray:
    """Each value replaced by the (sorted) reference's value at the same rank; ties share their mean rank.

    Two models' entropies are not on one scale (a sharper or flatter model shifts every row),
    but their ranks are: matched this way, a row is as uncertain for your model as the
    reference row at its rank is for the proxy.

    Examples
    --------
    >>> matched_quantiles(np.array([5.0, 1.0, 3.0]), np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])).round(3)
    array([0.517, 0.183, 0.35 ])
    """
    from scipy.stats import rankdata

    if not len(values):
        return np.asarray(values, dtype=float)
    return np.quantile(reference_sorted, (rankdata(values) - 0.5) / len(values))


def percentile(reference_sorted: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Share of the (sorted) reference values at or below each value."""
    return np.searchsorted(reference_sorted, values, side="right") / len(reference_sorted)
