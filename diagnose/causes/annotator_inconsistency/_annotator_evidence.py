"""Evidence helpers of the annotator_inconsistency analyzer: encoding, fitting, texts.

Private to :mod:`diagnose.causes.annotator_inconsistency.analyzer`: reading and
encoding the annotations table, fitting consensus and annotator quality with
the kernels of :mod:`diagnose.causes.annotator_inconsistency._crowd`, near-duplicate label conflicts
in the training data, and the evidence sentences.
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import polars as pl

from diagnose.causes.annotator_inconsistency._crowd import (
    consensus,
    crowdlab_quality,
    krippendorff_alpha,
    posterior_accuracy,
    weighted_agreement,
)
from diagnose.core import Prepared

_SHOWN = 10  # annotators listed in one evidence string
_ITEM_SCHEMA = {"id": pl.Utf8, "split": pl.Utf8, "n_annotators": pl.Int64,
                "consensus_label": pl.Utf8, "agreement": pl.Float64,
                "consensus_quality": pl.Float64, "weighted_agreement": pl.Float64}
_ANNOTATOR_SCHEMA = {"annotator": pl.Utf8, "n_labels": pl.Int64,
                     "agreement_with_consensus": pl.Float64, "quality": pl.Float64}


def _disagreement(agreement, n, k):
    """Share of dissenting votes, scaled so the most even split scores 1."""
    worst = 1.0 - 1.0 / np.minimum(np.maximum(n, 2), max(k, 2))
    return np.clip((1.0 - agreement) / worst, 0.0, 1.0)


def _all_classes(data: Prepared) -> tuple[str, ...]:
    """The prepared classes plus any label seen only in annotations or train."""
    seen = set(data.classes)
    for frame in (data.annotations, data.train):
        if frame is not None and "label" in frame.columns:
            seen |= set(frame["label"].cast(pl.Utf8).drop_nulls().to_list())
    return tuple(sorted(seen))


def _expand_probs(probs: np.ndarray | None, old: tuple, new: tuple) -> np.ndarray | None:
    """Re-index probability columns from ``old`` classes to ``new`` (zeros added)."""
    if probs is None or len(old) != probs.shape[1]:
        return None
    out = np.zeros((len(probs), len(new)))
    out[:, [new.index(c) for c in old]] = probs
    return out


def _annotation_frame(data: Prepared) -> pl.DataFrame:
    """Annotations of known train/eval ids, with ``split``; one label per (id, annotator)."""
    ann = data.annotations.select(
        pl.col(c).cast(pl.Utf8) for c in ("id", "annotator", "label")
    ).drop_nulls()
    known = data.eval.select(pl.col("id").cast(pl.Utf8), split=pl.lit("eval"))
    if data.train is not None:
        train = data.train.select(pl.col("id").cast(pl.Utf8), split=pl.lit("train"))
        known = pl.concat([known, train.join(known, on="id", how="anti")])
    known = known.unique("id", keep="first", maintain_order=True)
    joined = ann.join(known, on="id", how="left", maintain_order="left")
    unknown = joined.filter(pl.col("split").is_null())["id"].unique(maintain_order=True)
    if len(unknown):
        warnings.warn(
            f"annotations: {len(unknown)} ids match no train or eval row and are ignored, "
            f"e.g. {unknown.head(5).to_list()}.", stacklevel=4)
    joined = joined.filter(pl.col("split").is_not_null())
    deduped = joined.unique(["id", "annotator"], keep="first", maintain_order=True)
    if deduped.height < joined.height:
        warnings.warn(
            f"annotations: {joined.height - deduped.height} repeated (id, annotator) pairs; "
            "the first label of each is used.", stacklevel=4)
    return deduped.sort("id", "annotator")


def _item_probs(data: Prepared, ids: pl.DataFrame, classes: tuple) -> np.ndarray:
    """Proxy-model probabilities per annotated item (zero rows where missing)."""
    out = np.zeros((ids.height, len(classes)))
    sources = (("train", data.train, data.train_probs), ("eval", data.eval, data.eval_probs))
    for split, frame, probs in sources:
        if frame is None or probs is None or len(data.classes) != probs.shape[1]:  # as _expand_probs
            continue
        rows = pl.DataFrame({"id": frame["id"].cast(pl.Utf8)}).with_row_index("row")
        hit = ids.with_row_index("item").filter(pl.col("split") == split).join(rows, on="id")
        out[hit["item"].to_numpy()] = _expand_probs(probs[hit["row"].to_numpy()], data.classes, classes)  # hit rows only
    return out


def _codes(values: pl.Series, classes: tuple) -> np.ndarray:
    """Class indices of string labels (-1 for null or unknown)."""
    lookup = {c: i for i, c in enumerate(classes)}
    return np.array([lookup.get(v, -1) for v in values.cast(pl.Utf8).to_list()], dtype=int)


def _reliability(quality, k: int):
    """Above-chance share of an annotator's quality, floored at 0.05 (vote weight)."""
    return np.clip((quality - 1.0 / k) / (1.0 - 1.0 / k), 0.05, 1.0)


def _encode(data: Prepared, ann: pl.DataFrame, classes: tuple):
    """Items frame, integer item / annotator / label arrays, annotator names, model probs."""
    items = ann.select("id", "split").unique("id", maintain_order=True)
    item = ann.join(items.with_row_index("i"), on="id", maintain_order="left")["i"].to_numpy()
    names = ann["annotator"].unique().sort()
    annotator = np.searchsorted(names.to_numpy(), ann["annotator"].to_numpy())
    return items, item, annotator, _codes(ann["label"], classes), names, \
        _item_probs(data, items, classes)


def _fit_annotations(data: Prepared, ann: pl.DataFrame, classes: tuple,
                     settings: dict) -> dict[str, Any]:
    """Consensus, agreement and quality from the annotations; items and annotators frames."""
    items, item, annotator, label, names, probs = _encode(data, ann, classes)
    n_items, n_ann, k = items.height, len(names), len(classes)
    post, skill, used = consensus(
        item, annotator, label, (n_items, n_ann, k),
        soft=probs if settings["use_model"] else None,
        prior_strength=settings["prior_strength"],
        min_model_skill=settings["min_model_skill"])
    counts = np.zeros((n_items, k))
    np.add.at(counts, (item, label), 1.0)
    n, cons = counts.sum(1), post.argmax(1)
    n_labels = np.bincount(annotator, minlength=n_ann)
    quality = posterior_accuracy(post, item, annotator, label, n_ann)
    method = "dawid_skene_em" + ("+model_vote" if used else "")
    crowdlab = crowdlab_quality(item, annotator, label, probs, n_ann) \
        if settings["use_cleanlab"] else None
    if crowdlab is not None:
        quality, method = (quality + crowdlab) / 2, method + "+cleanlab_crowdlab_quality"
    weight = np.where(n_labels >= settings["min_labels_for_weight"], _reliability(quality, k), 1.0)
    shared = n[item] >= 2
    n_shared = np.bincount(annotator[shared], minlength=n_ann)
    agree = np.bincount(annotator[shared], weights=(label == cons[item])[shared], minlength=n_ann)
    items = items.with_columns(
        n_annotators=pl.Series(n.astype(np.int64)),
        consensus_label=pl.Series([classes[c] for c in cons], dtype=pl.Utf8),
        agreement=pl.Series(np.where(n >= 2, counts[np.arange(n_items), cons] / np.maximum(n, 1),
                                     np.nan)).fill_nan(None),
        consensus_quality=pl.Series(post[np.arange(n_items), cons]),
        weighted_agreement=pl.Series(
            weighted_agreement(item, annotator, label, cons, weight, n_items)).fill_nan(None),
    )
    annotators = pl.DataFrame({
        "annotator": names,
        "n_labels": n_labels.astype(np.int64),
        "agreement_with_consensus": pl.Series(
            np.where(n_shared > 0, agree / np.maximum(n_shared, 1), np.nan)).fill_nan(None),
        "quality": np.clip(quality, 0.0, 1.0),
    })
    return {"items": items, "annotators": annotators, "method": method, "model_skill": skill,
            "alpha": krippendorff_alpha(counts), "overlap": n_shared > 0}


def _label_groups(own: np.ndarray, nb_labels: np.ndarray, close: np.ndarray, k: int, dtype=np.float64):
    """Per row: class counts of its own label plus its close neighbours' labels (``dtype``: an integer
    type keeps the rows × classes table small on large training sets)."""
    counts = np.zeros((len(own), k), dtype=dtype)
    rows = np.nonzero(own >= 0)[0]
    counts[rows, own[rows]] += 1
    r, c = np.nonzero(close & (nb_labels >= 0))
    np.add.at(counts, (r, nb_labels[r, c]), 1)
    return counts


def _duplicate_items(data: Prepared, classes: tuple, threshold: float):
    """Near-duplicate training texts with conflicting labels, as pseudo-annotated items.

    Returns the per-train-row disagreement (NaN where a row has no near
    duplicate) and an items frame of the rows whose group conflicts.
    """
    if data.train is None or data.train_neighbors is None:
        return None, None, None
    labels = _codes(data.train["label"], classes)
    nb = data.train_neighbors
    close = nb.similarities >= threshold
    counts = _label_groups(labels, labels[nb.indices], close, len(classes), dtype=np.uint16)  # at most k + 1 per cell
    n = counts.sum(1, dtype=np.float64)
    cons = counts.argmax(1)
    share = counts.max(1).astype(np.float64) / np.maximum(n, 1)
    disagreement = np.where(close.any(1) & (n >= 2),
                            _disagreement(share, n, len(classes)), np.nan)
    conflict = (counts > 0).sum(1) >= 2
    items = pl.DataFrame({
        "id": data.train["id"].cast(pl.Utf8).filter(pl.Series(conflict)),
        "split": "train",
        "n_annotators": n[conflict].astype(np.int64),
        "consensus_label": pl.Series([classes[c] for c in cons[conflict]], dtype=pl.Utf8),
        "agreement": share[conflict],
        "consensus_quality": share[conflict],
        "weighted_agreement": share[conflict],
    })
    return disagreement, np.where(np.isnan(disagreement), np.nan, share), items


def _neighbour_text(agreement: np.ndarray, kinds: np.ndarray, k: int) -> str:
    """'4 of its 10 nearest training rows have annotator disagreement (...)'."""
    what = ("have annotator disagreement" if (kinds == 1).all() else
            "have near-duplicates with conflicting labels" if (kinds == 2).all() else
            "show annotator disagreement or conflicting near-duplicate labels")
    return (f"{len(agreement)} of its {k} nearest training rows {what} "
            f"(mean agreement {np.mean(agreement):.2f})")


def _votes_text(votes: list[tuple[str, str]], consensus: str, agreement: float) -> str:
    """'annotators split 2–1: a→x, b→y, c→x; consensus x (agreement 0.67)'."""
    tally = sorted({lab: sum(v == lab for _, v in votes) for _, lab in votes}.values(),
                   reverse=True)
    shown = ", ".join(f"{a}\u2192{lab}" for a, lab in votes[:_SHOWN])
    more = f" and {len(votes) - _SHOWN} more" if len(votes) > _SHOWN else ""
    if len(tally) == 1:
        return f"annotators unanimous ({len(votes)} of {len(votes)}): {shown}{more}"
    split = "\u2013".join(str(t) for t in tally)
    return (f"annotators split {split}: {shown}{more}; consensus {consensus} "
            f"(agreement {agreement:.2f})")


def _group_text(counts: np.ndarray, classes: tuple, threshold: float) -> str:
    """Evidence for an eval row whose near-copies in training disagree."""
    tally = ", ".join(f"{classes[c]}\u00d7{int(counts[c])}" for c in np.argsort(-counts, kind="stable")
                      if counts[c] > 0)
    return (f"this text and its near-duplicate training texts (similarity \u2265 "
            f"{threshold:.2f}) carry conflicting labels: {tally}")
