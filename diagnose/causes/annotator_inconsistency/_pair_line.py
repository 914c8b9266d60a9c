"""The class-pair line of annotator_inconsistency: crossings between an error's two classes.

Private helper of :mod:`diagnose.causes.annotator_inconsistency.analyzer`. Across all annotated
items, annotators cross between two classes far more often than their error rates on clear items
explain when people split on items of that pair; each error then states the posterior that its own
item is split (:func:`~diagnose.causes.annotator_inconsistency._pair_votes.split_posterior`).
"""
from __future__ import annotations

import numpy as np
import polars as pl

from diagnose.causes.annotator_inconsistency._pair_votes import MIN_PAIR_VOTES, pair_clear_noise, split_posterior
from diagnose.core import Prepared
from diagnose.votes import pair_cross_votes


def crossing_ratio(data: Prepared, accuracy: dict, k: int, reps: int = 20):
    """How many times more often annotators cross between each error's gold and prediction, over all
    annotated items, than the error rates ``accuracy`` explain (one-coin null); and draws under it."""
    ann = data.annotations.select("id", "annotator", "label").cast({"id": pl.Utf8, "annotator": pl.Utf8,
                                                                    "label": pl.Utf8})
    seen, expected = pair_cross_votes(ann, accuracy, k)
    keys = _error_pairs(data)
    mean = np.array([expected.get(key, 0.0) if key is not None else 0.0 for key in keys])
    stat = np.array([seen.get(key, 0) if key is not None else 0 for key in keys]) / np.where(mean > 0, mean, np.nan)
    errors = np.array([e is True for e in data.eval.get_column("is_error").to_list()], dtype=bool)
    rows = np.flatnonzero(errors & ~np.isnan(stat))
    draws = np.random.default_rng(data.seed).poisson(np.repeat(mean[rows], reps))
    return stat, draws / np.repeat(mean[rows], reps)


def item_split_posterior(data: Prepared, votes: dict, ratio: np.ndarray, accuracy: dict, classes: list) -> np.ndarray:
    """Per eval row: the posterior that its item is split between its gold and prediction, with each
    error pair's clear-item confusion and split share fitted on all annotated items (:func:`pair_noise`)."""
    ids = data.eval.get_column("id").cast(pl.Utf8).to_list()
    noise, share = pair_noise(data, classes)
    return split_posterior([votes.get(i, []) for i in ids], data.eval.get_column("label").to_list(),
                           data.eval.get_column("prediction").to_list(), ratio, accuracy, len(classes),
                           pair_noise=noise, pair_split=share)


def pair_noise(data: Prepared, classes: list) -> tuple[dict, dict]:
    """How often annotators name each error pair's other class on clear items, and the share of its
    items split (:func:`~diagnose.causes.annotator_inconsistency._pair_votes.pair_clear_noise`)."""
    index = {c: i for i, c in enumerate(classes)}
    ann = data.annotations.select(pl.col("id").cast(pl.Utf8), pl.col("label").cast(pl.Utf8)) \
        .filter(pl.col("label").is_in(list(index)))
    many = ann.group_by("id").len().filter(pl.col("len") >= MIN_PAIR_VOTES).get_column("id")  # fewer tell nothing here
    ann = ann.filter(pl.col("id").is_in(many))
    items = ann.get_column("id").unique(maintain_order=True).to_list()
    row = {i: n for n, i in enumerate(items)}
    counts = np.zeros((len(items), len(index)), dtype=np.float32)
    np.add.at(counts, ([row[i] for i in ann.get_column("id").to_list()],
                       [index[c] for c in ann.get_column("label").to_list()]), 1.0)
    return pair_clear_noise(counts, classes, {key for key in _error_pairs(data) if key is not None})


def precision_cap(ratio: np.ndarray, posterior: np.ndarray | None) -> np.ndarray:
    """The bound on the pair line's stated precision: with votes on the error, the posterior that its
    item is split (whose prior is ``1 - 1/ratio``:
    taking the smaller of the two as well counted the pair's prior twice and left errors whose own
    votes split between the pair at that prior); else ``1 - 1/ratio``."""
    cap = 1.0 - 1.0 / np.maximum(ratio, 1.0)
    return cap if posterior is None else np.where(np.isnan(posterior), cap, posterior)


def _error_pairs(data: Prepared) -> list:
    gold, pred = data.eval.get_column("label").to_list(), data.eval.get_column("prediction").to_list()
    return [frozenset((g, p)) if g is not None and p is not None and g != p else None for g, p in zip(gold, pred)]
