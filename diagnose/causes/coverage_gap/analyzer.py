"""coverage_gap: the model never saw similar examples in training."""
from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from diagnose.causes.coverage_gap import _coverage_votes
from diagnose.causes.coverage_gap._coverage_features import centre_distance, char_features, class_sums, entropy, matched_quantiles, nearest_in_group, percentile, sparse_top_k
from diagnose.causes.coverage_gap._coverage_text import evidence_text, label_signal, other_model, reference_text, wrong_rows
from diagnose.causes.coverage_gap.regions import describe_regions
from diagnose.core import Analyzer, Neighbors, Prepared, ScorePart
from diagnose.errors import InputError

#: novelty signals, in the order they are reported
SIGNALS = ("isolation", "centre", "uncertainty")
#: how labelled rows are calibrated (``outcome_reference``)
REFERENCES = ("blend", "outcome", "all")


class CoverageGap(Analyzer):
    """Score how unusual each eval row is compared with the training data.

    Up to three novelty signals are measured for every eval row and, leave-one-out,
    for (up to ``reference_rows``) sampled training rows:

    * ``isolation``: one minus the mean cosine similarity to the ``k`` nearest
      training rows;
    * ``centre``: one minus the largest cosine similarity to a training class
      centre (the sum of that class's rows; a training row is left out of its
      own class), i.e. how badly the row fits even its closest class;
    * ``uncertainty``: entropy of the classifier's class probabilities
      (``data.eval_probs``; ``data.train_probs``, out-of-sample, for training
      rows). In :func:`diagnose.run` these are the cross-validated proxy
      model's when you give no probabilities. Used only when both are present.

    Features: character 2–5-gram TF-IDF of the texts (``features="char"``) or
    the pipeline's shared embeddings and neighbours (``"shared"``). Each signal
    becomes the share of reference training rows it exceeds; the novelty is the
    mean of those shares, calibrated once more against the training rows' own
    means, so an unlabelled row's score of 0.97 reads "more unusual than 97%
    of training rows".
    On CLINC150 dev (val vs oos_val) the three signals give AUROC 0.959,
    isolation alone 0.925 (see ``benchmarks/RESULTS.md``). Gold labels absent
    from training score 1, and labels rarer than ``rare_share`` of the median
    class count score high. Works without eval labels.

    An error (gold ≠ prediction) is a coverage gap when training holds no
    example like it *with its gold label*, so its novelty is averaged with a
    gold-label distance (``gold_reference``): one minus the cosine similarity
    to the nearest training row labelled with its gold, as the share of
    reference training rows whose nearest other row of their own label is
    closer. Errors are more isolated and far more uncertain than correct rows
    whatever the coverage (being wrong and being unsure go together), so the
    novelty alone reads many ordinary confusions as gaps; an ordinary
    confusion has training rows of its gold label close by. The default
    (``"blend"``) takes the mean of that share among all reference rows and
    among the *misclassified* ones (the out-of-sample ``train_probs`` argmax
    differs from the label), whose own-label neighbours are farther;
    ``"outcome"`` the misclassified ones alone, ``"all"`` all of them, None
    leaves the gold-label distance out. Correct and unlabelled rows are
    scored on the novelty alone.

    With votes on eval rows, a second line reads what the annotators say the row is: the
    posterior, from its votes alone, that its class has no training rows
    (:mod:`~diagnose.causes.coverage_gap._coverage_votes`). It finds the rows whose true class
    is missing from training but whose gold label names a class that is there (the gold-label
    distance then reads them as ordinary confusions).

    ``outcome_reference`` instead calibrates the novelty of labelled rows
    against training rows of the same outcome (an error against the
    misclassified ones, a correct row against the correctly classified ones):
    ``"all"`` (default) all training rows, ``"outcome"`` same-outcome rows,
    ``"blend"`` the mean of the two shares. Unlabelled rows always use all
    training rows.

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
        Training rows sampled to calibrate the percentiles.
    signals
        Novelty signals combined: any of ``isolation``, ``centre``,
        ``uncertainty`` (``centre`` and ``uncertainty`` need classification).
    outcome_reference
        Reference of the novelty of labelled rows: ``"all"`` (all rows),
        ``"outcome"`` (same-outcome rows only) or ``"blend"`` (mean of the
        two shares); ``True``/``False`` mean ``"outcome"``/``"all"``.
        Same-outcome references need ``train_probs`` and at least
        ``min_outcome_rows`` reference rows of each outcome; otherwise all
        rows are the reference.
    gold_reference
        Reference of the gold-label distance of errors: ``"blend"``,
        ``"outcome"`` (misclassified training rows), ``"all"``, or None (not
        used; errors are scored on the novelty alone). Needs
        classification; the misclassified reference needs ``train_probs``
        and ``min_outcome_rows`` misclassified reference rows, else all rows.
    min_outcome_rows
        Fewest reference rows per outcome for ``outcome_reference`` and
        ``gold_reference``.
    label_rows
        Training rows per label searched for the nearest row of a label
        (a random sample when a label has more), bounding the cost.
    use_probs
        On top, a noisy-OR with the model's top probability when eval
        probabilities are available: score = 1 − (1 − novelty) × max
        probability. Off by default so the score stays specific to novelty.
    """

    name = "coverage_gap"
    description = (
        "The model never saw similar examples in training: the row is farther from its "
        "nearest training rows and from every training class than almost all training rows are, "
        "or its label is absent or rare in training. Fix: collect and label data like these rows."
    )

    def __init__(self, *, k: int = 5, rare_share: float = 0.25, features: str = "auto",
                 char_max_rows: int = 50_000, reference_rows: int = 5000,
                 signals: tuple[str, ...] = ("isolation", "centre", "uncertainty"),
                 outcome_reference: str | bool = "all", gold_reference: str | None = "blend",
                 min_outcome_rows: int = 50, label_rows: int = 20_000, use_probs: bool = False, show: int = 3):
        self.k = k
        self.rare_share = rare_share
        self.features = features
        self.char_max_rows = char_max_rows
        self.reference_rows = reference_rows
        self.signals = signals
        self.outcome_reference = outcome_reference
        self.gold_reference = gold_reference
        self.min_outcome_rows = min_outcome_rows
        self.label_rows = label_rows
        self.use_probs = use_probs
        self.show = show

    def skip_reason(self, data: Prepared) -> str | None:
        if data.train is None:
            return "no training table was given, so there is nothing to measure coverage against"
        if self._space(data) == "shared" and (data.eval_neighbors is None or data.train_neighbors is None):
            return "no neighbour search was run"
        return None

    def prefetch(self, train: pl.DataFrame | None, seed: int) -> None:
        """Start, on a thread, the character features that :meth:`fit` on ``train`` with ``seed`` computes
        first (pure Python n-grams: they then overlap the pipeline's BLAS-bound shared stages)."""
        if train is None or not (self.features == "char" or (self.features == "auto" and train.height <= self.char_max_rows)):
            return
        from concurrent.futures import ThreadPoolExecutor

        rows = np.random.default_rng(seed).permutation(train.height)[: self.reference_rows]
        pool = ThreadPoolExecutor(max_workers=1)
        self.prefetched_ = (train, (seed, self.k, self.reference_rows),
                         pool.submit(char_features, train.get_column("text").to_list(), rows, self.k))
        pool.shutdown(wait=False)

    def _space(self, data: Prepared) -> str:
        if self.features != "auto":
            return self.features
        return "char" if data.train is not None and data.train.height <= self.char_max_rows else "shared"

    def _active_signals(self, data: Prepared) -> tuple[str, ...]:
        unknown = set(self.signals) - set(SIGNALS)
        if unknown or "isolation" not in self.signals:
            raise InputError(f"CoverageGap: signals not usable; expected 'isolation' plus any of {list(SIGNALS)}. "
                             f"Found {list(self.signals)!r}. Pass e.g. signals={SIGNALS!r}.")
        classify = data.task == "classification"
        has_probs = data.eval_probs is not None and data.train_probs is not None
        has_vectors = self._space(data) == "char" or (data.train_embeddings is not None and data.eval_embeddings is not None)
        keep = {"isolation": True, "centre": classify and has_vectors, "uncertainty": classify and has_probs}
        return tuple(s for s in SIGNALS if s in self.signals and keep[s])

    def fit(self, data: Prepared) -> CoverageGap:
        self.space_ = self._space(data)
        self.signals_ = self._active_signals(data)
        n = data.train.height
        rows = np.random.default_rng(data.seed).permutation(n)[: self.reference_rows]
        if self.space_ == "char":
            pending, self.prefetched_ = getattr(self, "prefetched_", None), None
            same = pending is not None and pending[0] is data.train and pending[1] == (data.seed, self.k, self.reference_rows)
            found = pending[2].result() if same else char_features(data.train.get_column("text").to_list(), rows, self.k)
            self.vectorizer_, self.train_matrix_, sims, self.train_split_ = found
        else:
            sims = data.train_neighbors.similarities[rows, : self.k]
        ref = {"isolation": 1.0 - sims.mean(axis=1)}
        names, y = np.unique(np.asarray(data.train.get_column("label").to_list(), dtype=object).astype(str),
                             return_inverse=True)
        if "centre" in self.signals_:
            matrix = self._matrix(data)
            self.centres_ = class_sums(matrix, y, len(names))
            ref["centre"] = centre_distance(matrix[rows], *self.centres_, own=y[rows])
        if "uncertainty" in self.signals_:
            ref["uncertainty"] = entropy(data.train_probs[rows])
        self.reference_ = {name: np.sort(v) for name, v in ref.items()}
        combined = self._combine(ref)[0]
        self.combined_reference_ = np.sort(combined)
        self.outcome_references_ = self._outcome_references(data, rows, combined)
        self._fit_gold(data, rows, names, y)
        self.error_reference_ = self._error_reference(data, rows, combined)
        counts = data.train.group_by("label").len()
        self.label_counts_ = dict(zip(counts.get_column("label").to_list(), counts.get_column("len").to_list()))
        self.median_count_ = float(np.median(list(self.label_counts_.values())))
        return self

    def _outcome_references(self, data: Prepared, rows: np.ndarray, combined: np.ndarray) -> dict[bool, np.ndarray]:
        """Sorted combined novelty of the reference rows the out-of-sample model gets wrong (True) and right (False)."""
        wrong = None if self._reference_mode() == "all" else wrong_rows(data, rows)
        if wrong is None or min(wrong.sum(), (~wrong).sum()) < self.min_outcome_rows:
            return {}
        return {True: np.sort(combined[wrong]), False: np.sort(combined[~wrong])}

    def _error_reference(self, data: Prepared, rows: np.ndarray, combined: np.ndarray) -> np.ndarray | None:
        """Scores, computed as for an eval error, of the reference rows the out-of-sample model gets
        wrong: ordinary errors whose class is in training (the reference of the verdict)."""
        wrong = wrong_rows(data, rows)
        if wrong is None or not wrong.any():
            return None
        pct = self._calibrate(combined[wrong], [True] * int(wrong.sum()))[0]
        dist = getattr(self, "gold_rows_dist_", None)
        if dist is None or not self.gold_references_:
            return pct
        shares = {o: percentile(ref, dist[wrong]) for o, ref in self.gold_references_.items()}
        mixed = {"all": shares[False], "outcome": shares.get(True),
                 "blend": None if True not in shares else (shares[False] + shares[True]) / 2}
        gold = shares[False] if mixed[self.gold_reference] is None else mixed[self.gold_reference]
        known = ~np.isnan(gold)
        pct[known] = (pct[known] + gold[known]) / 2
        return pct

    def parts(self) -> tuple[ScorePart, ...]:
        """The score, calibrated on training rows the out-of-sample model gets wrong (ordinary errors); with votes
        on eval rows, also votes: the posterior that the annotators' class has no training rows
        (:mod:`~diagnose.causes.coverage_gap._coverage_votes`), against their votes replayed on a class that has."""
        if not hasattr(self, "scores_"):
            return ()
        reference = getattr(self, "error_reference_", None)
        line = ScorePart("score", self.scores_, notes=getattr(self, "evidence_", None)) if reference is None else \
            ScorePart("score", self.scores_, reference, "training rows the out-of-sample model gets wrong (errors whose "
                      "class is in training), scored like eval errors", notes=getattr(self, "evidence_", None))
        votes = getattr(self, "votes_line_", None)
        return (line,) if votes is None else (line, ScorePart(
            "votes", votes[0], votes[1], "the same errors' annotators replayed on an item of a class with training rows",
            notes=votes[2], decide_at=0.5))  # more likely than not: a rank among near-zero posteriors means nothing

    def _reference_mode(self) -> str:
        mode = {True: "outcome", False: "all"}.get(self.outcome_reference, self.outcome_reference)
        if mode not in REFERENCES:
            raise InputError(f"CoverageGap: outcome_reference not usable; expected one of {list(REFERENCES)}. "
                             f"Found {self.outcome_reference!r}. Pass one of those.")
        return mode

    def _gold_mode(self) -> str | None:
        if self.gold_reference is not None and self.gold_reference not in REFERENCES:
            raise InputError(f"CoverageGap: gold_reference not usable; expected one of {list(REFERENCES)} or None. "
                             f"Found {self.gold_reference!r}. Pass one of those or None.")
        return self.gold_reference

    def _matrix(self, data: Prepared):
        """Training rows in the chosen feature space (None when the shared space has no embeddings)."""
        return self.train_matrix_ if self.space_ == "char" else data.train_embeddings

    def _fit_gold(self, data: Prepared, rows: np.ndarray, names: np.ndarray, y: np.ndarray) -> None:
        """Sorted distances of reference rows to the nearest other training row of their own label
        (``names``/``y``: the training labels' sorted names and each row's code)."""
        self.gold_references_ = {}
        matrix = self._matrix(data)
        if self._gold_mode() is None or data.task != "classification" or matrix is None:
            return
        self.gold_names_ = names
        order = np.random.default_rng(data.seed).permutation(len(y))
        order = order[np.argsort(y[order], kind="stable")]
        rank = np.arange(len(order)) - np.searchsorted(y[order], y[order], side="left")
        self.gold_base_ = np.sort(order[rank < self.label_rows])
        self.gold_base_codes_ = y[self.gold_base_]
        position = np.full(len(y), -1)
        position[self.gold_base_] = np.arange(len(self.gold_base_))
        dist = 1.0 - nearest_in_group(matrix[rows], y[rows], matrix[self.gold_base_], y[self.gold_base_],
                                      exclude=position[rows])
        known = ~np.isnan(dist)
        self.gold_rows_dist_ = dist
        self.gold_references_ = {False: np.sort(dist[known])}
        wrong = wrong_rows(data, rows)
        if self.gold_reference != "all" and wrong is not None and (wrong & known).sum() >= self.min_outcome_rows:
            self.gold_references_[True] = np.sort(dist[known & wrong])

    def _gold_signal(self, data: Prepared, queries, is_error: list) -> tuple[np.ndarray, list[str]]:
        """Share of reference rows nearer their own label than each error is to its gold label, and its text."""
        share, notes = np.full(len(is_error), np.nan), [""] * len(is_error)
        if not getattr(self, "gold_references_", None):
            return share, notes
        lookup = {c: j for j, c in enumerate(self.gold_names_)}
        gold = data.eval.get_column("label").to_list()
        codes = np.array([lookup.get(str(g), -1) if e is True and g is not None else -1 for g, e in zip(gold, is_error)])
        rows = np.flatnonzero(codes >= 0)
        if not len(rows):
            return share, notes
        near = nearest_in_group(queries[rows], codes[rows], self._matrix(data)[self.gold_base_], self.gold_base_codes_)
        shares = {o: percentile(ref, 1.0 - near) for o, ref in self.gold_references_.items()}
        wrong = shares.get(True)
        mixed = {"all": shares[False], "outcome": wrong, "blend": None if wrong is None else (shares[False] + wrong) / 2}
        value = shares[False] if mixed[self.gold_reference] is None else mixed[self.gold_reference]
        for n, i in enumerate(rows):
            share[i] = value[n]
            versus = "" if wrong is None else f" ({100 * shares[False][n]:.0f}% of all, {100 * wrong[n]:.0f}% of those the model gets wrong)"
            notes[i] = (f"its nearest training row labelled {gold[i]!r} has similarity {near[n]:.2f}, farther than "
                        f"{100 * value[n]:.0f}% of training rows are from their own label{versus}; "
                        "the score averages this with the novelty")
        return share, notes

    def _calibrate(self, mean: np.ndarray, is_error: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Calibrated novelty, share of all reference rows below each row, share of same-outcome ones (NaN if none)."""
        share_all = percentile(self.combined_reference_, mean)
        share_outcome = np.full(len(mean), np.nan)
        for outcome, ref in self.outcome_references_.items():
            mask = np.array([e is outcome for e in is_error], dtype=bool)
            share_outcome[mask] = percentile(ref, mean[mask])
        known = ~np.isnan(share_outcome)
        weight = 0.5 if self._reference_mode() == "blend" else 1.0
        pct = share_all.copy()
        pct[known] = (1.0 - weight) * share_all[known] + weight * share_outcome[known]
        return pct, share_all, share_outcome

    def _combine(self, raw: dict[str, np.ndarray]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Mean of the signals' reference percentiles, and the percentiles themselves."""
        shares = {name: percentile(self.reference_[name], v) for name, v in raw.items()}
        return np.mean([shares[s] for s in self.signals_], axis=0), shares

    def score(self, data: Prepared) -> pl.DataFrame:
        nb, queries = self._eval_neighbors(data)
        raw = {"isolation": 1.0 - nb.similarities[:, : self.k].mean(axis=1)}
        if "centre" in self.signals_:
            raw["centre"] = centre_distance(queries, *self.centres_)
        if "uncertainty" in self.signals_:
            if data.eval_probs is None:
                raise InputError("CoverageGap: scoring needs eval probabilities; expected data.eval_probs because fit used "
                                 "classifier probabilities. Found None. Score the same Prepared data that was fitted.")
            raw["uncertainty"] = entropy(data.eval_probs)
            if other_model(data):  # your model's entropy means something else than the proxy's: match ranks
                raw["uncertainty"] = matched_quantiles(raw["uncertainty"], self.reference_["uncertainty"])
        mean, shares = self._combine(raw)
        is_error = data.eval.get_column("is_error").to_list() if "is_error" in data.eval.columns else [None] * len(mean)
        pct, share_all, share_outcome = self._calibrate(mean, is_error)
        gold_share, gold_notes = self._gold_signal(data, queries, is_error)
        scored = ~np.isnan(gold_share)
        pct[scored] = (pct[scored] + gold_share[scored]) / 2
        labels = data.eval.get_column("label").to_list()
        label_score, label_note = zip(*(label_signal(g, self.label_counts_, self.rare_share, self.median_count_)
                                         for g in labels)) if labels else ((), ())
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
            evidence_text({s: v[i] for s, v in shares.items()}, nb.indices[i][: self.show], nb.similarities[i][: self.show],
                          train_ids, train_labels, notes[i],
                          reference_text(share_all[i], share_outcome[i], is_error[i], self._reference_mode()),
                          gold_notes[i])
            for i in range(len(scores))
        ]
        self.regions_ = describe_regions(data, share_all, seed=data.seed)
        self.n_isolated_ = int((share_all >= 0.95).sum())
        self.scores_, self.evidence_ = scores.astype(float), evidence
        self.votes_line_ = _coverage_votes.for_data(data, set(self.label_counts_))
        return pl.DataFrame({"id": data.eval.get_column("id"), "score_coverage_gap": scores.astype(float),
                             "evidence_coverage_gap": evidence})

    def _eval_neighbors(self, data: Prepared):
        """Nearest training rows of every eval row, and the eval rows' features, in the chosen space."""
        if self.space_ != "char":
            return data.eval_neighbors, data.eval_embeddings
        queries = self.vectorizer_.transform(data.eval.get_column("text").to_list()).tocsr()
        idx, sims = sparse_top_k(queries, self.train_matrix_, max(self.k, self.show), exclude=None,
                                 split=getattr(self, "train_split_", None))
        return Neighbors(idx, sims), queries

    def tables(self) -> dict[str, pl.DataFrame]:
        return {"coverage_regions": self.regions_} if hasattr(self, "regions_") else {}

    def summary(self) -> dict[str, Any]:
        return {"isolated_rows": getattr(self, "n_isolated_", 0), "k": self.k, "features": getattr(self, "space_", self.features),
                "signals": list(getattr(self, "signals_", self.signals)),
                "gold_reference": self.gold_reference if getattr(self, "gold_references_", None) else None,
                "classes_in_training": len(getattr(self, "label_counts_", {}))}

