"""Planted faults of the intent scenarios: simulated annotators, label flips, ground truth.

Private helpers of :mod:`benchmarks.scenarios` (pure functions of their
arguments and the random generator they are given).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

N_ANNOTATORS = 8
SPAMMER = "ann-08"
VOTES_PER_ITEM = 3


# ------------------------------------------------------------- annotators
def annotator_accuracy(rng: np.random.Generator) -> dict[str, float]:
    """Accuracy per annotator; the spammer answers at random (``nan``)."""
    names = [f"ann-{k:02d}" for k in range(1, N_ANNOTATORS + 1)]
    acc = {name: float(rng.uniform(0.86, 0.95)) for name in names}
    acc[SPAMMER] = float("nan")
    return acc


def cast_votes(true: np.ndarray, classes: tuple[str, ...], split_to: dict[str, str], p_split: float,
           accuracy: dict[str, float], rng: np.random.Generator) -> np.ndarray:
    """Three votes per item: shape ``(n_items, 3, 2)`` of (annotator, label).

    For an item whose true class is a key of ``split_to``, reliable
    annotators mean the paired class with probability ``p_split``.
    """
    names = np.asarray(sorted(accuracy))
    labels = np.asarray(classes)
    out = np.empty((len(true), VOTES_PER_ITEM, 2), dtype=object)
    for i, label in enumerate(true):
        for j, name in enumerate(rng.choice(names, VOTES_PER_ITEM, replace=False)):
            meant = split_to[label] if label in split_to and rng.random() < p_split else label
            if name == SPAMMER or rng.random() > accuracy[name]:
                meant = rng.choice(labels[labels != meant]) if name != SPAMMER else rng.choice(labels)
            out[i, j] = (name, meant)
    return out


def votes_frame(ids: list[str], votes: np.ndarray) -> pl.DataFrame:
    return pl.DataFrame({
        "id": np.repeat(ids, VOTES_PER_ITEM).tolist(),
        "annotator": votes[:, :, 0].ravel().tolist(),
        "label": votes[:, :, 1].ravel().tolist(),
    })


# ----------------------------------------------------------------- planting
def pick_roles(classes: tuple[str, ...], strength: float, rng: np.random.Generator) -> dict[str, Any]:
    """Pick disjoint classes for each planted fault."""
    if len(classes) < 15:
        raise ValueError(f"n_classes={len(classes)} is too small; expected at least 15 classes.")
    perm = [str(c) for c in rng.permutation(classes)]
    n_held = round(max(2, round(0.05 * len(classes))) * min(strength, 1.0))
    n_pairs = 2 if strength > 0 else 0
    cut = np.cumsum([n_held, 2 * n_pairs, 2 * n_pairs, 1 if n_pairs else 0])
    pairs = lambda chunk: [tuple(chunk[k:k + 2]) for k in range(0, len(chunk), 2)]
    return {
        "heldout": sorted(perm[:cut[0]]),
        "flip_pairs": pairs(perm[cut[0]:cut[1]]),
        "split_pairs": pairs(perm[cut[1]:cut[2]]),
        "double_flip": [(perm[cut[1]], perm[cut[2]])] if n_pairs else [],
        "flip_share": min(0.9, 0.45 * strength),
        "double_flip_share": min(0.9, 0.3 * strength),
        "split_share": min(0.5, 0.5 * strength),
        "uniform_noise_share": min(0.5, 0.04 * strength),
        "eval_gold_flip_share": min(0.5, 0.03 * strength),
    }


def _flip(given: np.ndarray, rows: np.ndarray, share: float, to: Any, rng: np.random.Generator) -> None:
    """Set ``given[rows]`` of a random ``share`` to ``to`` (a label or a callable)."""
    chosen = rng.choice(rows, round(share * len(rows)), replace=False) if len(rows) else rows
    for i in chosen:
        given[i] = to(given[i]) if callable(to) else to


def _other_label(pool: list[str], rng: np.random.Generator):
    return lambda current: rng.choice([c for c in pool if c != current])


def plant_train(true: np.ndarray, votes: np.ndarray, roles: dict[str, Any], pool: list[str],
                 rng: np.random.Generator) -> np.ndarray:
    """Given training labels: split classes take one random vote; then flips and noise.

    Votes naming a held-out class are skipped, so held-out classes never
    appear in the training labels.
    """
    given = true.copy()
    split_from = [c for c, _ in roles["split_pairs"]]
    for i in np.flatnonzero(np.isin(true, split_from)):
        usable = [v for v in votes[i, :, 1] if v in pool]  # a held-out class must stay unseen
        given[i] = usable[rng.integers(len(usable))] if usable else true[i]
    for a, b in roles["flip_pairs"]:
        _flip(given, np.flatnonzero(true == a), roles["flip_share"], b, rng)
    for a, b in roles["double_flip"]:
        _flip(given, np.flatnonzero((true == a) & (given == a)), roles["double_flip_share"], b, rng)
    untouched = np.flatnonzero(given == true)
    _flip(given, untouched, roles["uniform_noise_share"] * len(true) / max(len(untouched), 1),
          _other_label(pool, rng), rng)
    return given


def plant_eval_gold(true: np.ndarray, roles: dict[str, Any], pool: list[str],
                     rng: np.random.Generator) -> np.ndarray:
    """Wrong gold labels: a share of clean-class rows plus ~10% of split-class rows."""
    given = true.copy()
    busy = set(roles["heldout"]) | {c for pair in roles["flip_pairs"] + roles["split_pairs"] for c in pair}
    busy |= {b for _, b in roles["double_flip"]}
    clean = np.flatnonzero(~np.isin(true, list(busy)))
    _flip(given, clean, roles["eval_gold_flip_share"] * len(true) / max(len(clean), 1),
          _other_label(pool, rng), rng)
    split = np.flatnonzero(np.isin(true, [c for c, _ in roles["split_pairs"]]))
    _flip(given, split, 0.1 if roles["split_pairs"] else 0.0, _other_label(pool, rng), rng)
    return given


def planted_causes(true: str, given: str | None, pred: str, roles: dict[str, Any]) -> list[str]:
    """Causes that plausibly explain one eval row's error (empty when correct).

    coverage_gap: any error on a held-out class. noisy_label: a wrong gold,
    or gold A predicted B for a flipped pair A->B. annotator_inconsistency:
    a split class C predicted as its partner D (or as C when the gold is
    wrong). Errors on planted classes that go elsewhere count as natural.
    """
    if given is None or given == pred:
        return []
    causes = set()
    if true in roles["heldout"]:
        causes.add("coverage_gap")
    if given != true or (true, pred) in set(roles["flip_pairs"]) | set(roles["double_flip"]):
        causes.add("noisy_label")
    split_to = dict(roles["split_pairs"])
    double = dict(roles["double_flip"])
    if true in split_to and pred in {split_to[true], double.get(true), true}:
        causes.add("annotator_inconsistency")
    return sorted(causes)
