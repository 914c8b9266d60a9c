"""Annotator inconsistency: did the people who labelled this kind of item disagree?

With an annotations table (``id, annotator, label``) the analyzer estimates a
consensus label per item and a quality per annotator with a Dawid–Skene EM
(:func:`dawid_skene`): each annotator gets a confusion matrix shrunk towards
a prior learned from all annotators (empirical Bayes, two communities), and,
when out-of-sample probabilities of the proxy model exist for the annotated
items, the model joins as one more annotator that casts a soft vote, so its
weight is learned like anyone else's; if its learned confusion matrix is close
to chance (chance-corrected balanced accuracy below ``min_model_skill``) the EM
is run again without it. The numeric kernels live in
:mod:`diagnose.causes.annotator_inconsistency._crowd`. cleanlab's CROWDLAB
(``get_label_quality_multiannotator``) runs as well when it applies; its
annotator quality is averaged with the EM's. Without annotations, training
texts that are near duplicates (cosine similarity at least
``duplicate_threshold``) but carry different labels stand in for annotators
who disagree.

With votes on eval rows, every such row gets an item ambiguity estimate, the
expected share of people who would disagree with its majority label with an
80% interval (read from its votes alone, against how the set's items split:
:mod:`diagnose._vote_reading`), and every such error one of three readings with
its posterior probability: ambiguous item, wrong gold, model mistake
(:func:`diagnose.votes.eval_posterior`: votes weighed by each annotator's
estimated reliability, the model's probabilities as the prior over the item's
class, and how much items of this set spread, fitted on the whole set). They are
the ``annotator_inconsistency_*`` columns; the cause's verdict is the
*ambiguous* reading, and it is the only line of evidence then. Without votes
on eval rows the older lines below stand in.

An unlabelled eval row's score combines disagreement on the row itself with
the share of its nearest training rows that show disagreement:
``1 - (1 - item) * (1 - neighbours)``. An error (gold ≠ prediction) is scored
on disagreement between the two labels it confuses (noisy-OR, see
:func:`diagnose.causes.annotator_inconsistency._pair_votes.pair_scores`): its own votes split
between gold and prediction, annotated or near-duplicate training neighbours
split between them, near-duplicate training rows carrying both (for items
without votes of their own), how often annotators split between the two classes across
all annotated items (votes weighted by annotator reliability), and, when no
annotator chose the gold, whether the labels they chose form such a pair with
the prediction (or are the prediction, paired with the gold). A correctly
predicted row scores 0.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from diagnose.causes.annotator_inconsistency import _ambiguity_line, _pair_line
from diagnose.causes.annotator_inconsistency._annotator_evidence import (
    _ANNOTATOR_SCHEMA,
    _ITEM_SCHEMA,
    _all_classes,
    _annotation_frame,
    _codes,
    _disagreement,
    _duplicate_items,
    _fit_annotations,
    _group_text,
    _label_groups,
    _neighbour_text,
    _reliability,
    _votes_text,
)
from diagnose.causes.annotator_inconsistency._crowd import alpha_reading, dawid_skene
from diagnose.causes.annotator_inconsistency._pair_votes import (
    class_pair_rates,
    clear_accuracy,
    pair_scores,
    train_vote_backing,
)
from diagnose.core import Analyzer, Prepared, ScorePart, contrast_labels, empty_scores
from diagnose.votes import eval_posterior

__all__ = ["AnnotatorInconsistency", "dawid_skene", "alpha_reading"]

_NAME = "annotator_inconsistency"


class AnnotatorInconsistency(Analyzer):
    """Evidence that an error sits where the people labelling the data disagreed.

    Parameters
    ----------
    duplicate_threshold : float
        Cosine similarity from which two texts count as near duplicates.
    prior_strength : float or None
        None (default) learns the prior of the annotators' confusion matrices
        from the data (two annotator communities, empirical Bayes); a number
        instead shrinks each confusion row towards the pooled one with that
        many pseudo-labels (see :func:`dawid_skene`).
    use_model : bool
        Let the proxy model's out-of-sample probabilities vote in the EM.
    use_cleanlab : bool
        Average annotator quality with cleanlab's CROWDLAB where it applies.
    min_labels_for_weight : int
        Annotators with fewer labels count fully when votes are weighted by quality.
    min_model_skill : float
        Drop the model's vote when its estimated chance-corrected balanced
        accuracy (0 = chance, 1 = perfect) is below this.
    decide_at : float or None
        For errors without two votes of their own: None (default) gives the
        cause when the stated precision against correct rows (split between
        their gold and their likeliest confusion) reaches ``min_precision``;
        a number also asks the score to reach that value.
    pair_ratio : float
        The class-pair line's floor: annotators must cross between an error's gold and
        prediction, over all annotated items, at least this many times as often as their
        error rates on clear items explain (one-coin null); its stated precision is then the
        posterior that the error's own item is split. 1.5, chosen on the development draws of
        ``python -m benchmarks.family`` over 2.0: on 5-6 classes a wrong vote lands on a given
        other class often, so a split pair's ratio stays below 2 (dev draws 2, 6, 19, 79, 98:
        recall 0 -> 0.30-0.53 at precision 0.83-0.93, nothing else changed); 1.25 gave almost
        the same, and 1.5 keeps a margin for annotators whose mistakes favour similar classes.

    Examples
    --------
    >>> ev = pl.DataFrame({"id": ["e1"], "text": ["t"], "label": ["a"],
    ...                    "prediction": ["b"], "is_error": [True]})
    >>> ann = pl.DataFrame({"id": ["e1", "e1", "e1"], "annotator": ["x", "y", "z"],
    ...                     "label": ["a", "b", "a"]})
    >>> data = Prepared(task="classification", eval=ev, annotations=ann, classes=("a", "b"))
    >>> out = AnnotatorInconsistency().fit(data).score(data)
    >>> out["annotator_inconsistency_reading"][0]  # 2 of 3 votes back the gold: one 2-1 split is weak evidence
    'model_mistake'
    >>> bool(out["annotator_inconsistency_ambiguity_low"][0] <= out["annotator_inconsistency_ambiguity_high"][0])
    True
    """

    name = _NAME
    description = (
        "Annotator inconsistency: people genuinely disagree on this example (with votes on "
        "eval rows: the posterior that the item is ambiguous, from its votes weighed by "
        "annotator reliability and the model's probabilities, beyond what annotator noise "
        "explains), or the people or near-duplicate copies that labelled its nearest "
        "training examples disagree, so the model is judged against a label that is a "
        "matter of opinion. Consensus labels and annotator quality come from a Dawid-Skene "
        "EM in which the proxy model votes as one more annotator (unless its vote is "
        "near chance), combined with "
        "cleanlab's CROWDLAB annotator quality; dataset-level agreement is "
        "Krippendorff's alpha. An error scores on disagreement between its gold and "
        "predicted labels: on the example, on its nearest training examples, and "
        "between the two classes across all annotated items."
    )

    def __init__(self, *, duplicate_threshold: float = 0.9, prior_strength: float | None = None,
                 use_model: bool = True, use_cleanlab: bool = True,
                 min_labels_for_weight: int = 5, min_model_skill: float = 0.2, decide_at: float | None = 0.5,
                 pair_ratio: float = 1.5) -> None:
        self.duplicate_threshold = duplicate_threshold
        self.decide_at = decide_at
        self.pair_ratio = pair_ratio
        self.min_labels_for_weight = min_labels_for_weight
        self.min_model_skill = min_model_skill
        self.prior_strength = prior_strength
        self.use_model = use_model
        self.use_cleanlab = use_cleanlab

    def skip_reason(self, data: Prepared) -> str | None:
        """Return why the analyzer cannot run, or None."""
        if data.task != "classification":
            return f"annotator inconsistency needs class labels; the task is {data.task!r}"
        has_ann = data.annotations is not None and data.annotations.height > 0
        if not has_ann and (data.train is None or data.eval_neighbors is None):
            return ("no annotations table and no training data with neighbours; pass "
                    "annotations (id, annotator, label) or training data to compare against")
        return None

    def fit(self, data: Prepared) -> AnnotatorInconsistency:
        """Estimate consensus, annotator quality and training-row disagreement."""
        classes = _all_classes(data)
        fitted = {"items": None, "annotators": None, "method": None, "alpha": None,
                  "model_skill": None, "overlap": np.zeros(0, bool)}
        if data.annotations is not None and data.annotations.height:
            ann = _annotation_frame(data)
            if ann.height:
                fitted = _fit_annotations(data, ann, classes, self.get_params())
                self._store_votes(ann, fitted, len(classes))
                self.train_shares_ = train_vote_backing(data, ann, self.vote_weights_)
                self.pair_rates_ = class_pair_rates(ann, self.vote_weights_)
        if fitted["items"] is None:
            self.votes_, self.quality_, self.vote_weights_, self.train_shares_, self.pair_rates_ = {}, {}, {}, {}, {}
        self.classes_ = classes
        self._fit_train_rows(data, fitted["items"])
        self.annotators_ = fitted["annotators"] if fitted["annotators"] is not None \
            else pl.DataFrame(schema=_ANNOTATOR_SCHEMA)
        self._summarise(fitted)
        return self

    def _store_votes(self, ann: pl.DataFrame, fitted: dict, k: int) -> None:
        """Keep each eval item's votes and each annotator's quality and vote weight for evidence."""
        eval_ann = ann.filter(pl.col("split") == "eval")
        self.votes_ = {}
        for (key,), grp in eval_ann.group_by("id", maintain_order=True):
            self.votes_[key] = list(zip(grp["annotator"].to_list(), grp["label"].to_list()))
        self.consensus_ = dict(zip(fitted["items"]["id"], fitted["items"]["consensus_label"]))
        frame = fitted["annotators"]
        self.n_labels_ = dict(zip(frame["annotator"], frame["n_labels"]))
        self.quality_ = {a: (q if ok else None) for a, q, ok in
                         zip(frame["annotator"], frame["quality"], fitted["overlap"])}
        self.vote_weights_ = {who: self._vote_weight(who, k) for who in self.quality_}

    def _fit_train_rows(self, data: Prepared, ann_items: pl.DataFrame | None) -> None:
        """Per-train-row disagreement: annotations first, near duplicates otherwise."""
        dup, share, dup_items = _duplicate_items(data, self.classes_, self.duplicate_threshold)
        n_train = 0 if data.train is None else data.train.height
        self.train_disagreement_ = np.full(n_train, np.nan) if dup is None else dup
        self.train_agreement_ = np.full(n_train, np.nan) if dup is None else share
        self.train_kind_ = np.where(np.isnan(self.train_disagreement_), 0, 2)
        frames = [f for f in (ann_items, dup_items) if f is not None]
        if ann_items is not None and data.train is not None:
            rows = pl.DataFrame({"id": data.train["id"].cast(pl.Utf8)}).with_row_index("row")
            hit = ann_items.filter(pl.col("n_annotators") >= 2).join(rows, on="id")
            d = _disagreement(hit["weighted_agreement"].to_numpy(), hit["n_annotators"].to_numpy(),
                              len(self.classes_))
            self.train_disagreement_[hit["row"].to_numpy()] = d
            self.train_agreement_[hit["row"].to_numpy()] = hit["agreement"].to_numpy()
            self.train_kind_[hit["row"].to_numpy()] = 1
            if dup_items is not None:
                frames[1] = dup_items.cast(_ITEM_SCHEMA).join(ann_items.select("id"), on="id", how="anti")
        self.n_duplicate_items_ = 0 if dup_items is None else frames[-1].height
        self.items_ = pl.concat([f.cast(_ITEM_SCHEMA) for f in frames]) if frames else pl.DataFrame(schema=_ITEM_SCHEMA)
        self.items_ = self.items_.cast(_ITEM_SCHEMA)

    def _summarise(self, fitted: dict) -> None:
        """Dataset-level findings."""
        self.summary_ = {
            "krippendorff_alpha": fitted["alpha"],
            "alpha_reading": alpha_reading(fitted["alpha"]),
            "n_annotators": self.annotators_.height,
            "n_items": 0 if fitted["items"] is None else fitted["items"].height,
            "n_near_duplicate_conflicts": self.n_duplicate_items_,
            "method": fitted["method"] or "near_duplicate_label_conflicts",
            "model_vote_skill": fitted["model_skill"],
        }

    def tables(self) -> dict[str, pl.DataFrame]:
        """``annotators`` and ``annotation_items`` frames."""
        return {"annotators": self.annotators_, "annotation_items": self.items_}

    def summary(self) -> dict[str, Any]:
        """Krippendorff's alpha and its reading, counts and the method used."""
        return dict(self.summary_)

    def score(self, data: Prepared) -> pl.DataFrame:
        """One row per eval row: ``id``, score and evidence of annotator inconsistency."""
        if not hasattr(self, "summary_"):
            self.fit(data)
        ids = data.eval["id"].cast(pl.Utf8)
        if ids.len() == 0:
            return empty_scores(self.name, ids)
        item, item_text = self._item_scores(data)
        near, near_text = self._neighbour_scores(data)
        both = 1.0 - (1.0 - np.nan_to_num(item)) * (1.0 - np.nan_to_num(near))
        both[np.isnan(item) & np.isnan(near)] = np.nan
        evidence = ["; ".join(t for t in pair if t) or None
                    for pair in zip(item_text, near_text)]
        self.reference_ = None
        both, evidence = self._focus_on_errors(data, both, evidence)
        self.post_ = eval_posterior(data) if self.votes_ else None
        if self.post_ is not None:  # an error with votes of its own: P(people genuinely disagree)
            own = _ambiguity_line.error_mask(data) & (self.post_["n_votes"] > 0)
            both = np.where(own, self.post_["p_ambiguous"], both)
            said = _ambiguity_line.evidence(data, self.post_)
            evidence = [f"{s}; {e}" if s and e else (s or e) for s, e in zip(said, evidence)]
        self.scores_ = np.clip(both, 0.0, 1.0)
        self.ambiguity_part_ = _ambiguity_line.part(data, self.post_)
        self.clear_accuracy_ = clear_accuracy(self.quality_, self.post_, len(self.classes_))
        self.pair_line_ = (None, None) if not self.votes_ or data.annotations is None \
            else _pair_line.crossing_ratio(data, self.clear_accuracy_, len(self.classes_))
        self.pair_cap_ = None
        if self.post_ is not None and self.pair_line_[0] is not None:  # the pair's prior, weighed by the item's own votes
            self.pair_cap_ = _pair_line.item_split_posterior(data, self.votes_, self.pair_line_[0], self.clear_accuracy_,
                                                             self.classes_)
            self.pair_line_ = (np.where(self.post_["n_votes"] == 0, np.nan, self.pair_line_[0]), self.pair_line_[1])
        return pl.DataFrame({
            "id": ids,
            f"score_{self.name}": pl.Series(np.clip(both, 0.0, 1.0), dtype=pl.Float64).fill_nan(None),
            f"evidence_{self.name}": pl.Series(evidence, dtype=pl.Utf8),
            **_ambiguity_line.columns(data, self.post_),
        })

    def _focus_on_errors(self, data: Prepared, both: np.ndarray, evidence: list):
        """For rows with gold and prediction, score only disagreement between those two labels.

        An error is explained by inconsistent labelling when annotators (of the item or of
        its training neighbours) split between its gold and its predicted label; a correct
        row has no mistake to explain and scores 0. Rows without labels keep the generic score.
        """
        settings = dict(k=data.eval_neighbors.indices.shape[1] if data.eval_neighbors is not None else 0,
                        dup=self.duplicate_threshold, rates=self.pair_rates_, weights=self.vote_weights_)
        pair, pair_text = pair_scores(data, self.votes_, self.train_shares_, **settings)
        # the reference of the verdict: the same split on correct rows, between gold and their likeliest confusion
        contrast, _ = pair_scores(data, self.votes_, self.train_shares_, pred=contrast_labels(data), **settings)
        correct = np.array([e is False for e in data.eval.get_column("is_error").to_list()], dtype=bool) \
            if "is_error" in data.eval.columns else np.zeros(len(both), dtype=bool)
        self.reference_ = np.nan_to_num(contrast[correct])
        gold = data.eval.get_column("label").to_list()
        pred = data.eval.get_column("prediction").to_list()
        for i, (g, p) in enumerate(zip(gold, pred)):
            if g is None or p is None or (np.isnan(both[i]) and g == p):
                continue
            both[i] = 0.0 if g == p else pair[i]
            evidence[i] = None if g == p else (pair_text[i] and f"{pair_text[i]}. Context: {evidence[i]}" if evidence[i] else pair_text[i])
        return both, evidence

    def parts(self) -> tuple[ScorePart, ...]:
        """With votes on eval rows, two lines: ambiguity, the posterior probability that people
        genuinely disagree on the error's item (:func:`diagnose.votes.eval_posterior`), against the
        same voters replayed on a clear item and capped at the posterior; and pair, how much more
        often annotators cross between the error's two classes over all annotated items than their
        error rates on clear items explain (:func:`clear_accuracy`), its stated precision at most the
        posterior that the error's own item is split
        (:func:`~diagnose.causes.annotator_inconsistency._pair_votes.split_posterior`: the pair's
        share of unexplained crossings as prior, weighed by the item's votes). Without them, pair and split, disagreement among training
        neighbours and near copies, against correct rows split between their gold and their
        likeliest confusion (or decided at ``decide_at`` when given)."""
        if not hasattr(self, "scores_"):
            return ()
        lines = [] if self.pair_line_[0] is None else [ScorePart(
            "pair", self.pair_line_[0], self.pair_line_[1], "the same class pairs' crossing votes drawn under the "
            "one-coin null (Poisson with the expected count), error rates read on clear items; stated precision at "
            "most the posterior that the error's own item is split, from its votes with the share of the pair's crossings "
            "the annotators' error rates leave unexplained (1 - 1/ratio) as prior; at most that share without votes", decide_at=self.pair_ratio,
            precision_cap=_pair_line.precision_cap(self.pair_line_[0], self.pair_cap_))]
        if self.post_ is not None:
            return (self.ambiguity_part_, *lines)
        scores = self.scores_
        if getattr(self, "reference_", None) is None:
            return (*lines, ScorePart("split", scores, decide_at=self.decide_at))
        return (*lines, ScorePart("split", scores, self.reference_, "correctly predicted eval rows, split between "
                                  "their gold and their likeliest confusion", decide_at=self.decide_at))

    def _item_scores(self, data: Prepared) -> tuple[np.ndarray, list]:
        """Disagreement on each eval row itself (votes, one voter, or near copies)."""
        k = len(self.classes_)
        ids = data.eval["id"].cast(pl.Utf8).to_list()
        preds = data.eval["prediction"].cast(pl.Utf8).to_list() \
            if "prediction" in data.eval.columns else [None] * len(ids)
        out, texts = np.full(len(ids), np.nan), [None] * len(ids)
        for i, (key, pred) in enumerate(zip(ids, preds)):
            votes = self.votes_.get(key)
            if votes:
                out[i], texts[i] = self._vote_score(votes, self.consensus_[key], pred, k)
        groups = self._near_copy_groups(data)
        if groups is not None:
            n = groups.sum(1)
            share = groups.max(1) / np.maximum(n, 1)
            d = np.where(n >= 2, _disagreement(share, n, k), np.nan)
            for i in np.nonzero((n >= 2) & ~(out > 0))[0]:
                out[i] = d[i]
                if d[i] > 0:
                    texts[i] = _group_text(groups[i], self.classes_, self.duplicate_threshold)
        return out, texts

    def _vote_score(self, votes: list, consensus: str, pred: str | None, k: int):
        """Score and evidence of one eval item from its annotators' votes."""
        if len(votes) == 1:
            who, lab = votes[0]
            quality = self.quality_.get(who)
            if quality is None:
                return np.nan, f"one annotator ({who}\u2192{lab})"
            unreliable = np.clip((1.0 - quality) / (1.0 - 1.0 / max(k, 2)), 0.0, 1.0)
            return 0.5 * unreliable, (f"one annotator ({who}\u2192{lab}, estimated "
                                      f"quality {quality:.2f})")
        agreement = sum(lab == consensus for _, lab in votes) / len(votes)
        text = _votes_text(votes, consensus, agreement)
        weights = [self.vote_weights_.get(who, 1.0) for who, _ in votes]
        weighted = sum(w for w, (_, lab) in zip(weights, votes) if lab == consensus) / sum(weights)
        if pred is not None and agreement < 1.0:
            backers = sum(lab == pred for _, lab in votes)
            text += f"; the prediction {pred} has {backers} of {len(votes)} votes"
        return float(_disagreement(weighted, len(votes), k)), text

    def _vote_weight(self, who: str, k: int) -> float:
        """Above-chance reliability of an annotator (unknown quality counts fully)."""
        quality = self.quality_.get(who)
        if quality is None or self.n_labels_.get(who, 0) < self.min_labels_for_weight:
            return 1.0
        return float(_reliability(quality, k))

    def _near_copy_groups(self, data: Prepared) -> np.ndarray | None:
        """Class counts of each eval label plus its near-duplicate training labels."""
        if data.train is None or data.eval_neighbors is None:
            return None
        nb = data.eval_neighbors
        train_labels = _codes(data.train["label"], self.classes_)
        own = _codes(data.eval["label"], self.classes_)
        close = nb.similarities >= self.duplicate_threshold
        groups = _label_groups(own, train_labels[nb.indices], close, len(self.classes_))
        groups[~close.any(1)] = 0.0
        return groups

    def _neighbour_scores(self, data: Prepared) -> tuple[np.ndarray, list]:
        """Similarity-weighted share of disagreement among the nearest training rows."""
        n_eval = data.eval.height
        if data.eval_neighbors is None or not len(self.train_disagreement_):
            return np.full(n_eval, np.nan), [None] * n_eval
        idx = data.eval_neighbors.indices
        d = self.train_disagreement_[idx]
        w = np.clip(data.eval_neighbors.similarities.astype(np.float64), 1e-6, None)  # float32 sums can pass 1
        informed = ~np.isnan(d)
        s = (w * np.nan_to_num(d)).sum(1) / np.maximum((w * informed).sum(1), 1e-12)
        s[~informed.any(1)] = np.nan
        hit = np.nan_to_num(d) > 0
        kinds, agreement = self.train_kind_[idx], self.train_agreement_[idx]
        texts = [None] * n_eval
        for i in np.nonzero(hit.any(1))[0]:
            texts[i] = _neighbour_text(agreement[i][hit[i]], kinds[i][hit[i]], idx.shape[1])
        return s, texts
