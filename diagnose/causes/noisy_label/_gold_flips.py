"""The eval gold label against simulated gold flips (private helper of the noisy_label analyzer).

A wrong gold label on an eval row of class A leaves a row that reads like any
other row of A: the held-out proxy gives A a typical A row's probability and
the gold little, and the nearest training rows are labelled A. An ordinary
error is a row of its gold class that reads partly like another. Both kinds
are simulated on the training rows, where the proxy is held out: training rows
it gets right, given another label drawn in proportion to the proxy's own
probabilities (the confusable classes first), stand for gold flips; training
rows it gets wrong stand for ordinary errors (rows flagged as mislabelled
down-weighted, as in the gold reference). A logistic regression on four
features (the proxy's log-odds of the label and of its strongest rival, the
neighbours' share of the label and of its strongest rival) learns to tell
them apart, and its score is calibrated like every other line: the eval rows
the proxy gets wrong, scored by the fold models exactly as the training rows
are, against the ordinary training errors (:func:`diagnose.attribution.part_precision`).
The rows compared are chosen alike on both sides (the held-out proxy rejects
the label), not by the user's model: the user's errors among them are harder
rows than the proxy's errors, so the precision stated on them is a lower bound.
"""
from __future__ import annotations

import numpy as np

from diagnose.attribution import AttributionConfig, part_precision
from diagnose.core import Prepared

#: training rows sampled per side at most (the fit and the reference stay cheap at a million rows)
MAX_ROWS = 20_000
#: weight of a reference row flagged as mislabelled: it may be a flip itself (0.2, as the gated gold line's
#: 1 - 1 / flag_factor; compared on the development draws of ``python -m benchmarks.family`` with 0, which
#: flooded the draws with little or no noise (200-223: errors given a cause on draws without faults, median
#: 0.092, worst 0.604), and 0.5, which lost recall (200-223: noisy_label recall 0.488 -> 0.390))
FLAGGED_WEIGHT = 0.2
#: rows of one block when reading probabilities and neighbours (bounds the temporaries)
BLOCK = 20_000


def rival_probs(probs: np.ndarray, rows: np.ndarray, target: np.ndarray):
    """Each row's probability of ``target``, the largest probability of another class, and that class.

    Examples
    --------
    >>> p = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    >>> [v.round(2).tolist() for v in rival_probs(p, np.array([0, 1]), np.array([1, 2]))]
    [[0.2, 0.6], [0.7, 0.3], [0, 1]]
    """
    own, rival, which = np.empty(len(rows)), np.empty(len(rows)), np.empty(len(rows), dtype=np.int64)
    for a in range(0, len(rows), BLOCK):
        block = np.array(probs[rows[a:a + BLOCK]], dtype=np.float64)
        r, t = np.arange(len(block)), target[a:a + BLOCK]
        own[a:a + BLOCK] = block[r, t]
        block[r, t] = -1.0
        which[a:a + BLOCK] = block.argmax(axis=1)
        rival[a:a + BLOCK] = block[r, which[a:a + BLOCK]]
    return own, rival, which


def rival_shares(neighbors, rows: np.ndarray, codes: np.ndarray, target: np.ndarray,
                 k: int) -> tuple[np.ndarray, np.ndarray]:
    """Similarity-weighted share of each row's ``k`` nearest training rows labelled ``target``, and
    the largest share of one other label (``codes``: the training rows' label codes).

    Examples
    --------
    >>> from diagnose.neighbors import Neighbors
    >>> nb = Neighbors(np.array([[0, 1, 2]]), np.array([[1.0, 1.0, 1.0]], dtype=np.float32))
    >>> [v.round(2).tolist() for v in rival_shares(nb, np.array([0]), np.array([0, 1, 1]), np.array([0]), 3)]
    [[0.33], [0.67]]
    """
    own, rival = np.empty(len(rows)), np.empty(len(rows))
    for a in range(0, len(rows), BLOCK):
        part = rows[a:a + BLOCK]
        idx = neighbors.indices[part, :k]
        sims = np.clip(neighbors.similarities[part, :k].astype(np.float64), 1e-6, None)
        labels = np.where(idx >= 0, codes[np.clip(idx, 0, None)], -1)
        sims = np.where(idx >= 0, sims, 0.0)
        total = np.clip(sims.sum(axis=1), 1e-12, None)
        same = labels[:, :, None] == labels[:, None, :]  # rows x k x k: which neighbours share a label
        per_label = (same * sims[:, None, :]).sum(axis=2)  # each neighbour's label's weight
        mine = labels == target[a:a + BLOCK, None]
        own[a:a + BLOCK] = (sims * mine).sum(axis=1) / total
        rival[a:a + BLOCK] = np.where(mine | (labels < 0), 0.0, per_label).max(axis=1, initial=0.0) / total
    return own, rival


def features(probs: np.ndarray, neighbors, rows: np.ndarray, codes: np.ndarray, target: np.ndarray,
             k: int) -> tuple[np.ndarray, np.ndarray]:
    """The four features of each ``(row, label)``: the log-odds of the label and of its strongest
    rival under ``probs``, and the neighbours' share of each; and that rival class."""
    own, rival, which = rival_probs(probs, rows, target)
    s_own, s_rival = rival_shares(neighbors, rows, codes, target, k)
    logit = lambda p: np.log(np.clip(p, 1e-6, 1.0)) - np.log(np.clip(1.0 - p, 1e-6, 1.0))  # noqa: E731
    return np.column_stack([logit(own), logit(rival), s_own, s_rival]), which


def simulated_labels(probs: np.ndarray, rows: np.ndarray, codes: np.ndarray, seen: np.ndarray,
                     rng: np.random.Generator) -> np.ndarray:
    """A wrong label per row, drawn in proportion to the proxy's probability of each other seen class.

    Real mislabels go to confusable classes first. Drawn uniformly over the other classes instead (compared
    on the development draws of ``python -m benchmarks.family``), the simulated flips were easier to tell
    from ordinary errors than real ones: a little more recall, but worst-draw precision 0.826 -> 0.707
    (dev 0-9) and 0.641 -> 0.286 (few classes with votes), and the no-fault worst draw 0.006 -> 0.032.
    """
    out = np.empty(len(rows), dtype=np.int64)
    for a in range(0, len(rows), BLOCK):
        part = rows[a:a + BLOCK]
        weights = np.array(probs[part], dtype=np.float64) * seen
        weights[np.arange(len(part)), codes[part]] = 0.0
        cum = np.cumsum(weights, axis=1)
        draw = rng.random(len(part)) * cum[:, -1]
        out[a:a + BLOCK] = np.minimum((cum < draw[:, None]).sum(axis=1), probs.shape[1] - 1)
    return out


def _sample(rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return rows if len(rows) <= MAX_ROWS else np.sort(rng.choice(rows, MAX_ROWS, replace=False))


def vote_odds(table, gold: np.ndarray, rival: np.ndarray, classes: list) -> np.ndarray:
    """Per row, the odds ratio its annotators' votes put on a wrong gold, at most 1 (the votes' own case
    against the gold is the gold_votes line; here they can only overrule the proxy): a vote of
    reliability ``a`` for the gold multiplies the odds by ``(1 - a) / a``, one for the rival class by
    ``a / (1 - a)``, any other by 1.

    Examples
    --------
    >>> from diagnose.votes import VoteTable
    >>> t = VoteTable([[("x", "a"), ("y", "a")], []], {"x": 0.8, "y": 0.8}, 2)
    >>> vote_odds(t, np.array([0, 0]), np.array([1, 1]), ["a", "b"]).round(4).tolist()
    [0.0625, 1.0]
    """
    names = np.asarray(classes, dtype=object)
    a = np.clip(np.nan_to_num(table.accuracy, nan=0.5), 0.01, 0.99)
    for_gold = table.labels == names[gold][:, None]
    for_rival = table.labels == names[rival][:, None]
    log_odds = (np.where(for_gold, np.log((1 - a) / a), 0.0) + np.where(for_rival, np.log(a / (1 - a)), 0.0)).sum(axis=1)
    return np.exp(np.minimum(log_odds, 0.0))


def gold_flip_line(data: Prepared, class_index: dict, flagged: np.ndarray | None, k: int,
                   config: AttributionConfig | None = None, table=None):
    """Per eval row: the gold-flip line's stated precision (NaN where not scored) and a note (where the
    precision reaches 0.5); None when the training side cannot calibrate it (no held-out eval
    probabilities, or too few rows either way). ``table``
    (a :class:`diagnose.votes.VoteTable` of the eval rows) lets annotators who back a gold overrule."""
    config = config or AttributionConfig()
    if data.train is None or data.train_probs is None or data.eval_held_probs is None \
            or data.train_neighbors is None or data.eval_neighbors is None:
        return None
    codes = np.array([class_index[g] for g in data.train.get_column("label").to_list()])
    seen = np.bincount(codes, minlength=len(class_index)) > 0
    fitted = _discriminator(data, codes, seen, flagged, k, config)
    if fitted is None:
        return None
    model, reference, weights = fitted
    gold = np.array([class_index.get(g, -1) if g is not None else -1 for g in data.eval.get_column("label").to_list()])
    target = np.clip(gold, 0, None)
    rows = np.flatnonzero((gold >= 0) & seen[target] & (data.eval_held_probs.argmax(axis=1) != target))
    scores, rival = np.full(len(gold), np.nan), np.zeros(len(gold), dtype=np.int64)
    found, rival[rows] = features(data.eval_held_probs, data.eval_neighbors, rows, codes, gold[rows], k)
    if len(rows):
        scores[rows] = model(found)
    precision = part_precision(scores, ~np.isnan(scores), reference, config, weights)[0]
    if table is not None and len(rows):  # annotators who back the gold overrule the proxy
        odds = vote_odds(table, target, rival, list(class_index))
        with np.errstate(invalid="ignore", divide="ignore"):
            precision = np.where(odds < 1.0, precision * odds / (precision * odds + 1.0 - precision), precision)
    return precision, _notes(list(class_index), rows, gold, rival, found, precision, table)


def _discriminator(data: Prepared, codes: np.ndarray, seen: np.ndarray, flagged: np.ndarray | None, k: int,
                   config: AttributionConfig):
    """The score of a logistic regression (on standardised features) telling simulated flips from
    ordinary errors on the training rows, the ordinary errors' scores (the reference) and their
    weights; None with too few rows either way."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng([data.seed, 11])
    guess = data.train_probs.argmax(axis=1)
    wrong, right = _sample(np.flatnonzero(guess != codes), rng), _sample(np.flatnonzero(guess == codes), rng)
    weights = np.where(flagged[wrong], FLAGGED_WEIGHT, 1.0) if flagged is not None else np.ones(len(wrong))
    if weights.sum() < config.min_reference or len(right) < config.min_reference or seen.sum() < 2:
        return None
    ordinary = features(data.train_probs, data.train_neighbors, wrong, codes, codes[wrong], k)[0]
    flips = features(data.train_probs, data.train_neighbors, right, codes,
                     simulated_labels(data.train_probs, right, codes, seen, rng), k)[0]
    x = np.vstack([ordinary, flips])
    w = np.r_[weights / weights.sum(), np.full(len(right), 1.0 / len(right))] * len(x) / 2  # each side half
    centre, scale = x.mean(axis=0), np.where(x.std(axis=0) > 0, x.std(axis=0), 1.0)
    fitted = LogisticRegression(C=1.0, max_iter=1000).fit((x - centre) / scale, np.r_[np.zeros(len(wrong)),
                                                                                       np.ones(len(right))], sample_weight=w)
    score = lambda rows: fitted.decision_function((rows - centre) / scale)  # noqa: E731
    return score, score(ordinary), weights


def _notes(classes: list, rows: np.ndarray, gold: np.ndarray, rival: np.ndarray, found: np.ndarray,
           precision: np.ndarray, table=None) -> list[str]:
    notes = [""] * len(gold)
    expit = lambda z: float(1.0 / (1.0 + np.exp(-z)))  # noqa: E731
    for n, i in enumerate(rows):
        if precision[i] >= 0.5:
            name = classes[gold[i]]
            notes[i] = (f"gold label {name!r} looks wrong: a model held out from this row gives it "
                        f"p={expit(found[n, 0]):.2f} and {classes[rival[i]]!r} p={expit(found[n, 1]):.2f}; "
                        f"{100 * found[n, 2]:.0f}% of its nearest training rows are labelled {name!r}, "
                        f"{100 * found[n, 3]:.0f}% carry one other label")
            if table is not None and table.n[i]:
                notes[i] += f"; {int((table.labels[i] == name).sum())} of its {table.n[i]} annotators chose {name!r}"
    return notes
