"""Ranking of training rows by how likely their given label is wrong (used by ``NoisyLabel``).

Two steps beyond plain confident learning:

* **Noise-aware posterior.** Confident learning's joint of (given, true)
  labels gives a class-noise transition ``T[given, true]``. For a row with
  given label ``g`` and clean class probabilities ``p``, the probability that
  the given label is right is ``T[g, g] p_g / sum_a T[g, a] p_a``. Flips
  toward one confusable class (a large ``T[B, A]``) are then suspected even
  when ``p_A`` only moderately exceeds ``p_B``, while uniform flips still need
  a clear disagreement.
* **Refit on the rows kept.** A proxy fitted on noisy labels learns the flips
  (A-like texts labelled B raise ``p_B`` for every A-like text). Refitting
  the cross-validated proxy without the rows flagged so far and scoring
  again removes most of that bias; each refit costs one cross-validation run
  of :func:`diagnose.probs.cross_val_probs` (fits capped at
  :data:`diagnose.probs.MAX_FIT_ROWS` rows); later rounds warm-start from the
  earlier round's fold models (:func:`refit_models`).
"""
from __future__ import annotations

import logging

import numpy as np

from diagnose.probs import THREAD_WORK, _smooth, fold_indices, fold_model, held_probs, map_threads

log = logging.getLogger(__name__)

_CHUNK = 65_536


def noise_transition(confident_joint: np.ndarray, smooth: float = 0.5) -> np.ndarray:
    """``T[given, true]`` = P(given label | true class), from cleanlab's calibrated confident joint.

    Each true class keeps its estimated noise rate; a share ``smooth`` of it
    is spread evenly over the other classes (pairs the joint saw no row for
    still get a small rate).
    """
    joint = confident_joint / max(float(confident_joint.sum()), 1e-12)  # as cleanlab's estimate_joint
    trans = joint / np.maximum(joint.sum(axis=0, keepdims=True), 1e-12)
    stay = np.diag(trans).copy()
    spread = np.repeat(((1.0 - stay) / max(len(stay) - 1, 1))[None, :], len(stay), axis=0)
    np.fill_diagonal(spread, stay)
    return (1.0 - smooth) * trans + smooth * spread


def posterior_quality(labels: np.ndarray, probs: np.ndarray, trans: np.ndarray) -> np.ndarray:
    """P(true class = given label | row), in chunks (no full-size temporaries at scale)."""
    out = np.empty(len(labels), dtype=np.float64)
    for start in range(0, len(labels), _CHUNK):
        lab = labels[start:start + _CHUNK]
        weighted = trans[lab] * probs[start:start + _CHUNK]
        out[start:start + len(lab)] = weighted[np.arange(len(lab)), lab] / np.maximum(weighted.sum(axis=1), 1e-12)
    return out


def refit_probs(x: np.ndarray, labels: np.ndarray, keep: np.ndarray, n_classes: int, *, folds: int = 3,
                seed: int = 0) -> np.ndarray | None:
    """Out-of-fold probabilities of every row from proxies fitted only on the ``keep`` rows.

    Returns ``None`` when a fold cannot be fitted (e.g. a single class left).
    """
    fresh = refit_models(x, labels, keep, n_classes, folds=folds, seed=seed)
    return None if fresh is None else fresh[0]


def refit_models(x: np.ndarray, labels: np.ndarray, keep: np.ndarray, n_classes: int, *, folds: int = 3,
                 seed: int = 0, init: list | None = None) -> tuple[np.ndarray, list] | None:
    """:func:`refit_probs` and the fold models; ``init`` (the fold models of an earlier refit) warm-starts them.

    The folds are the same in every refit (same labels and seed), so fold
    ``j``'s earlier model never saw fold ``j``'s held-out rows: starting from
    it leaks nothing into the out-of-fold probabilities, and only the few rows
    flagged since then have to be unlearnt (about 30% fewer iterations at 10k rows).
    """
    splits = fold_indices(labels, n_classes, folds=folds, seed=seed)
    fits = [fit_rows[keep[fit_rows]] for fit_rows, _ in splits]
    if any(len(np.unique(labels[rows])) < 2 for rows in fits):
        return None
    starts = init if init is not None and len(init) == len(splits) else [None] * len(splits)
    models = map_threads(lambda j: fold_model(x, labels, fits[j], n_classes, seed=seed, init=starts[j]),
                         list(range(len(splits))), _refit_jobs(len(splits), len(labels), x.shape[1] * n_classes),
                         work=len(labels) * x.shape[1] * n_classes)
    out = np.zeros((len(labels), n_classes))
    for (_, held_rows), rows, model in zip(splits, fits, models):
        out[held_rows] = held_probs(model, x, labels, rows, held_rows, n_classes, seed=seed)
    return _smooth(out), models


def _refit_jobs(folds: int, rows: int, width: int) -> int | None:
    """Threads of a refit's fold fits: one per fold when they are worth threads, so no fold waits for a
    core while another runs alone (the analyzer runs beside Python-bound ones, which take the other core
    in turns); None (one per core) otherwise. Each fit is computed alone: the result does not depend on it."""
    return folds if rows * width >= THREAD_WORK else None


def lowest(quality: np.ndarray, n: int) -> np.ndarray:
    """Boolean mask of the ``n`` rows with the lowest ``quality`` (stable order)."""
    flagged = np.zeros(len(quality), dtype=bool)
    flagged[np.argsort(quality, kind="stable")[: max(int(n), 0)]] = True
    return flagged


def flag_issues(data, labels: np.ndarray, probs: np.ndarray, quality: np.ndarray, blend, *, joint: np.ndarray,
                rounds: int = 2, folds: int = 3, max_rows: int = 50_000, factor: float = 1.25,
                smooth: float = 0.5) -> np.ndarray:
    """Flag ``factor`` × cleanlab's estimated number of label issues, most suspect first.

    ``probs`` are the (blended) out-of-sample probabilities, ``joint`` their
    calibrated confident joint (cleanlab ``compute_confident_joint``) and
    ``quality`` the first-pass label quality. Up to ``rounds`` times, the proxy is refitted
    on ``data.train_embeddings`` without the rows flagged so far, blended by
    ``blend(probs)`` and the rows are re-ranked by :func:`posterior_quality`.
    Without embeddings, above ``max_rows`` rows, or when the user gave the
    training probabilities (``data.notes["train_probs"] == "given"``: their
    model is not ours to replace) the posterior of ``probs`` ranks the rows.
    """
    from cleanlab.count import num_label_issues

    n_issues = num_label_issues(labels, probs)
    trans = noise_transition(joint, smooth)
    flagged, post = lowest(quality, n_issues), None
    own = data.notes.get("train_probs") != "given"
    refit = data.train_embeddings is not None and len(labels) <= max_rows and own
    if data.train_embeddings is not None and own and not refit and rounds > 0:
        log.info("noisy_label: %d training rows > %d, label ranking without refit", len(labels), max_rows)
    models = None
    for _ in range(rounds if refit else 0):
        fresh = refit_models(data.train_embeddings, labels, ~flagged, probs.shape[1], folds=folds, seed=data.seed,
                             init=models)
        if fresh is None:
            break
        models = fresh[1]
        post = posterior_quality(labels, blend(fresh[0]), trans)
        flagged = lowest(post, n_issues)
    if post is None:
        post = posterior_quality(labels, probs, trans)
    return lowest(post, factor * n_issues)


def centre_margin(emb: np.ndarray, labels: np.ndarray, suggested: np.ndarray, n_classes: int) -> np.ndarray:
    """How much closer each row lies to its suggested class than to its given class.

    Cosine similarity of the (unit-length) row to the sum of the suggested
    class's rows minus that to the sum of its given class's other rows (the
    row left out). Positive: the text looks more like the suggested class as
    a whole. Unlike the classifier's probabilities, a class centre is not
    swayed by a local cluster of flipped rows (when about half the rows of a
    cluster were flipped, the probabilities cannot tell which half). NaN where
    the suggestion is the given label.
    """
    unit = lambda rows: emb[rows] / np.maximum(np.linalg.norm(emb[rows], axis=1, keepdims=True), 1e-12)
    blocks = [np.arange(start, min(start + _CHUNK, len(labels))) for start in range(0, len(labels), _CHUNK)]
    sums = np.zeros((n_classes, emb.shape[1]))
    for rows in blocks:  # block by block: no normalised copy of the embeddings
        np.add.at(sums, labels[rows], unit(rows).astype(np.float64))  # as float64: numpy's fast path, same sums
    sq = (sums * sums).sum(axis=1)
    out = np.full(len(labels), np.nan)
    for rows in blocks:
        start = rows[0]
        dots = unit(rows) @ sums.T
        own = dots[rows - start, labels[rows]] - 1.0  # the row left out of its own class (x·x = 1)
        own_norm = np.sqrt(np.maximum(sq[labels[rows]] - 2.0 * dots[rows - start, labels[rows]] + 1.0, 1e-12))
        other = dots[rows - start, suggested[rows]] / np.sqrt(np.maximum(sq[suggested[rows]], 1e-12))
        out[rows] = other - own / own_norm
    out[suggested == labels] = np.nan
    return out


def row_scores(labels: np.ndarray, probs: np.ndarray, method: str) -> np.ndarray:
    """cleanlab's per-row label quality (``method``), computed in blocks of rows."""
    from cleanlab.rank import get_label_quality_scores

    if len(labels) <= _CHUNK:
        return get_label_quality_scores(labels, probs, method=method)
    return np.concatenate([get_label_quality_scores(labels[s:s + _CHUNK], probs[s:s + _CHUNK], method=method)
                           for s in range(0, len(labels), _CHUNK)])


def suggestions(probs: np.ndarray, labels: np.ndarray, flagged: np.ndarray) -> np.ndarray:
    """Most probable class of each row, never a flagged row's own label (in blocks of rows)."""
    choice = np.empty(len(labels), dtype=np.int64)
    for s in range(0, len(labels), _CHUNK):
        ranked = probs[s:s + _CHUNK].copy()
        rows = np.flatnonzero(flagged[s:s + _CHUNK])
        ranked[rows, labels[s:s + _CHUNK][rows]] = -1.0  # a flagged row's suggestion is never its own label
        choice[s:s + _CHUNK] = ranked.argmax(axis=1)
    return choice
