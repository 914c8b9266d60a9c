"""noisy_label: wrong training labels taught the mistake, or the gold label is wrong."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import polars as pl

from diagnose.causes.noisy_label._gold_flips import gold_flip_line
from diagnose.causes.noisy_label._gold_votes import follow_chance, split_share
from diagnose.causes.noisy_label._label_rank import flag_issues, row_scores, suggestions
from diagnose.causes.noisy_label._pairs import _error_excess, _pair_noise, _rate_lower_bound, _reverse_rate, _shortfall
from diagnose.causes.noisy_label._row_evidence import (
    _annotator_support,
    _item_vote_share,
    _rejected,
    _shown_gold,
    _suggestion_strength,
    confident_off_diagonal,
    neighbour_share,
)
from diagnose.causes.noisy_label._taught import crossings, neighbour_vote, taught_evidence, taught_precision, with_share
from diagnose.core import Analyzer, Prepared, ScorePart, contrast_labels
from diagnose.votes import share_against, simulate, vote_table


class NoisyLabel(Analyzer):
    """Find wrong labels in training data and in the eval gold labels.

    Training rows: the out-of-sample probabilities are blended with the
    similarity-weighted label distribution of each row's nearest training
    neighbours (weight ``knn_weight``); confident learning estimates how many
    labels are wrong (cleanlab ``num_label_issues``). With ``filter_by="rank"``
    (the default; any cleanlab ``filter_by`` method can be given instead) the
    proxy is refitted without the rows flagged so far (``refit_rounds``) and
    ``flag_factor`` × that many rows are flagged, ranked by the posterior
    probability that the given label is right under the estimated class-noise
    transition (see ``diagnose/causes/noisy_label/_label_rank.py``). On
    BANKING77 with flipped labels this lifts F1 well above cleanlab's
    default filter (see ``benchmarks/RESULTS.md``). An eval error is explained by noisy training labels when
    its nearest training rows carry the label the model wrongly predicted and
    are themselves flagged (noisy-OR of their issue strengths; its precision is
    the share of training rows so labelled whose neighbours vote for the gold
    beyond the eval rows' own share, see ``_taught``), or when the
    training labels of its gold class went to the predicted class one way more
    than the other (a class-pair flip) and the pair's eval errors run that way. It is
    explained by a wrong gold label when the model gives the gold label a low
    probability while its neighbours side with the model's prediction and its
    annotators, when given, reject the gold label, or when a model held out
    from the row (one fold of the proxy's cross-validation) rejects the gold
    and the row reads like training rows given a simulated wrong label more
    than like the proxy's ordinary errors (``_gold_flips``; annotators who
    back the gold overrule it). Annotator votes also tell
    noise from opinion: training labels that annotators back about as often as
    the other label are discounted (annotator inconsistency, not noise).

    Parameters
    ----------
    k
        Training neighbours inspected per eval row.
    filter_by
        ``rank`` (estimated number of issues, lowest label quality first) or
        a cleanlab ``find_label_issues`` ``filter_by`` method.
    knn_weight
        Weight of the neighbours' label distribution in the blended
        probabilities (0 uses the model's probabilities alone).
    margin_weight
        Label quality = (1 − w) × self-confidence + w × normalised margin of
        the blended probabilities. Self-confidence ranks uniform flips best,
        the margin flips toward a confusable class; 0.25 was best on both
        (BANKING77 dev half). This quality seeds the first refit and is
        reported as ``label_quality``.
    refit_rounds
        Cross-validated refits of the proxy on ``train_embeddings`` without the
        flagged rows (0: rank the blended probabilities once). Each costs one
        ``refit_folds``-fold cross-validation with fits capped like
        :func:`diagnose.probs.cross_val_probs`.
    refit_folds
        Folds of each refit.
    refit_max_rows
        No refit above this many training rows: each refit round is a full
        cross-validation of the proxy, which the scale budget (100k rows in
        60 s, ``benchmarks/scale.py``) cannot afford.
    flag_factor
        Rows flagged = this × the estimated number of issues; above 1 trades
        precision for recall (1.25: recall ≥ 0.8 at 10% noise on every BANKING77
        dev flip seed, 1.0 fell short for flips toward a confusable class).
    transition_smooth
        Share of each class's estimated noise rate spread evenly over the other
        classes in the noise transition (1: uniform noise assumed).
    gold_decide_at
        Without votes, a gold label is called wrong when cleanlab's confident
        learning on the eval set flags it and its training neighbours' case
        against it (share labelled as the prediction × share not labelled as
        the gold) reaches this value (0.6, chosen on the development seeds of
        ``python -m benchmarks.family``). This line serves only where the
        gold_flip line cannot be calibrated (no training table, or fewer than
        20 training rows the proxy gets right or wrong): on the development
        draws the gold_flip line alone gave fewer false flags (worst draw
        0.271 -> 0.175 of the flags on dev 0-9) for a 0-3 point loss of recall.
    taught_decide_at
        An error is taught by noisy training labels when that evidence reaches
        this value and its stated precision reaches ``min_precision``: the
        share of training rows labelled as the prediction whose unflagged
        neighbours vote for the gold class beyond the share of eval rows of
        that class (as gold) whose neighbours do, at most the share of the
        flow annotators do not split on (``_taught``). Correct eval rows
        cannot calibrate it: mislabelled rows sit next to correct rows of the
        gold class too (development draws 208 and 220: no verdict at all).
    pair_decide_at
        The class-pair line (training labels of the gold class given as the
        prediction one way more than the other, in cleanlab's confident joint)
        needs this score; its precision is stated from the errors themselves:
        the share of the pair's errors beyond those the other way (0.3, chosen
        on the development draws of ``python -m benchmarks.family``; 0.15 let
        natural asymmetries of ordinal sentiment classes through).
    """

    name = "noisy_label"
    description = (
        "The labels are wrong: nearby training rows carry the label the model wrongly "
        "predicted and look mislabelled (they taught the mistake), or the eval row's own "
        "gold label looks wrong (the model and the neighbours agree on another label). "
        "Fix: relabel the suspect training rows, or correct the gold label."
    )

    def __init__(self, *, k: int = 10, filter_by: str = "rank", knn_weight: float = 0.3,
                 margin_weight: float = 0.25, pair_rate_scale: float = 0.3, show: int = 3,
                 refit_rounds: int = 2, refit_folds: int = 3, refit_max_rows: int = 50_000,
                 flag_factor: float = 1.25, transition_smooth: float = 0.5, gold_decide_at: float = 0.6, taught_decide_at: float | None = 0.5,
                 pair_decide_at: float = 0.3):
        self.k = k
        self.taught_decide_at = taught_decide_at
        self.pair_decide_at = pair_decide_at
        self.gold_decide_at = gold_decide_at
        self.refit_rounds = refit_rounds
        self.refit_folds = refit_folds
        self.refit_max_rows = refit_max_rows
        self.flag_factor = flag_factor
        self.transition_smooth = transition_smooth
        self.pair_rate_scale = pair_rate_scale
        self.filter_by = filter_by
        self.knn_weight = knn_weight
        self.margin_weight = margin_weight
        self.show = show

    def skip_reason(self, data: Prepared) -> str | None:
        if data.task != "classification":
            return "noisy-label detection needs class labels (classification task)"
        if data.train_probs is None and data.eval_probs is None:
            return "no class probabilities: give a training table or prob_<class> columns"
        return None

    def fit(self, data: Prepared) -> NoisyLabel:
        self.class_index_ = {c: i for i, c in enumerate(data.classes)}
        self.train_issues_, self.train_crossings_ = None, None
        if data.train is not None:
            self.train_codes_ = np.array([self.class_index_[c] for c in data.train.get_column("label").to_list()])
        if data.train is not None and data.train_probs is not None:
            self.train_issues_ = self._train_issues(data)
        if data.train is not None and data.train_neighbors is not None:
            self.voters_ = None if self.train_issues_ is None else ~self.train_issues_.get_column("is_label_issue").to_numpy()
            voted = neighbour_vote(data.train_neighbors, self.train_codes_, self.k, len(self.class_index_), self.voters_)
            self.train_crossings_ = crossings(self.train_codes_, voted, len(self.class_index_))
        return self

    def _train_issues(self, data: Prepared) -> pl.DataFrame:
        from cleanlab.count import compute_confident_joint
        from cleanlab.filter import find_label_issues

        labels = self.train_codes_
        probs = self._blend(data, labels)
        quality = (1.0 - self.margin_weight) * row_scores(labels, probs, "self_confidence")
        if self.margin_weight > 0:
            quality += self.margin_weight * row_scores(labels, probs, "normalized_margin")
        joint = compute_confident_joint(labels, probs)  # calibrated; shared by the ranking and the pair rates
        if self.filter_by == "rank":
            flagged = flag_issues(data, labels, probs, quality, lambda fresh: self._blend(data, labels, fresh),
                                  joint=joint, rounds=self.refit_rounds, folds=self.refit_folds,
                                  max_rows=self.refit_max_rows, factor=self.flag_factor, smooth=self.transition_smooth)
        else:
            flagged = find_label_issues(labels, probs, filter_by=self.filter_by, n_jobs=1)
        support = _annotator_support(data)
        choice = suggestions(probs, labels, flagged)
        suggested = np.asarray(data.classes, dtype=object)[choice]
        self.pair_rate_, self.pair_support_, self.pair_kept_ = _pair_noise(joint, data, support, self.class_index_,
                                                                           suggested)
        self.pair_rate_low_ = _rate_lower_bound(joint)
        self.pair_back_ = _reverse_rate(joint, _shortfall(data, labels, len(self.class_index_)), self.pair_rate_,
                                        self.pair_rate_low_)
        return pl.DataFrame({
            "id": data.train.get_column("id"),
            "label": data.train.get_column("label"),
            "is_label_issue": flagged,
            "label_quality": quality.astype(float),
            "suggested_label": pl.Series(suggested.tolist(), dtype=pl.Utf8),
            "annotator_support": pl.Series([support.get(i) for i in data.train.get_column("id").to_list()], dtype=pl.Float64),
            **_suggestion_strength(data, labels, flagged, probs, choice),
        })

    def _blend(self, data: Prepared, labels: np.ndarray, probs: np.ndarray | None = None) -> np.ndarray:
        """Mix the model's probabilities (default ``data.train_probs``) with the neighbours' label distribution."""
        probs = data.train_probs if probs is None else probs
        if self.knn_weight <= 0 or data.train_neighbors is None:
            return probs
        idx = data.train_neighbors.indices[:, : self.k]
        sims = np.clip(data.train_neighbors.similarities[:, : self.k], 0.0, None).astype(np.float32)
        votes = np.zeros(probs.shape, dtype=np.float32)  # float32: rows x classes is the largest matrix at scale
        rows = np.repeat(np.arange(len(labels)), idx.shape[1])
        np.add.at(votes, (rows, labels[idx].ravel()), sims.ravel())
        votes += 1e-3
        votes /= votes.sum(axis=1, keepdims=True)
        votes *= self.knn_weight
        for start in range(0, len(votes), 65_536):  # in place, in chunks: no full-size temporaries
            votes[start:start + 65_536] += (1.0 - self.knn_weight) * probs[start:start + 65_536]
        return votes

    def score(self, data: Prepared) -> pl.DataFrame:
        ev = data.eval
        preds = contrast_labels(data)  # a correct row is judged against its likeliest confusion
        taught, taught_note = self._taught(data, preds)
        self.taught_precision_ = self._taught_precision(data, preds)
        taught_note = with_share(taught_note, self.taught_precision_, preds, data.eval.get_column("label").to_list())
        flip_note = self._flip_line(data)
        gold, gold_note = self._gold_wrong(data)
        self.taught_ = taught
        self.pair_, pair_note = self._pair_line(data)
        self.notes_ = {"taught": taught_note, "pair": pair_note, "gold": gold_note, "gold_flip": flip_note,
                       "gold_votes": gold_note}  # each line's own, shown where that line gives the verdict
        if self.flip_precision_ is not None:  # it replaces the gated neighbour line (see ``parts``)
            gold, gold_note = np.fmax(gold, self.flip_precision_), [f or g for f, g in zip(flip_note, gold_note)]
        lines = [taught, self.pair_, gold]
        score = np.clip(np.fmax.reduce(np.vstack(lines), axis=0), 0.0, 1.0)  # float32 ratios can pass 1 by rounding
        notes = [" | ".join(n for n in parts if n) or None for parts in zip(taught_note, pair_note, gold_note)]
        self.n_eval_gold_suspect_ = int(np.nansum(gold >= 0.5))
        return pl.DataFrame({"id": ev.get_column("id"),
                             "score_noisy_label": pl.Series(score, dtype=pl.Float64).fill_nan(None),
                             "evidence_noisy_label": pl.Series(notes, dtype=pl.Utf8)})

    def _flip_line(self, data: Prepared) -> list[str]:
        """The gold_flip line (``_gold_flips``): its stated precision per eval row in ``flip_precision_``
        (None when the training side cannot calibrate it); returns its notes."""
        flagged = None if self.train_issues_ is None else self.train_issues_.get_column("is_label_issue").to_numpy()
        table = vote_table(data, data.eval.get_column("id").to_list(), len(self.class_index_)) \
            if data.annotations is not None and data.annotations.height else None
        flip = gold_flip_line(data, self.class_index_, flagged, self.k, table=table)
        self.flip_precision_ = None if flip is None else flip[0]
        return [""] * data.eval.height if flip is None else flip[1]

    def _taught(self, data: Prepared, preds: list) -> tuple[np.ndarray, list[str]]:
        if self.train_issues_ is None or data.eval_neighbors is None:
            return np.full(data.eval.height, np.nan), [""] * data.eval.height
        issues = self.train_issues_
        support = self._row_support(issues, issues.get_column("label").to_list(), issues.get_column("suggested_label").to_list())
        return taught_evidence(data, preds, issues, _rejected(support), self.k, self.show)

    def _taught_precision(self, data: Prepared, preds: list) -> np.ndarray:
        """Per eval row, how many of the rows the taught line shows are mislabelled (``_taught``)."""
        if self.train_crossings_ is None or data.eval_neighbors is None:
            return np.full(data.eval.height, np.nan)
        return taught_precision(data, preds, self.class_index_, self.train_crossings_, self.train_codes_, self.voters_,
                                self.k, getattr(self, "pair_kept_", {}))

    def _pair_line(self, data: Prepared) -> tuple[np.ndarray, list[str]]:
        """Per eval row, the class-pair evidence that training labels of its gold class were given as
        its prediction (correct rows: as their likeliest confusion), its stated precision and notes."""
        n = data.eval.height
        out, notes = np.full(n, np.nan), [""] * n
        self.pair_precision_ = np.full(n, np.nan)
        if self.train_issues_ is None:
            return out, notes
        golds, preds = data.eval.get_column("label").to_list(), contrast_labels(data)
        suspect = np.nan_to_num(np.where(self.confident_, self.gold_, 0.0)) >= self.gold_decide_at
        excess = _error_excess(golds, data.eval.get_column("prediction").to_list(), suspect)
        for i, (gold, pred) in enumerate(zip(golds, preds)):
            if pred is None:
                continue
            out[i] = self._pair_score(gold, pred)
            self.pair_precision_[i] = excess.get((gold, pred), 0.0)
            if out[i] >= self.pair_decide_at and out[i] > 0:
                notes[i] = f"{self._pair_note(gold, pred)}; {100 * self.pair_precision_[i]:.0f}% of the errors " \
                           "between these classes run this way beyond those the other way"
        return out, notes

    def _pair_score(self, gold: str | None, pred: str) -> float:
        """Evidence that training labels of class ``gold`` were systematically given as ``pred``: the
        confident joint's count one way beyond its count the other way, as a share of the gold class
        (two classes that are simply confusable are confused about as many times both ways, whatever
        their sizes; a flip runs one way)."""
        if gold is None or gold == pred or gold not in self.class_index_ or pred not in self.class_index_:
            return 0.0
        key = (self.class_index_[pred], self.class_index_[gold])
        rate = max(0.0, self.pair_rate_low_[key] - self.pair_back_[key])
        return float(min(1.0, rate / self.pair_rate_scale) * self.pair_kept_.get(key, 1.0))

    def _row_support(self, issues: pl.DataFrame, given: list, suggested: list) -> np.ndarray:
        """Annotator support for each training row's label: its own votes, else its class pair's."""
        own = issues.get_column("annotator_support").to_numpy()
        idx = self.class_index_
        pair = np.array([self.pair_support_.get((idx[g], idx[t]), 0.0) if g in idx and t in idx else 0.0
                         for g, t in zip(given, suggested)])
        return np.where(np.isnan(own), pair, own)

    def _pair_note(self, gold: str, pred: str) -> str:
        key = (self.class_index_[pred], self.class_index_[gold])
        text = (f"an estimated {100 * self.pair_rate_[key]:.0f}% of training rows that look like {gold!r} "
                f"are labelled {pred!r} (confident joint)")
        if key in self.pair_support_:
            text += f"; their annotators backed the given label {100 * self.pair_support_[key]:.0f}% of the time"
        return text

    def _gold_wrong(self, data: Prepared) -> tuple[np.ndarray, list[str]]:
        """Evidence that each eval row's gold label is wrong, and its reference on ordinary training errors."""
        n = data.eval.height
        out, notes, line = np.full(n, np.nan), [""] * n, np.full(n, np.nan)
        self.gold_reference_, self.gold_ = None, line
        self.confident_, self.gold_votes_ = np.zeros(n, dtype=bool), None
        if data.eval_probs is None:
            return out, notes
        gold = data.eval.get_column("label").to_list()
        pred = contrast_labels(data)
        actual = data.eval.get_column("prediction").to_list()
        nbr_share, nbr_gold = neighbour_share(data, pred, self.k), neighbour_share(data, gold, self.k)
        gold_votes = _item_vote_share(data, gold)
        seen = set(data.train.get_column("label").to_list()) if data.train is not None else set(data.classes)
        for i, (g, p) in enumerate(zip(gold, pred)):
            if g is None or p is None or g not in self.class_index_ or p not in self.class_index_ or g not in seen:
                continue
            line[i], p_gold = self._gold_evidence(data.eval_probs[i], g, nbr_share[i], nbr_gold[i])
            out[i] = _shown_gold(p_gold, nbr_share[i], nbr_gold[i], gold_votes.get(i))
            if p == actual[i] and p != g and out[i] >= 0.5:
                notes[i] = self._gold_note(g, p, p_gold, nbr_share[i], nbr_gold[i], gold_votes.get(i))
        self.gold_ = line
        if self.flip_precision_ is None:  # the gated line's reference, needed only where gold_flip cannot serve
            self.gold_reference_, self.gold_reference_weights_ = self._gold_reference(data)
        self.confident_ = confident_off_diagonal(data, gold, self.class_index_)
        self.gold_votes_, self.gold_votes_reference_ = self._vote_line(data, gold)
        return out, notes

    def _vote_line(self, data: Prepared, gold: list):
        """Share of each error's annotators who reject its gold (when a majority does), and the same on
        its own voters replayed with the gold right: the item clear, or split between the gold and
        another class at the set's estimated share of split items among errors (each annotator errs at
        the ambiguity model's rate, uniformly over the other classes; see ``_gold_votes``)."""
        if data.annotations is None or not data.annotations.height:
            return None, None
        table = vote_table(data, data.eval.get_column("id").to_list(), len(self.class_index_))
        stat = share_against(table, gold)
        errors = np.array([e is True for e in data.eval.get_column("is_error").to_list()], dtype=bool)
        rows = np.flatnonzero(errors & ~np.isnan(stat))
        return stat, simulate(table, rows, "share_against", data.seed, share=split_share(table.post, rows),
                              follow=follow_chance(table, table.post))

    def _gold_evidence(self, probs, g, share_pred, share_gold) -> tuple[float, float]:
        """How firmly the training neighbours back the other class and lack the gold. The model's own
        probabilities are left out: they only restate the error, and the reference rows' probabilities
        come from another model (the proxy); annotators' votes are the gold_votes line."""
        p_gold = float(probs[self.class_index_[g]])
        if share_pred is None or share_gold is None:  # no training table: the model's word alone
            return 1.0 - p_gold, p_gold
        return float(share_pred) * (1.0 - float(share_gold)), p_gold

    def _gold_note(self, g, p, p_gold, share_pred, share_gold, votes) -> str:
        parts = [f"gold label {g!r} looks wrong: the model gives it p={p_gold:.2f} and predicts {p!r}"]
        if share_pred is not None:
            parts.append(f"{100 * share_pred:.0f}% of nearest training rows are labelled {p!r}, {100 * share_gold:.0f}% {g!r}")
        if votes is not None:
            parts.append(f"only {100 * votes:.0f}% of its annotators chose {g!r}")
        return "; ".join(parts)

    def _gold_reference(self, data: Prepared, max_rows: int = 20_000):
        """The gold evidence on training rows the out-of-sample model gets wrong (ordinary errors), and
        their weights: a row flagged as mislabelled counts ``1 - 1 / flag_factor`` (the share of
        flags expected to be wrong), so the training set's own wrong labels do not pass as ordinary."""
        if data.train is None or data.train_probs is None or data.train_neighbors is None:
            return None, None
        given = data.train.get_column("label").to_list()
        codes = np.array([self.class_index_[g] for g in given])
        wrong = np.flatnonzero(data.train_probs.argmax(axis=1) != codes)
        if len(wrong) > max_rows:
            wrong = np.sort(np.random.default_rng(data.seed).choice(wrong, max_rows, replace=False))
        pred = np.asarray(data.classes, dtype=object)[data.train_probs[wrong].argmax(axis=1)].tolist()
        labels = np.asarray(given, dtype=object)
        idx = data.train_neighbors.indices[wrong, : self.k]
        sims = np.clip(data.train_neighbors.similarities[wrong, : self.k], 1e-6, None)
        share = lambda target: ((labels[idx] == np.asarray(target, dtype=object)[:, None]) * sims).sum(axis=1) / sims.sum(axis=1)
        share_pred, share_gold = share(pred), share(labels[wrong])
        # scored exactly like the eval line: votes are a line of their own
        values = np.array([self._gold_evidence(data.train_probs[j], given[j], share_pred[n], share_gold[n])[0]
                           for n, j in enumerate(wrong)])
        flagged = self.train_issues_.get_column("is_label_issue").to_numpy()[wrong] if self.train_issues_ is not None \
            else np.zeros(len(wrong), dtype=bool)
        return values, np.where(flagged, max(0.0, 1.0 - 1.0 / max(self.flag_factor, 1.0)), 1.0)

    def parts(self) -> tuple[ScorePart, ...]:
        """Four lines: taught (its precision stated from the training rows' neighbour votes against the eval
        rows' own, ``_taught``); pair, a
        one-way flip of the gold class's training labels to the prediction (decided at ``pair_decide_at``,
        its precision stated from the pair's errors each way: a flip A -> B makes B the runner-up of the
        correct A rows too, so correct rows cannot calibrate it); gold, the neighbours' case against the
        gold label where cleanlab's confident learning on the eval set also flags it (decided at
        ``gold_decide_at``; its precision at most that of the ungated line, since the reference rows were
        never gated), replaced by gold_flip (``_gold_flips``) wherever that can be calibrated; and gold_votes, annotators rejecting the gold beyond what their own error
        rates explain."""
        if not hasattr(self, "taught_"):
            return ()
        gated = np.where(self.confident_, self.gold_, 0.0)  # neighbours against the gold, and cleanlab agrees
        lines = [ScorePart("taught", self.taught_, reference_name="the training rows labelled as the prediction whose "
                           "neighbours vote for the gold class, beyond the share of eval rows of the predicted class "
                           "(as gold) whose neighbours do, at most the share of that flow annotators do not split on", decide_at=self.taught_decide_at,
                           stated=self.taught_precision_),
                 ScorePart("pair", self.pair_, reference_name="the class pair's errors the other way (the share of "
                           "its errors beyond them)", decide_at=self.pair_decide_at, stated=self.pair_precision_),
                 ScorePart("gold", gated, self.gold_reference_, "training rows the out-of-sample model gets wrong "
                           "(rows flagged as mislabelled down-weighted); the stated precision is approximate: "
                           "those rows' probabilities come from the proxy, not your model",
                           self.gold_reference_weights_, decide_at=self.gold_decide_at, explained_away_by=_COVERAGE,
                           ungated=self.gold_)
                 if self.gold_reference_ is not None
                 else ScorePart("gold", gated, decide_at=self.gold_decide_at, explained_away_by=_COVERAGE)]
        if getattr(self, "flip_precision_", None) is not None:  # it replaces the gated neighbour line
            lines = [ln for ln in lines if ln.name != "gold"]
            lines.append(ScorePart("gold_flip", self.flip_precision_, reference_name="training rows the held-out proxy "
                                   "gets wrong against training rows it gets right given a simulated wrong label; "
                                   "calibrated on the eval rows the held-out proxy gets wrong",
                                   explained_away_by=_COVERAGE, stated=self.flip_precision_))
        if self.gold_votes_ is not None:
            lines.append(ScorePart("gold_votes", self.gold_votes_, self.gold_votes_reference_,
                                   "the same errors' annotators replayed with the gold right (clear, or split with another class "
                                   "at the set's share of split items)"))
        notes = getattr(self, "notes_", {})
        return tuple(replace(line, notes=notes.get(line.name)) for line in lines)

    def tables(self) -> dict[str, pl.DataFrame]:
        return {"train_issues": self.train_issues_} if getattr(self, "train_issues_", None) is not None else {}

    def summary(self) -> dict[str, Any]:
        issues = getattr(self, "train_issues_", None)
        out: dict[str, Any] = {"filter_by": self.filter_by, "k": self.k, "knn_weight": self.knn_weight,
                               "eval_gold_labels_suspect": getattr(self, "n_eval_gold_suspect_", 0)}
        if issues is not None:
            out["train_label_issues"] = int(issues.get_column("is_label_issue").sum())
            out["train_rows"] = issues.height
        return out


#: a model that never saw rows like this one gives its gold a low probability whatever the label's truth
_COVERAGE = "coverage_gap"
