"""The shared representation's stages: embeddings, out-of-sample probabilities, and the neighbour
search beside them. Private helper of :mod:`diagnose.pipeline` (which orchestrates and times them)."""
from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from diagnose.probs import fit_predict_probs, proxy_probs

if TYPE_CHECKING:
    from diagnose.pipeline import RunConfig
    from diagnose.validate import Inputs

log = logging.getLogger("diagnose")


def _side_by_side(stages: Any, search, probabilities, beside=None):
    """``(search(), probabilities())``, the search (then ``beside()``) on a thread; each stage's own time is recorded."""
    from concurrent.futures import ThreadPoolExecutor

    def timed():
        start = time.perf_counter()
        found, seconds = search(), round(time.perf_counter() - start, 3)
        if beside is not None:  # Python-bound (the vote posterior) while the folds' BLAS leaves the GIL free
            try:
                beside()
            except Exception as exc:  # noqa: BLE001 (its readers compute it again and report any error themselves)
                log.debug("ahead of the analyzers: %s", exc)
        return found, seconds

    stages.times["neighbors"] = 0.0  # keeps the stages' order in the summary
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(timed)
        with stages.stage("probabilities"):
            probs = probabilities()
        with stages.stage("neighbors"):  # counted here, on the calling thread, while it is awaited
            found, seconds = pending.result()
    stages.times["neighbors"] = seconds
    return found, probs


def _embed(inputs: Inputs, embedder: Any, config: RunConfig, seed: int, engine: Any = None, cache: Any = None,
           hits: dict | None = None):
    """Eval and training embeddings; ``engine`` (a DaskEngine or None) runs the transform; ``cache`` keeps them."""
    from diagnose.cache import embedding_key
    from diagnose.embed import TfidfSvdEmbedder

    embedder = embedder or TfidfSvdEmbedder(n_components=config.embed_dim, seed=seed, progress=config.progress)
    eval_texts = inputs.eval.get_column("text").to_list()
    train_texts = inputs.train.get_column("text").to_list() if inputs.train is not None else []
    if hasattr(embedder, "embed_ids"):
        train_ids = inputs.train.get_column("id").to_list() if inputs.train is not None else []
        eval_emb = embedder.embed_ids(inputs.eval.get_column("id").to_list())
        return (embedder.embed_ids(train_ids) if train_ids else None), eval_emb
    key = embedding_key(embedder, train_texts, eval_texts) if cache is not None else None
    found = cache.get("embeddings", key, ["train", "eval"]) if key else None
    if found is not None:
        hits["embed"] = "hit"
        return (found["train"] if train_texts else None), found["eval"]
    embedder.fit(train_texts + eval_texts)
    transform = (lambda texts: engine.transform(embedder, texts)) if engine else embedder.transform
    eval_emb = transform(eval_texts)
    train_emb = transform(train_texts) if train_texts else None
    if key:
        cache.put("embeddings", key, {"train": train_emb if train_emb is not None else np.zeros((0, 0), np.float32),
                                      "eval": eval_emb})
        hits["embed"] = "stored"
    return train_emb, eval_emb


def _probabilities(inputs: Inputs, train_emb, eval_emb, config: RunConfig, seed: int, engine: Any = None):
    """Out-of-sample probabilities ``(train, eval, eval_held, notes)``; ``engine`` (a DaskEngine or None) runs
    the fits. ``eval_held`` scores the eval rows as the training rows are scored (each by one fold's model,
    or the given eval probabilities when the training rows' were given too), so the two compare."""
    from diagnose.probs import MAX_FIT_ROWS, effective_folds

    notes: dict[str, Any] = {"train_probs": "given" if inputs.train_probs is not None else None,
                             "eval_probs": "given" if inputs.eval_probs is not None else None}
    if inputs.task != "classification" or inputs.train is None:
        return inputs.train_probs, inputs.eval_probs, None, notes
    index = {c: i for i, c in enumerate(inputs.classes)}
    y = np.array([index[c] for c in inputs.train.get_column("label").to_list()])
    train_probs, eval_probs, held = inputs.train_probs, inputs.eval_probs, None
    capped = f", each fit on a stratified sample of {MAX_FIT_ROWS:,} rows" if len(y) > MAX_FIT_ROWS else ""
    if train_probs is None:
        if engine:
            train_probs, held = engine.cross_val_probs(train_emb, y, len(inputs.classes), folds=config.cv_folds,
                                                       seed=seed, held_queries=eval_emb)
        else:  # the eval rows' fit, when needed, shares the folds' threads
            train_probs, fitted, held = proxy_probs(train_emb, y, eval_emb if eval_probs is None else None,
                                                    len(inputs.classes), folds=config.cv_folds, seed=seed,
                                                    progress=config.progress, held_queries=eval_emb)
            eval_probs = fitted if eval_probs is None else eval_probs
        folds = effective_folds(len(y), config.cv_folds, MAX_FIT_ROWS)
        notes["train_probs"] = f"proxy: logistic regression, {folds}-fold cross-validation{capped}"
    if notes["eval_probs"] is None:
        if eval_probs is None:
            fit = engine.predict_probs if engine else fit_predict_probs
            eval_probs = fit(train_emb, y, eval_emb, len(inputs.classes), seed=seed)
        notes["eval_probs"] = f"proxy: logistic regression fitted on all training rows{capped}"
    return train_probs, eval_probs, (eval_probs if held is None else held), notes
