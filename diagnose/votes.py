"""Vote evidence against a one-coin null: how surprising is an item's vote split?

Under the null, the item has one true label and each annotator names it with
their own estimated accuracy, erring uniformly over the other classes (the
one-coin model). Replaying an item's own voters under that null gives the
reference of its vote statistic: a 2–1 split among annotators who err a third
of the time is ordinary, the same split among annotators who are right 95% of
the time over 77 classes is not. The simulation keeps each item's number of
voters and who they are, so items with one vote, three or ten compare fairly.
"""
from __future__ import annotations

import threading

import numpy as np

from diagnose._ambiguity import (
    VERDICTS,
    _rows_of,
    ambiguity_posterior,
    fit_spread,
    noise_rows,
    relative_reliability,
    replay_clear,
    smooth_prior,
    spread_fitted,
    spread_mean,
    verdicts,
    vote_arrays,
)
from diagnose._pair_crossings import _by_item, pair_cross_votes
from diagnose._vote_mixture import split_probability, spread_grids, vote_mixture_fit, vote_mixture_fit_codes

__all__ = ["VERDICTS", "VoteTable", "ambiguity_posterior", "annotator_accuracy", "class_noise", "eval_posterior",
           "fit_spread", "minority_share", "pair_cross_votes", "relative_reliability", "split_probability", "spread_grids", "vote_mixture_fit",
           "vote_mixture_fit_codes", "replay_clear", "replay_reliability", "share_against", "simulate",
           "smooth_prior", "spread_fitted", "spread_mean", "verdicts", "vote_arrays", "vote_table", "wrong_gold_posterior"]


class VoteTable:
    """Votes of the eval rows as padded arrays.

    Parameters
    ----------
    votes
        Per eval row, a list of ``(annotator, label)`` (empty when none).
    accuracy
        Estimated accuracy per annotator (None or missing: the mean).
    n_classes
        Number of classes an annotator can choose from.

    Examples
    --------
    >>> t = VoteTable([[("a", "x"), ("b", "y")], []], {"a": 0.9, "b": 0.8}, 3)
    >>> t.n.tolist(), t.accuracy[0].round(2).tolist()
    ([2, 0], [0.9, 0.8])
    """

    def __init__(self, votes: list[list[tuple[str, str]]], accuracy: dict, n_classes: int):
        known = [float(v) for v in accuracy.values() if v is not None and np.isfinite(v)]
        mean = float(np.mean(known)) if known else 0.8
        width = max([len(v) for v in votes] + [1])
        self.n = np.array([len(v) for v in votes])
        self.labels = np.full((len(votes), width), None, dtype=object)
        self.accuracy = np.full((len(votes), width), np.nan)
        for i, row in enumerate(votes):
            for j, (who, label) in enumerate(row):
                self.labels[i, j] = label
                a = accuracy.get(who)
                self.accuracy[i, j] = mean if a is None or not np.isfinite(a) else float(a)
        self.accuracy = np.clip(self.accuracy, 1.0 / max(n_classes, 2), 0.999)
        self.k = max(n_classes, 2)
        self.post: dict | None = None  # the ambiguity posterior of the rows, when built from data


def _count(labels: np.ndarray, target: list) -> np.ndarray:
    return (labels == np.asarray(target, dtype=object)[:, None]).sum(axis=1)


def minority_share(table: VoteTable, gold: list, pred: list) -> np.ndarray:
    """Share of an item's votes on the weaker of its gold and predicted labels (NaN without votes)."""
    g, p = _count(table.labels, gold), _count(table.labels, pred)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.minimum(g, p) / table.n
    out[(table.n == 0) | np.array([a is None or b is None or a == b for a, b in zip(gold, pred)])] = np.nan
    return out


def share_against(table: VoteTable, gold: list) -> np.ndarray:
    """Share of an item's votes that do not name its gold label, counted when they are a majority.

    The posterior that the gold is wrong (votes weighed by reliability, with the set's fitted
    spread and noise) is :func:`wrong_gold_posterior`; it is not used here because on the
    development draws it raised the noisy-label false flags (see
    ``benchmarks/results/disagreement_*.md``).
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        share = 1.0 - _count(table.labels, gold) / table.n
    share[(table.n == 0) | np.array([g is None for g in gold])] = np.nan
    return np.where(share > 0.5, share, 0.0 * share)


def simulate(table: VoteTable, rows: np.ndarray, statistic: str, seed: int, reps: int = 20, *,
             share: float = 0.0, alpha: float = 2.0, follow: np.ndarray | None = None) -> np.ndarray:
    """The statistic on ``rows`` replayed ``reps`` times with the true label right.

    The true label is the gold (``share_against``) or the more voted of gold and
    prediction (``minority_share``); each voter names it with chance ``follow`` (default:
    their accuracy, ``table.accuracy``) and otherwise one of the other ``k - 1`` classes at
    random, so it lands on a given other class with probability ``(1 - accuracy) / (k - 1)``
    (the one-coin null). For ``share_against``, a share ``share`` of the replayed items is
    split: its people name the gold with a share ``theta ~ Beta(alpha, alpha)`` and one other
    class otherwise, so that an item people split on is part of the null (the gold is right
    on it too).

    Examples
    --------
    >>> t = VoteTable([[("a", "x"), ("b", "y"), ("c", "y")]], {"a": 0.9, "b": 0.9, "c": 0.9}, 5)
    >>> clear = simulate(t, np.array([0]), "share_against", seed=0, reps=200)
    >>> split = simulate(t, np.array([0]), "share_against", seed=0, reps=200, share=1.0)
    >>> bool((split > 0.5).mean() > (clear > 0.5).mean())
    True
    """
    if statistic != "minority_share":
        return _replay_against(table, rows, seed, reps, share, alpha, follow)
    rng = np.random.default_rng(seed)
    acc = np.repeat((table.accuracy if follow is None else follow)[rows], reps, axis=0)
    n = np.repeat(table.n[rows], reps)
    present = ~np.isnan(acc)
    right = (rng.random(acc.shape) < np.nan_to_num(acc)) & present
    # a wrong vote hits one particular other class with probability 1 / (k - 1)
    other = (~right & present) & (rng.random(acc.shape) < 1.0 / (table.k - 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.minimum(right.sum(axis=1), other.sum(axis=1)) / n
    return out[n > 0]


def _replay_against(table: VoteTable, rows: np.ndarray, seed: int, reps: int, share: float, alpha: float,
                    follow: np.ndarray | None) -> np.ndarray:
    """``share_against`` of :func:`simulate`: each replayed item split with probability ``share``."""
    rng = np.random.default_rng(seed)
    acc = np.repeat((table.accuracy if follow is None else follow)[rows], reps, axis=0)
    n = np.repeat((~np.isnan(acc[::reps])).sum(axis=1) if len(acc) else np.zeros(0, dtype=int), reps)
    present = ~np.isnan(acc)
    split = rng.random(len(acc)) < share
    theta = np.where(split, rng.beta(alpha, alpha, size=len(acc)), 1.0)
    follows = (rng.random(acc.shape) < np.nan_to_num(acc)) & present
    names_gold = follows & (rng.random(acc.shape) < theta[:, None])  # theta = 1 on a clear item
    # noise goes to a class other than the one meant: on a split item meaning the other class,
    # it lands on the gold with probability 1 / (k - 1)
    noise_gold = (~follows & present) & split[:, None] & (rng.random(acc.shape) < 1.0 / (table.k - 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        against = 1.0 - (names_gold | noise_gold).sum(axis=1) / n
    out = np.where(against > 0.5, against, 0.0)
    return out[n > 0]


def annotator_accuracy(annotations) -> dict[str, float]:
    """Each annotator's agreement with the other voters' majority on the items they share.

    A vote counts when at least one other annotator voted on the item; ties among the
    others count as half agreement. Smoothed towards 0.5 by one pseudo-vote each way.

    Examples
    --------
    >>> import polars as pl
    >>> ann = pl.DataFrame({"id": ["i", "i", "i", "j", "j", "j"], "annotator": ["a", "b", "c"] * 2,
    ...                     "label": ["x", "x", "y", "z", "z", "z"]})
    >>> {k: round(v, 2) for k, v in sorted(annotator_accuracy(ann).items())}
    {'a': 0.62, 'b': 0.62, 'c': 0.5}
    """
    from collections import Counter, defaultdict

    by_item = _by_item(annotations)
    agree: dict = defaultdict(lambda: [1.0, 2.0])  # one pseudo-vote each way
    for votes in by_item.values():
        if len(votes) < 2:
            continue
        counts = Counter(label for _, label in votes)
        for who, label in votes:
            others = counts.copy()
            others[label] -= 1
            top = max(others.values())
            leaders = [k for k, v in others.items() if v == top]
            agree[who][0] += 0.0 if label not in leaders else 1.0 / len(leaders)
            agree[who][1] += 1.0
    return {who: s / m for who, (s, m) in agree.items()}


def vote_table(data, ids: list, n_classes: int) -> VoteTable:
    """The votes on rows ``ids`` of ``data.annotations``, with every annotator's estimated accuracy."""
    ann = data.annotations.select("id", "annotator", "label").cast({"id": str, "annotator": str, "label": str})
    accuracy = annotator_accuracy(ann)
    wanted = {str(i): n for n, i in enumerate(ids)}
    rows: list[list[tuple[str, str]]] = [[] for _ in ids]
    for item, who, label in ann.iter_rows():
        if item in wanted:
            rows[wanted[item]].append((who, label))
    table = VoteTable(rows, accuracy, n_classes)
    if list(map(str, ids)) == data.eval.get_column("id").cast(str).to_list():
        table.post = eval_posterior(data)
    return table


def wrong_gold_posterior(table: VoteTable, gold: list, rows: np.ndarray | None = None, seed: int = 0):
    """P(gold wrong) from each item's votes alone (NaN without votes) and, for ``rows``, the same on
    their votes redrawn with the gold right (the reference): a drop-in for ``share_against`` and
    ``simulate(..., "share_against")`` on tables built by :func:`vote_table`."""
    if table.post is None:
        return share_against(table, gold), (None if rows is None else simulate(table, rows, "share_against", seed))
    out = np.array(_votes_only(table.post)["p_wrong_gold"], dtype=float)
    out[(table.n == 0) | np.array([g is None for g in gold])] = np.nan
    return out, (None if rows is None else _replay_gold(table.post, rows, seed))


def _votes_only(post: dict) -> dict:
    """The posterior of the same votes under a flat prior over the classes (kept in ``post``)."""
    if "votes_only" not in post:
        flat = np.full(post["prior"].shape, 1.0 / post["prior"].shape[1])
        post["votes_only"] = ambiguity_posterior(flat, post["codes"], post["rel"], post["gold"], spread=post["spread"],
                                                 mean=flat, odds=post["odds"], noise=post.get("noise"), seed=0)
    return post["votes_only"]


def _replay_gold(post: dict, rows: np.ndarray, seed: int, reps: int = 5) -> np.ndarray:
    """P(wrong gold) from the votes alone, on the rows' votes redrawn with their gold right and the item clear."""
    rows = rows[post["n_votes"][rows] > 0]
    if not len(rows):
        return np.zeros(0)
    flat = np.full((len(rows), post["prior"].shape[1]), 1.0 / post["prior"].shape[1])
    again = replay_clear(flat, post["codes"][rows], post["rel"][rows], post["gold"][rows],
                         post["gold"][rows], spread=post["spread"], mean=flat, odds=post["odds"][rows], reps=reps, seed=seed,
                         noise=_noise_rows_of(post, rows))
    return again["p_wrong_gold"]



def _noise_rows_of(post: dict, rows: np.ndarray):
    """The posterior's class-conditional noise on some rows (None with one-coin noise)."""
    return _rows_of(post.get("noise"), rows)


def class_noise(codes: np.ndarray, who: np.ndarray, n_classes: int, **kw) -> tuple[np.ndarray, np.ndarray]:
    """Class-conditional annotator noise of padded votes: ``(who, rows)`` for :func:`ambiguity_posterior`.

    ``who`` holds each vote's annotator as ``0 .. m-1`` (-1: anonymous, read with the pooled rows);
    ``rows`` comes from :func:`noise_rows` on these votes (``kw`` goes there).
    """
    ok = codes >= 0
    item = np.nonzero(ok)[0]
    m = int(who[ok].max()) + 1 if ok.any() and (who[ok] >= 0).any() else 0
    ann = np.where(who[ok] >= 0, who[ok], m)  # anonymous votes fit as one more annotator; read as pooled
    rows = noise_rows(item, ann, codes[ok], (len(codes), m + 1, n_classes), **kw)
    return np.where(ok & (who >= 0), who, -1), rows


RELIABILITY_PRIOR = 100.0  # pseudo-votes pulling each annotator's relative reliability towards the pool's (0: none; chosen on the RTE dev half over 0 and 20)
NOISE = "one_coin"  # default noise model of eval_posterior: "one_coin" or "confusion" (see class_noise)

_LAST: dict = {}  # the last posterior and the inputs it was computed from (both analyzers ask for it)
_LAST_LOCK = threading.Lock()


def eval_posterior(data, *, floor: float = 0.6, min_votes_for_weight: int = 5, noise: str | None = None) -> dict | None:
    """The ambiguity posterior of every eval row from its votes and the model's probabilities.

    Annotators with at least ``min_votes_for_weight`` votes on items others also voted on are
    weighted by their relative reliability, shrunk towards the pool's with
    :data:`RELIABILITY_PRIOR` pseudo-votes (an annotator of few votes stays near the average); the
    others (and anonymous votes) count as the average annotator. Returns None when no eval row has a vote. Keys: those of
    :func:`ambiguity_posterior`, plus ``classes``, ``codes``, ``rel``, ``prior``, ``gold``
    (class codes, -1 unknown), ``spread`` (alpha, reliability, share) and ``noise``.

    ``noise`` (default :data:`NOISE`): where a vote that does not follow the item goes; "one_coin"
    uniformly over the classes, "confusion" by the annotator's own class-conditional rows
    (:func:`class_noise`, fitted on the whole annotation table).
    """
    noise = NOISE if noise is None else noise
    inputs = (data.eval, data.annotations, data.eval_probs, data.classes, data.seed, floor, min_votes_for_weight, noise)
    same = lambda a, b: a is b or (isinstance(a, (int, float, str)) and a == b)  # noqa: E731
    with _LAST_LOCK:  # analyzers on two threads: the second waits for the first's posterior instead of recomputing it
        if _LAST.get("inputs") is not None and all(same(a, b) for a, b in zip(_LAST["inputs"], inputs)):
            return _LAST["post"]
        post = _eval_posterior(data, floor, min_votes_for_weight, noise)
        _LAST.update(inputs=inputs, post=post)
    return post


def posterior_ahead(inputs, seed: int):
    """A task that computes :func:`eval_posterior` of a run's validated ``inputs`` (an ``Inputs``) into the
    memo the analyzers read, so it can run on a thread before them; None when there are no votes, no class
    labels, or no eval probabilities yet (the proxy's come with the probabilities stage).

    Its inputs are the very objects the prepared data carries (eval, annotations, eval probabilities,
    classes, seed), so the analyzers' own calls find it in the memo: the same posterior, computed earlier.
    """
    from types import SimpleNamespace

    if inputs.task != "classification" or inputs.annotations is None or not inputs.annotations.height \
            or inputs.eval_probs is None:
        return None
    data = SimpleNamespace(eval=inputs.eval, annotations=inputs.annotations, eval_probs=inputs.eval_probs,
                           classes=inputs.classes, seed=seed)
    return lambda: eval_posterior(data)


def _eval_posterior(data, floor: float, min_votes_for_weight: int, noise: str) -> dict | None:
    import polars as pl

    if data.annotations is None or not data.annotations.height:
        return None
    ann = data.annotations.select(pl.col(c).cast(pl.Utf8) for c in ("id", "annotator", "label")).drop_nulls()
    ann = ann.unique(["id", "annotator"], keep="first", maintain_order=True)
    ids = data.eval.get_column("id").cast(pl.Utf8).to_list()
    wanted = {i: n for n, i in enumerate(ids)}
    on_eval = ann.filter(pl.col("id").is_in(list(wanted)))
    if not on_eval.height:
        return None
    extra = sorted({*on_eval.get_column("label").to_list(), *data.eval.get_column("label").drop_nulls().cast(pl.Utf8).to_list()}
                   - set(data.classes))
    classes = [*data.classes, *extra]
    counts = ann.group_by("annotator").len()
    busy = set(counts.filter(pl.col("len") >= min_votes_for_weight).get_column("annotator").to_list())
    accuracy = annotator_accuracy(ann)
    rel = {w: v for w, v in relative_reliability(accuracy, len(classes)).items() if w in busy}
    if RELIABILITY_PRIOR:  # shrink each annotator towards the pool (1) with that many pseudo-votes
        sizes = dict(counts.iter_rows())
        rel = {w: (sizes[w] * v + RELIABILITY_PRIOR) / (sizes[w] + RELIABILITY_PRIOR) for w, v in rel.items()}
    rows: list[list[tuple[str, str]]] = [[] for _ in ids]
    for item, who, label in on_eval.iter_rows():
        rows[wanted[item]].append((who, label))
    codes, weights = vote_arrays(rows, classes, rel)
    probs = None
    if data.eval_probs is not None:
        probs = np.zeros((len(ids), len(classes)))
        probs[:, : data.eval_probs.shape[1]] = data.eval_probs
    prior = smooth_prior(probs, len(ids), len(classes), floor)
    index = {c: n for n, c in enumerate(classes)}
    gold = np.array([index.get(g, -1) if g is not None else -1 for g in data.eval.get_column("label").cast(pl.Utf8).to_list()])
    mean = spread_mean(probs, gold, len(ids), len(classes))
    rows_noise, people = _table_noise(ann, rows, classes) if noise == "confusion" else (None, None)
    odds = _pair_odds(data, ann, accuracy, classes,
                      noise=None if people is None else (people, {c: n for n, c in enumerate(classes)}, rows_noise[1]))
    mixture = vote_mixture_fit(ann, len(classes))
    spread = fit_spread(prior, codes, weights, mean=mean, noise=rows_noise, seed=data.seed, **spread_grids(mixture))
    post = ambiguity_posterior(prior, codes, weights, gold, spread=spread, mean=mean, odds=odds, noise=rows_noise,
                               seed=data.seed)
    return {**post, "classes": classes, "codes": codes, "rel": weights, "prior": prior, "mean": mean, "gold": gold,
            "spread": spread, "odds": odds, "noise": rows_noise,
            "vote_mixture": np.array(mixture if mixture is not None else (np.nan, np.nan))}


def _table_noise(ann, rows: list, classes: list) -> tuple[tuple[np.ndarray, np.ndarray], dict]:
    """Class-conditional noise fitted on the whole annotation table: ``(each eval vote's annotator, rows)``
    and the annotator index."""
    index = {c: n for n, c in enumerate(classes)}
    kept = [(i, w, index[lab]) for i, w, lab in ann.iter_rows() if lab in index]
    items = {i: n for n, i in enumerate(dict.fromkeys(i for i, _, _ in kept))}
    people = {w: n for n, w in enumerate(dict.fromkeys(w for _, w, _ in kept))}
    item = np.array([items[i] for i, _, _ in kept], dtype=np.int64)
    who = np.array([people[w] for _, w, _ in kept], dtype=np.int64)
    label = np.array([c for _, _, c in kept], dtype=np.int64)
    matrices = noise_rows(item, who, label, (len(items), len(people), len(classes)))
    width = max([len(v) for v in rows] + [1])
    at = np.full((len(rows), width), -1, dtype=np.int64)
    for i, row in enumerate(rows):
        for j, (w, _) in enumerate(row):
            at[i, j] = people.get(w, -1)
    return (at, matrices), people


def _pair_odds(data, ann, accuracy: dict, classes: list, cap: float = 20.0, noise: tuple | None = None) -> np.ndarray:
    """Per eval row: how many times more often its gold and prediction are split across all annotated
    items than the annotators' error rates explain (one-coin null), from 1 (no more) to ``cap``."""
    seen, expected = pair_cross_votes(ann, accuracy, len(classes), noise)
    gold = data.eval.get_column("label").cast(str).to_list()
    pred = data.eval.get_column("prediction").cast(str).to_list() if "prediction" in data.eval.columns else gold
    out = np.ones(len(gold))
    for i, (g, p) in enumerate(zip(gold, pred)):
        key = frozenset((g, p))
        if g is not None and p is not None and g != p and expected.get(key, 0.0) > 0:
            out[i] = seen.get(key, 0) / expected[key]
    return np.clip(out, 1.0, cap)


def replay_reliability(data, post: dict) -> float:
    """How often a replayed voter names the item's class: the fitted pooled reliability, at most
    the reliability of the annotators' clear/split vote mixture (:func:`vote_mixture_fit`, kept in
    ``post["vote_mixture"]``).

    The fitted mixture can read plain annotator noise as items that spread a little around their
    class; replaying clear items at its reliability would then show fewer splits than noisy
    annotators make on clear items, and ordinary errors would look ambiguous. Plain agreement
    would go wrong the other way: it reads each split item as two mistakes.
    """
    fitted = float(post["spread"][1])
    mixture = np.asarray(post.get("vote_mixture", (np.nan, np.nan)), dtype=float)
    if data.annotations is None or not data.annotations.height or not np.isfinite(mixture).all():
        return fitted
    return float(min(fitted, mixture[0]))
