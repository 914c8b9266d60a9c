"""The votes line of coverage_gap: the annotators name a class that has no training rows.

Private helper of :mod:`diagnose.causes.coverage_gap.analyzer`. A row whose gold label is absent
from training is a coverage gap on its face; when the gold label is itself wrong (it names a class
the model did see), the people who labelled the row can still say what it is. Each eval row with
votes gets the posterior that its class is one with no training rows, from its votes alone (a flat
prior over the classes, every vote right with its annotator's estimated reliability and otherwise
naming a class at random: :func:`diagnose.votes.eval_posterior`'s relative reliabilities times the
pooled one, at most the share of votes naming the gold on rows the model gets right). The reference
of the verdict is the same errors' annotators replayed on an item of a class the training data has.
"""
from __future__ import annotations

import numpy as np

from diagnose._vote_anchor import pooled_reliability


def unseen_posterior(codes: np.ndarray, reliability: np.ndarray, unseen: np.ndarray) -> np.ndarray:
    """Per item, P(its class is one of the ``unseen`` classes) from its votes (NaN without votes).

    ``codes``: n x votes class codes (-1: no vote); ``reliability``: the same shape, the chance each
    vote names the item's class (else a class drawn uniformly from all ``len(unseen)``).

    Examples
    --------
    >>> codes = np.array([[2, 2, 0], [0, 1, -1], [-1, -1, -1]])
    >>> p = unseen_posterior(codes, np.full(codes.shape, 0.9), np.array([False, False, True, False]))
    >>> bool(p[0] > 0.9), bool(p[1] < 0.05), bool(np.isnan(p[2]))
    (True, True, True)
    """
    k = len(unseen)
    n = len(codes)
    out = np.full(n, np.nan)
    voted = codes >= 0
    if not voted.any():
        return out
    r = np.clip(reliability, 0.0, 0.999)
    item = np.nonzero(voted)[0]
    keys, inv = np.unique(item * k + codes[voted], return_inverse=True)
    lift = np.bincount(inv, weights=np.log1p(r[voted] * k / (1.0 - r[voted])))  # log P(vote | class) / P(vote | other)
    row, cls = keys // k, keys % k
    top = np.zeros(n)
    np.maximum.at(top, row, lift)
    base = np.exp(-top)  # every class no vote names, relative to the item's likeliest
    mass = np.exp(lift - top[row])
    named = np.bincount(row, minlength=n)
    named_unseen = np.bincount(row, weights=unseen[cls].astype(float), minlength=n)
    num = np.bincount(row, weights=mass * unseen[cls], minlength=n) + (unseen.sum() - named_unseen) * base
    den = np.bincount(row, weights=mass, minlength=n) + (k - named) * base
    has = named > 0
    out[has] = num[has] / den[has]
    return out


def votes_line(post: dict, train_labels: set, gold: list, pred: list, is_error: np.ndarray, seed: int,
               reps: int = 5, known: set | None = None) -> tuple[np.ndarray, np.ndarray, list] | None:
    """Scores, reference and notes of the votes line (None when every class has training rows or no error has votes).

    ``post`` is :func:`diagnose.votes.eval_posterior`'s; each error's voters are replayed ``reps`` times
    on an item of its gold class, or of its predicted class when the gold has no training rows. With
    ``known`` (the run's classes: labels and predictions of both tables), a label only the votes use
    ("unsure", a typo) is not read as a class missing from training.
    """
    classes = post["classes"]
    unseen = np.array([c not in train_labels and (known is None or c in known) for c in classes])
    codes, rel = post["codes"], np.asarray(post["rel"], float) * pooled_reliability(post, always=True)
    if not unseen.any() or not (is_error & (post["n_votes"] > 0)).any():
        return None
    scores = _named(codes, rel, unseen)
    index = {c: j for j, c in enumerate(classes)}
    home = np.array([index.get(g, -1) if g in train_labels else index.get(p, -1) if p in train_labels else -1
                     for g, p in zip(gold, pred)])
    rows = np.flatnonzero(is_error & (post["n_votes"] > 0) & (home >= 0))
    rng = np.random.default_rng(seed)
    again = np.repeat(codes[rows], reps, axis=0)
    r = np.repeat(rel[rows], reps, axis=0)
    follows = rng.random(again.shape) < np.clip(r, 0.0, 1.0)
    drawn = np.where(follows, np.repeat(home[rows], reps)[:, None], rng.integers(0, len(classes), again.shape))
    reference = _named(np.where(again >= 0, drawn, -1), r, unseen)
    notes = [_note(codes[i], classes, unseen, scores[i]) if is_error[i] and scores[i] >= 0.5 else None
             for i in range(len(scores))]
    return scores, reference, notes


def _named(codes: np.ndarray, reliability: np.ndarray, unseen: np.ndarray) -> np.ndarray:
    """:func:`unseen_posterior`, 0 where no vote names such a class (with many classes missing from training
    and careless voters, the flat prior alone could pass 0.5)."""
    named = ((codes >= 0) & unseen[np.clip(codes, 0, None)]).any(axis=1)
    out = unseen_posterior(codes, reliability, unseen)
    return np.where(named | np.isnan(out), out, 0.0)


def _note(votes: np.ndarray, classes: list, unseen: np.ndarray, p: float) -> str:
    named = [classes[c] for c in votes if c >= 0]
    missing = sorted({classes[c] for c in votes if c >= 0 and unseen[c]})
    which = f"{missing[0]!r}, a class" if len(missing) == 1 else f"{' or '.join(map(repr, missing))}, classes"
    return (f"{sum(c in missing for c in named)} of {len(named)} annotators name {which} with no training rows "
            f"(posterior {p:.2f} that the item's class is missing from training)")


def for_data(data, train_labels: set) -> tuple[np.ndarray, np.ndarray, list] | None:
    """:func:`votes_line` of a prepared run (None without votes on eval rows, class labels or predictions)."""
    if data.task != "classification" or data.annotations is None or not data.annotations.height \
            or "prediction" not in data.eval.columns or "is_error" not in data.eval.columns:
        return None
    from diagnose.votes import eval_posterior

    post = eval_posterior(data)
    if post is None:
        return None
    text = lambda column: [None if v is None else str(v) for v in data.eval.get_column(column).to_list()]  # noqa: E731
    is_error = np.array([e is True for e in data.eval.get_column("is_error").to_list()], dtype=bool)
    return votes_line(post, {str(c) for c in train_labels}, text("label"), text("prediction"), is_error, data.seed,
                      known={str(c) for c in data.classes})
