"""Out-of-sample class probabilities from a proxy model.

When the user gives no ``prob_<class>`` columns for the training table, a
logistic-regression proxy on the shared embeddings is fitted with stratified
K-fold cross-validation, so every training row is scored by a model that
never saw it (what confident learning needs). Eval rows without
probabilities are scored by the proxy fitted on all training rows. On large
tables each fit uses a class-stratified sample of at most
:data:`MAX_FIT_ROWS` rows, so the cost grows linearly (prediction only).
"""
from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from tqdm.auto import tqdm

__all__ = ["cross_val_probs", "proxy_probs", "query_folds", "fit_predict_probs", "fold_indices", "fold_probs", "fold_model", "held_probs", "map_threads",
           "cap_rows", "effective_folds", "probs_dtype", "FLOAT32_CELLS", "SoftmaxRegression", "MAX_FIT_ROWS", "TOL"]

log = logging.getLogger(__name__)

#: rows the proxy is fitted on at most per fold: a 20k-row class-stratified
#: sample gives nearly the accuracy of the full fold (see
#: ``benchmarks/results/scale.md``) at a bounded cost
MAX_FIT_ROWS = 20_000

#: cells (rows × classes) above which out-of-fold probability tables are kept as float32: a
#: 1M × 228 table is 1.8 GB in float64, the largest array of a run at that size; float32 keeps
#: 7 significant digits (the proxy's own error is far larger) and smaller tables stay float64
FLOAT32_CELLS = 50_000_000

#: solver tolerance of :class:`SoftmaxRegression`: out-of-fold probabilities within 0.03 (mean L1 per row)
#: of scikit-learn's lbfgs at its default tolerance, a tenth of what another fold split changes
#: (``benchmarks/results/small_scale.md``)
TOL = 3e-4


def _model(seed: int) -> SoftmaxRegression:
    """The proxy: multinomial logistic regression, C=10 (``seed`` kept for callers; the fit is deterministic)."""
    return SoftmaxRegression(C=10.0)


class SoftmaxRegression:
    """Multinomial logistic regression (L2 penalty ``1 / (2 C)`` on the weights, intercept free).

    The objective is scikit-learn's ``LogisticRegression(C=C)`` (lbfgs,
    multinomial), solved faster: L-BFGS in standardised coordinates (each
    feature centred and scaled to unit variance, the penalty mapped back so
    the optimum is the same), with the two large products in float32.
    Standardising makes the problem far better conditioned, so the held-out
    log-loss and accuracy are reached in about half the iterations
    (``benchmarks/results/small_scale.md``). ``init``, another fitted model,
    warm-starts the solver.

    Parameters
    ----------
    C
        Inverse penalty strength, as in scikit-learn.
    tol
        Stop when every gradient component of the mean loss (standardised
        coordinates) is at most ``tol``.
    max_iter
        L-BFGS iterations at most.
    """

    def __init__(self, C: float = 10.0, tol: float = TOL, max_iter: int = 300):
        self.C = C
        self.tol = tol
        self.max_iter = max_iter

    def fit(self, x: np.ndarray, y: np.ndarray, init: SoftmaxRegression | None = None) -> SoftmaxRegression:
        """Fit on rows ``x`` with integer labels ``y``; columns follow ``classes_`` (the labels present)."""
        self.classes_, codes = np.unique(y, return_inverse=True)
        mean = x.mean(axis=0, dtype=np.float64)
        scale = x.std(axis=0, dtype=np.float64)
        scale = np.where(scale > 1e-8, scale, 1.0)
        xs = np.ascontiguousarray(((x - mean) / scale).astype(np.float32))
        theta = self._start(init, mean, scale, x.shape[1])
        from scipy.optimize import minimize

        result = minimize(_Objective(xs, codes, len(self.classes_), 1.0 / (self.C * len(y)), scale), theta,
                          jac=True, method="L-BFGS-B",
                          options={"maxiter": self.max_iter, "gtol": self.tol, "ftol": 64 * np.finfo(float).eps})
        d = x.shape[1]
        self.weights_ = result.x[: d * len(self.classes_)].reshape(d, -1) / scale[:, None]
        self.intercept_ = result.x[d * len(self.classes_):] - mean @ self.weights_
        self.n_iter_ = int(result.nit)
        return self

    def _start(self, init: SoftmaxRegression | None, mean: np.ndarray, scale: np.ndarray, d: int) -> np.ndarray:
        """Initial parameters in standardised coordinates: zeros, or ``init``'s for the classes both know."""
        k = len(self.classes_)
        weights, intercept = np.zeros((d, k)), np.zeros(k)
        if init is not None:
            _, mine, theirs = np.intersect1d(self.classes_, init.classes_, return_indices=True)
            weights[:, mine] = init.weights_[:, theirs]
            intercept[mine] = init.intercept_[theirs]
        return np.concatenate([(weights * scale[:, None]).ravel(), intercept + mean @ weights])

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities of rows ``x`` (columns: ``classes_``)."""
        z = (np.asarray(x, dtype=np.float32) @ self.weights_.astype(np.float32)).astype(np.float64)
        z += self.intercept_
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        return z


class _Objective:
    """Mean multinomial log-loss plus the L2 penalty, and its gradient, in standardised coordinates."""

    def __init__(self, xs: np.ndarray, codes: np.ndarray, k: int, penalty: float, scale: np.ndarray):
        self.xs, self.codes, self.k, self.penalty = xs, codes, k, penalty
        self.rows = np.arange(len(codes))
        self.inv_sq = (1.0 / scale**2)[:, None]  # weights = v / scale: the penalty on v is weighted by 1 / scale^2

    def __call__(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        n, d = self.xs.shape
        v = theta[: d * self.k].reshape(d, self.k)
        z = self.xs @ v.astype(np.float32)
        z += theta[d * self.k:].astype(np.float32)
        z -= z.max(axis=1, keepdims=True)
        picked = z[self.rows, self.codes].sum(dtype=np.float64)
        np.exp(z, out=z)
        total = z.sum(axis=1, keepdims=True)
        loss = (np.log(total).sum(dtype=np.float64) - picked) / n
        z /= total
        z[self.rows, self.codes] -= 1.0
        weighted = self.inv_sq * v
        grad_v = (self.xs.T @ z).astype(np.float64) / n + self.penalty * weighted
        grad_b = z.sum(axis=0, dtype=np.float64) / n
        return loss + 0.5 * self.penalty * float((v * weighted).sum()), np.concatenate([grad_v.ravel(), grad_b])


def fold_indices(y: np.ndarray, n_classes: int, *, folds: int = 5, seed: int = 0,
                 max_fit_rows: int | None = MAX_FIT_ROWS) -> list[tuple[np.ndarray, np.ndarray]]:
    """The seeded ``(fit, held-out)`` row splits of :func:`cross_val_probs` (shared by every engine).

    When the fits are capped at ``max_fit_rows``, only as many folds are used
    as keep every fit set at least that large: more folds would fit the same
    number of rows more often, adding cost but no accuracy.
    """
    folds = effective_folds(len(y), folds, max_fit_rows)
    counts = np.bincount(y, minlength=n_classes)
    folds = int(max(2, min(folds, counts[counts > 0].min()))) if counts[counts > 0].min() >= 2 else 2
    from sklearn.model_selection import StratifiedKFold

    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    strat = y if counts[counts > 0].min() >= folds else np.zeros_like(y)
    return list(splitter.split(np.zeros((len(y), 1)), strat))


def effective_folds(n_rows: int, folds: int, max_fit_rows: int | None) -> int:
    """Folds actually used: ``folds``, or fewer (at least 2) when every fit is capped anyway."""
    if max_fit_rows is None or n_rows <= max_fit_rows:
        return folds
    needed = int(np.ceil(n_rows / max(n_rows - max_fit_rows, 1)))
    return int(min(folds, max(2, needed)))


def cap_rows(rows: np.ndarray, y: np.ndarray, max_rows: int | None, *, seed: int = 0, min_per_class: int = 25) -> np.ndarray:
    """A seeded, class-stratified subsample of ``rows`` of about ``max_rows`` rows.

    Every class keeps its share of the cap and at least ``min_per_class`` rows
    (all of them when it has fewer). Returns ``rows`` itself when no cap applies.
    """
    if max_rows is None or len(rows) <= max_rows:
        return rows
    rng = np.random.default_rng(seed)
    shuffled = rows[rng.permutation(len(rows))]
    labels = y[shuffled]
    order = np.argsort(labels, kind="stable")
    counts = np.bincount(labels, minlength=int(y.max()) + 1)
    rank = np.empty(len(shuffled), dtype=np.int64)
    rank[order] = np.arange(len(shuffled)) - np.repeat(np.cumsum(counts) - counts, counts)
    quota = np.maximum(np.ceil(counts * max_rows / len(rows)), min_per_class)
    return np.sort(shuffled[rank < quota[labels]])


def fold_model(x: np.ndarray, y: np.ndarray, fit_rows: np.ndarray, n_classes: int, *, seed: int = 0,
               max_fit_rows: int | None = MAX_FIT_ROWS, init: SoftmaxRegression | None = None) -> SoftmaxRegression | None:
    """The proxy fitted on ``fit_rows`` (capped), warm-started from ``init``; None when they hold one class."""
    rows = cap_rows(fit_rows, y, max_fit_rows, seed=seed)
    if np.unique(y[rows]).size < 2:
        return None
    return _model(seed).fit(x[rows], y[rows], init=init)


def fold_probs(x: np.ndarray, y: np.ndarray, fit_rows: np.ndarray, held_rows: np.ndarray, n_classes: int,
               *, seed: int = 0, max_fit_rows: int | None = MAX_FIT_ROWS, queries: np.ndarray | None = None):
    """Fit the proxy on ``fit_rows`` (capped) and return raw probabilities of ``held_rows`` (and, with
    ``queries``, of those rows too, as a second table)."""
    model = fold_model(x, y, fit_rows, n_classes, seed=seed, max_fit_rows=max_fit_rows)
    held = held_probs(model, x, y, fit_rows, held_rows, n_classes, seed=seed, max_fit_rows=max_fit_rows)
    if queries is None:
        return held
    return held, held_probs(model, queries, y, fit_rows, np.arange(len(queries)), n_classes, seed=seed,
                            max_fit_rows=max_fit_rows)


def held_probs(model: SoftmaxRegression | None, x: np.ndarray, y: np.ndarray, fit_rows: np.ndarray,
               held_rows: np.ndarray, n_classes: int, *, seed: int = 0,
               max_fit_rows: int | None = MAX_FIT_ROWS, out: np.ndarray | None = None) -> np.ndarray:
    """Raw probabilities of ``held_rows`` from ``model``; without one (a fit set of one class, as in
    tiny tables) the add-one class shares of the fit set. With ``out`` (rows × classes), they are
    written to ``out[held_rows]`` batch by batch (no held-out-sized temporary) and ``out`` is returned."""
    if model is None:
        rows = cap_rows(fit_rows, y, max_fit_rows, seed=seed)
        prior = (np.bincount(y[rows], minlength=n_classes) + 1.0) / (len(rows) + n_classes)
        if out is None:
            return np.tile(prior, (len(held_rows), 1))
        out[held_rows] = prior
        return out
    return predict_expanded(model, x, held_rows, n_classes, out=out)


#: threads of :func:`map_threads` at most by default (each holds a block of scores or a fit's temporaries)
MAX_THREADS = 4
#: work (multiply-adds of the largest product) below which :func:`map_threads` stays on one thread: on
#: small tables the solver's Python steps, which hold the GIL, outweigh what a second thread gains
THREAD_WORK = 1e8


#: training rows up to which :func:`proxy_probs` fits every fold on a thread of its own (its fits run beside
#: the neighbour search, which takes a core in turns); above it one thread per core bounds the memory
ALL_FOLDS_ROWS = 50_000


def map_threads(task, items: list, n_jobs: int | None = None, *, work: float | None = None) -> list:
    """``[task(item) for item in items]``, on up to ``n_jobs`` threads (None: one per core, at most
    :data:`MAX_THREADS`; one when the ``work`` of an item is under :data:`THREAD_WORK`).

    The fits spend their time in BLAS products and numpy loops that release
    the GIL, so threads use both cores of a 2-core machine without copying
    the data to worker processes; each item is computed alone, so the
    results do not depend on ``n_jobs``.
    """
    if n_jobs is None and work is not None and work < THREAD_WORK:
        n_jobs = 1
    jobs = min(len(items), n_jobs or min(os.cpu_count() or 1, MAX_THREADS))
    if jobs <= 1:
        return [task(item) for item in items]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(task, items))


def predict_expanded(model: SoftmaxRegression, x: np.ndarray, rows: np.ndarray | None, n_classes: int,
                     batch: int = 50_000, out: np.ndarray | None = None) -> np.ndarray:
    """Probabilities over all ``n_classes`` for ``x[rows]``, predicted in batches.

    With ``out`` (``len(x)`` × ``n_classes``), row ``rows[i]`` is written to ``out[rows[i]]``
    (zeros in the classes the model lacks) and ``out`` is returned: no copy of the table.
    """
    rows = np.arange(len(x)) if rows is None else rows
    target = np.zeros((len(rows), n_classes), dtype=np.float64) if out is None else out
    for start in range(0, len(rows), batch):
        part = rows[start:start + batch]
        probs = model.predict_proba(x[part])
        if out is None:
            target[start:start + len(part), model.classes_] = probs
        elif len(model.classes_) == n_classes:  # classes_ is then 0 .. n_classes - 1
            target[part] = probs
        else:
            block = np.zeros((len(part), n_classes))
            block[:, model.classes_] = probs
            target[part] = block
    return target


def probs_dtype(n_rows: int, n_classes: int) -> type:
    """dtype of an out-of-fold probability table: float32 above :data:`FLOAT32_CELLS` cells, else float64."""
    return np.float32 if n_rows * n_classes > FLOAT32_CELLS else np.float64


def cross_val_probs(x: np.ndarray, y: np.ndarray, n_classes: int, *, folds: int = 5, seed: int = 0,
                    max_fit_rows: int | None = MAX_FIT_ROWS, progress: bool = False,
                    n_jobs: int | None = None) -> np.ndarray:
    """Out-of-fold probabilities for every row of ``x`` (labels ``y`` as ints).

    Each fold's model is fitted on at most ``max_fit_rows`` rows (a seeded,
    class-stratified sample of the other folds) and only as many folds are
    used as keep each fit at that size (see :func:`effective_folds`), so the
    cost stays bounded on large tables; tables whose folds fit under the cap
    are fitted on every row of the other folds, as before. Folds are fitted
    on ``n_jobs`` threads (:func:`map_threads`); the result does not depend on it.
    Each fold predicts straight into the result, in batches (memory: the
    result plus one batch per thread); tables above :data:`FLOAT32_CELLS`
    cells are float32 (:func:`probs_dtype`).

    Examples
    --------
    >>> x = np.array([[0.0, 1], [0, 1.1], [1, 0], [1.1, 0], [0, 0.9], [0.9, 0]])
    >>> p = cross_val_probs(x, np.array([0, 0, 1, 1, 0, 1]), 2, folds=2)
    >>> p.shape, bool(np.allclose(p.sum(1), 1))
    ((6, 2), True)
    """
    return proxy_probs(x, y, None, n_classes, folds=folds, seed=seed, max_fit_rows=max_fit_rows, progress=progress,
                       n_jobs=n_jobs)[0]


def proxy_probs(x: np.ndarray, y: np.ndarray, queries: np.ndarray | None, n_classes: int, *, folds: int = 5,
                seed: int = 0, max_fit_rows: int | None = MAX_FIT_ROWS, progress: bool = False,
                n_jobs: int | None = None, held_queries: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray | None] | tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """:func:`cross_val_probs` of ``x`` and, unless ``queries`` is None, :func:`fit_predict_probs` of ``queries``.

    The fit on all rows runs on the same threads as the folds (first, as the
    largest), so no core idles while the last fold finishes alone; every fit
    is computed alone, so both tables are those of the two functions.
    With ``held_queries``, a third table holds their probabilities from the
    fold models, each row scored by the one fold :func:`query_folds` assigns
    it: scored exactly as a held-out training row is, so the two compare.
    """
    splits = fold_indices(y, n_classes, folds=folds, seed=seed, max_fit_rows=max_fit_rows)
    bar = tqdm(total=len(splits), desc="proxy model folds", unit="fold", disable=not progress, leave=False)
    out = np.zeros((len(y), n_classes), dtype=probs_dtype(len(y), n_classes))
    found: dict[str, np.ndarray] = {}
    assigned = None if held_queries is None else query_folds(len(held_queries), len(splits), seed)
    held_out = None if held_queries is None else np.zeros((len(held_queries), n_classes),
                                                          dtype=probs_dtype(len(held_queries), n_classes))

    def one(split: tuple[int, tuple[np.ndarray, np.ndarray]] | None) -> None:  # each fold writes its own rows
        if split is None:
            found["queries"] = fit_predict_probs(x, y, queries, n_classes, seed=seed, max_fit_rows=max_fit_rows)
            return
        fold, (fit, held) = split
        model = fold_model(x, y, fit, n_classes, seed=seed, max_fit_rows=max_fit_rows)
        held_probs(model, x, y, fit, held, n_classes, seed=seed, max_fit_rows=max_fit_rows, out=out)
        if held_out is not None:
            held_probs(model, held_queries, y, fit, np.flatnonzero(assigned == fold), n_classes, seed=seed,
                       max_fit_rows=max_fit_rows, out=held_out)
        bar.update(1)

    tasks = ([None] if queries is not None else []) + list(enumerate(splits))
    work = len(y) * x.shape[1] * n_classes
    if n_jobs is None and len(y) <= ALL_FOLDS_ROWS and work >= THREAD_WORK:
        n_jobs = len(tasks)  # every fit at once: none waits for a core while another runs alone
    map_threads(one, tasks, n_jobs, work=work)
    bar.close()
    if held_out is not None:
        return _smooth(out), found.get("queries"), _smooth(held_out)
    return _smooth(out), found.get("queries")


def query_folds(n_rows: int, n_folds: int, seed: int = 0) -> np.ndarray:
    """The fold whose model scores each of ``n_rows`` query rows (seeded, shared by every engine).

    Examples
    --------
    >>> folds = query_folds(300, 3, seed=0)
    >>> sorted(set(folds.tolist())), bool((folds == query_folds(300, 3, seed=0)).all())
    ([0, 1, 2], True)
    """
    return np.random.default_rng([seed, 7]).integers(0, n_folds, n_rows)


def fit_predict_probs(x: np.ndarray, y: np.ndarray, queries: np.ndarray, n_classes: int, *, seed: int = 0,
                      max_fit_rows: int | None = MAX_FIT_ROWS) -> np.ndarray:
    """Fit the proxy on all rows (at most ``max_fit_rows``) and return probabilities for ``queries``."""
    rows = cap_rows(np.arange(len(y)), y, max_fit_rows, seed=seed)
    model = _model(seed).fit(x[rows], y[rows])
    return _smooth(predict_expanded(model, queries, None, n_classes))


def _smooth(p: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Add ``eps`` and renormalise rows, in place (large matrices are not copied)."""
    p += eps
    p /= p.sum(axis=1, keepdims=True)
    return p
