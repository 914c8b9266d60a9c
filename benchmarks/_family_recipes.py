"""Scenario families: fault recipes drawn at random from a seed, planted on real text, with ground truth.

Private helpers of :mod:`benchmarks.family`. A :class:`Recipe` is a pure
function of its seed (:func:`draw_recipe`); :func:`build_draw` plants it on a
pool of labelled texts (one dataset, train and test splits pooled) and
returns the user's frames plus the truth. The same recipe and pool give the
same frames.

Truth per eval error (given gold != prediction), the planted causes that
plausibly produced it:

* ``coverage_gap``: its true class was withheld from training;
* ``noisy_label``: its eval gold was flipped, or planted training flips moved
  at least ``MIN_FLIP_SHARE`` (and at least 2 rows) of its true class's
  training rows to the predicted label;
* ``annotator_inconsistency``: it is an ambiguous item (votes drawn from a
  planted split between classes A and B), its votes are in the annotations,
  and its gold and prediction both lie in {A, B};
* nothing ("natural" error) otherwise.

With ``counterfactual=True`` the training side of ``noisy_label`` is read by
counterfactual instead: the planted training flips caused an error when the
same model trained on the labels without them gets the row right.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from benchmarks._data import data_dir

DATASETS = ("banking77", "clinc150", "trec", "sst")
#: classes kept per draw (inclusive range); TREC and SST keep their whole label set
CLASS_RANGE = {"banking77": (40, 77), "clinc150": (40, 150), "trec": (6, 6), "sst": (5, 5)}
TRAIN_CAP = 3000       # training rows per draw at most (keeps one diagnose run short)
EVAL_CAP = 3000        # eval rows per draw at most (the drawn size is 500-5000)
NO_FAULT_BLOCK = 2     # a draw is no-fault when (seed // 4) % 6 == NO_FAULT_BLOCK: 1 in 6 seeds
MIN_FLIP_SHARE = 0.05  # a (true -> pred) training flip share counts as a cause from here on
NEAR_DUP_COS = 0.5     # a training row with a same-class row at least this similar has a near-duplicate
SST_NAMES = ("very_negative", "negative", "neutral", "positive", "very_positive")


@dataclass(frozen=True)
class Recipe:
    """One draw of the fault space; every field comes from :func:`draw_recipe`."""

    seed: int
    dataset: str
    no_fault: bool
    n_classes: int
    withheld_share: float      # share of kept classes withheld from training
    noise_rate: float          # share of rows whose label is flipped (on each side it sits)
    noise_kind: str            # uniform | pair | near_dup
    noise_where: str           # train | eval | both
    votes_per_item: int        # 0: no annotations in this draw
    n_annotators: int
    accuracy_high: float       # annotator accuracies are uniform in [high - spread, high]
    accuracy_spread: float
    annotated_train_share: float
    annotated_eval_share: float
    split_share: float         # share of items whose annotators split between two classes
    overlap: float             # how often planting aims at rows that already carry another cause
    zipf: float                # class imbalance exponent (0: the dataset's own balance)
    eval_size: int             # drawn eval size, before EVAL_CAP

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, eq=False)
class Draw:
    """A planted draw: the user's frames and the truth."""

    recipe: Recipe
    train: pl.DataFrame        # id, text, label (given)
    eval: pl.DataFrame         # id, text, label (given gold), prediction, prob_<class>...
    annotations: pl.DataFrame  # id, annotator, label (may be empty)
    truth: pl.DataFrame        # id, true_label, gold_flipped, planted (list of causes)
    classes: tuple[str, ...]
    info: dict[str, Any] = field(default_factory=dict)


# ----------------------------------------------------------------- recipes
def is_no_fault_seed(seed: int) -> bool:
    """1 in 6 seeds, in blocks of 4 consecutive seeds (one per dataset)."""
    return (seed // 4) % 6 == NO_FAULT_BLOCK


def draw_recipe(seed: int, *, no_fault: bool | None = None, datasets: tuple[str, ...] = DATASETS,
                class_range: dict[str, tuple[int, int]] | None = None) -> Recipe:
    """Draw one recipe; ``no_fault`` None follows :func:`is_no_fault_seed`, True/False forces it.

    Every value is drawn in the same order whether or not the draw is no-fault,
    so a forced no-fault recipe keeps the seed's dataset, sizes and annotators.
    """
    rng = np.random.default_rng([seed, 14])
    dataset = datasets[seed % len(datasets)]
    lo, hi = (class_range or CLASS_RANGE)[dataset]
    votes = int(rng.integers(1, 6))
    recipe = Recipe(
        seed=seed, dataset=dataset, no_fault=is_no_fault_seed(seed) if no_fault is None else no_fault,
        n_classes=int(rng.integers(lo, hi + 1)),
        withheld_share=round(float(rng.uniform(0.0, 0.30)), 3),
        noise_rate=round(float(rng.uniform(0.0, 0.25)), 3),
        noise_kind=str(rng.choice(["uniform", "pair", "near_dup"])),
        noise_where=str(rng.choice(["train", "eval", "both"])),
        votes_per_item=0 if rng.random() < 0.25 else votes,
        n_annotators=int(rng.integers(max(votes, 3), 11)),
        accuracy_high=round(float(rng.uniform(0.85, 0.98)), 3),
        accuracy_spread=round(float(rng.uniform(0.0, 0.4)), 3),
        annotated_train_share=round(float(rng.uniform(0.1, 0.5)), 3),
        annotated_eval_share=round(float(rng.uniform(0.3, 1.0)), 3),
        split_share=round(float(rng.uniform(0.0, 0.15)), 3),
        overlap=round(float(rng.uniform(0.0, 0.5)), 3),
        zipf=0.0 if rng.random() < 0.4 else round(float(rng.uniform(0.3, 1.2)), 3),
        eval_size=int(rng.integers(500, 5001)),
    )
    if recipe.votes_per_item == 0:
        recipe = replace(recipe, split_share=0.0)
    if recipe.no_fault:
        recipe = replace(recipe, withheld_share=0.0, noise_rate=0.0, split_share=0.0, overlap=0.0)
    return recipe


# ----------------------------------------------------------------- loading
def load_pool(dataset: str, root: Path | None = None) -> pl.DataFrame:
    """All labelled rows of a dataset (its splits pooled), ``text`` and ``label``, one row per text."""
    root = root or data_dir()
    if dataset == "banking77":
        frames = [pl.read_csv(root / "banking77" / f).rename({"category": "label"}) for f in ("train.csv", "test.csv")]
    elif dataset == "clinc150":
        data = json.loads((root / "clinc150" / "data_full.json").read_text())
        frames = [pl.DataFrame(data[k], schema=["text", "label"], orient="row") for k in ("train", "val", "test")]
    elif dataset == "trec":  # coarse classes; the train file is latin-1
        lines = [ln for f in ("TREC.train.txt", "TREC.test.txt")
                 for ln in (root / "trec" / f).read_text(encoding="latin-1").splitlines() if ln.strip()]
        frames = [pl.DataFrame({"label": [ln.split(":", 1)[0] for ln in lines],
                                "text": [ln.split(" ", 1)[1] for ln in lines]})]
    elif dataset == "sst":  # fine-grained, five classes
        lines = [ln for f in ("train", "dev", "test")
                 for ln in (root / "sst" / f"stsa.fine.{f}.txt").read_text(encoding="utf-8").splitlines() if ln.strip()]
        frames = [pl.DataFrame({"label": [SST_NAMES[int(ln[0])] for ln in lines], "text": [ln[2:] for ln in lines]})]
    else:
        raise ValueError(f"dataset={dataset!r} is not known; expected one of {list(DATASETS)}.")
    pool = pl.concat([f.select("text", "label") for f in frames])
    clash = pool.group_by("text").agg(pl.col("label").n_unique().alias("n")).filter(pl.col("n") > 1)["text"]
    return pool.filter(~pl.col("text").is_in(clash.implode())).unique("text", keep="first", maintain_order=True)


# ------------------------------------------------------------------ sizing
def _split_rows(recipe: Recipe, pool: pl.DataFrame, rng: np.random.Generator,
                train_cap: int, eval_cap: int) -> tuple[pl.DataFrame, pl.DataFrame, tuple[str, ...]]:
    """Pick the kept classes and split their rows into eval and train, Zipf-weighted per class."""
    every = sorted(pool["label"].unique().to_list())
    keep = sorted(str(c) for c in rng.choice(every, min(recipe.n_classes, len(every)), replace=False))
    pool = pool.filter(pl.col("label").is_in(keep))
    pool = pool.with_columns(_r=pl.Series(rng.permutation(pool.height))).sort("_r").drop("_r")
    avail = pool.group_by("label").len().sort("label")
    n_avail = dict(zip(avail["label"], avail["len"]))
    rank = {c: r for r, c in enumerate(rng.permutation(keep))}
    weight = {c: (rank[c] + 1.0) ** -recipe.zipf * n_avail[c] for c in keep}
    total = sum(weight.values())
    n_eval = min(recipe.eval_size, eval_cap, pool.height // 2)
    e = {c: int(min(n_avail[c] // 2, max(2, round(n_eval * weight[c] / total)))) for c in keep}
    t = {c: int(min(n_avail[c] - e[c], max(5, round(train_cap * weight[c] / total)))) for c in keep}
    pool = pool.with_columns(_k=pl.int_range(pl.len()).over("label"))
    limit = lambda d: pl.col("label").replace_strict(d, return_dtype=pl.Int64)
    evals = pool.filter(pl.col("_k") < limit(e)).drop("_k")
    train = pool.filter((pl.col("_k") >= limit(e)) & (pl.col("_k") < limit(e) + limit(t))).drop("_k")
    with_ids = lambda f, p: f.select(pl.Series("id", [f"{p}-{i:05d}" for i in range(1, f.height + 1)]), pl.all())
    return with_ids(train, "tr"), with_ids(evals, "ev"), tuple(keep)


# ---------------------------------------------------------------- planting
@dataclass(frozen=True, eq=False)
class Geometry:
    """TF-IDF views of the draw's rows that the planting reads (confusable classes, near-duplicates)."""

    x_train: Any                 # L2-normalised TF-IDF rows (scipy sparse)
    x_eval: Any
    centroid: dict[str, np.ndarray]
    nearest_class: dict[str, str]   # each class -> its most similar other seen class
    dup_sim: np.ndarray          # per train row: cosine to its closest same-class train row
    dup_idx: np.ndarray          # ... and that row's index
    other_train: np.ndarray      # per train row: label of its closest other-class train row
    other_eval: np.ndarray       # per eval row: label of its closest train row of another class

    @classmethod
    def of(cls, train: pl.DataFrame, evals: pl.DataFrame, seen: list[str]) -> Geometry:
        from sklearn.feature_extraction.text import TfidfVectorizer

        vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(train["text"].to_list() + evals["text"].to_list())
        x_tr, x_ev = vec.transform(train["text"].to_list()), vec.transform(evals["text"].to_list())
        y_tr, y_ev = train["label"].to_numpy(), evals["label"].to_numpy()
        centroid = {}
        for c in sorted(set(y_ev) | set(seen)):
            rows = x_tr[y_tr == c] if c in seen else x_ev[y_ev == c]
            m = np.asarray(rows.mean(axis=0)).ravel()
            centroid[c] = m / max(np.linalg.norm(m), 1e-12)
        nearest = {c: max((s for s in seen if s != c), key=lambda s: float(centroid[c] @ centroid[s]))
                   for c in centroid if len(seen) > 1}
        sim_tr = (x_tr @ x_tr.T).toarray()
        np.fill_diagonal(sim_tr, -1.0)
        same = y_tr[:, None] == y_tr[None, :]
        dup_idx = np.where(same, sim_tr, -1.0).argmax(axis=1)
        dup_sim = sim_tr[np.arange(len(y_tr)), dup_idx]
        other_tr = y_tr[np.where(same, -1.0, sim_tr).argmax(axis=1)]
        sim_ev = (x_ev @ x_tr.T).toarray()
        other_ev = y_tr[np.where(y_ev[:, None] == y_tr[None, :], -1.0, sim_ev).argmax(axis=1)]
        return cls(x_tr, x_ev, centroid, nearest, dup_sim, dup_idx, other_tr, other_ev)

    def lean(self, x: Any, a: str, b: str) -> np.ndarray:
        """How much each row of ``x`` leans from class ``a`` towards class ``b``."""
        return np.asarray(x @ (self.centroid[b] - self.centroid[a])).ravel()


def _sits(recipe: Recipe, side: str) -> bool:
    return recipe.noise_rate > 0 and recipe.noise_where in (side, "both")


def noise_pairs(recipe: Recipe, geo: Geometry, seen: list[str],
                rng: np.random.Generator) -> tuple[list[tuple[str, str]], float]:
    """Class pairs A -> B (B: A's most similar class) and the share of A's rows flipped, for pair noise."""
    share = round(float(rng.uniform(0.2, 0.45)), 3)
    if recipe.noise_kind != "pair" or recipe.noise_rate == 0 or len(seen) < 2:
        return [], 0.0
    m = int(min(max(1, round(recipe.noise_rate * len(seen) / share)), max(1, len(seen) // 2)))
    return [(str(a), geo.nearest_class[str(a)]) for a in rng.choice(seen, m, replace=False)], share


def ambiguous_items(recipe: Recipe, geo: Geometry, true_tr: np.ndarray, true_ev: np.ndarray, seen: list[str],
                    pairs: list[tuple[str, str]], rng: np.random.Generator):
    """Items whose annotators split between A and B: the rows of A that lean most towards B.

    Returns per train row and per eval row the index of its split pair (-1:
    not ambiguous), and the split pairs. With probability ``overlap`` a split
    reuses a noise pair (its A rows are then both flipped and split).
    """
    amb_tr, amb_ev = np.full(len(true_tr), -1), np.full(len(true_ev), -1)
    splits: list[tuple[str, str]] = []
    goal = recipe.split_share * (len(true_tr) + len(true_ev))
    order = [str(c) for c in rng.permutation(seen)]
    reuse = [a for a, _ in pairs]
    while len(seen) > 1 and (amb_tr >= 0).sum() + (amb_ev >= 0).sum() < goal and order:
        a = reuse.pop(0) if reuse and rng.random() < recipe.overlap else order[0]
        order = [c for c in order if c != a]
        reuse = [c for c in reuse if c != a]
        b, q = geo.nearest_class[a], float(rng.uniform(0.3, 0.7))
        for amb, x, true in ((amb_tr, geo.x_train, true_tr), (amb_ev, geo.x_eval, true_ev)):
            rows = np.flatnonzero(true == a)
            top = rows[np.argsort(-geo.lean(x[rows], a, b), kind="stable")[: round(q * len(rows))]]
            amb[top] = len(splits)
        splits.append((a, b))
    return amb_tr, amb_ev, splits


def plant_train(recipe: Recipe, geo: Geometry, true: np.ndarray, amb: np.ndarray, seen: list[str],
                pair_plan: tuple[list[tuple[str, str]], float], splits: list[tuple[str, str]],
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Given training labels and which of them are planted flips.

    Ambiguous rows take A or B at random (a random annotator's reading; not a
    planted flip). Flips touch only the other rows and go to seen classes.
    """
    given = true.copy()
    for i in np.flatnonzero(amb >= 0):
        given[i] = splits[amb[i]][int(rng.integers(2))]
    flipped = np.zeros(len(true), dtype=bool)
    if not _sits(recipe, "train"):
        return given, flipped
    free = amb < 0
    n = round(recipe.noise_rate * len(true))
    if recipe.noise_kind == "uniform":
        for i in rng.choice(np.flatnonzero(free), min(n, int(free.sum())), replace=False):
            given[i] = rng.choice([c for c in seen if c != true[i]])
            flipped[i] = True
    elif recipe.noise_kind == "pair":
        pairs, share = pair_plan
        for a, b in pairs:
            rows = np.flatnonzero(free & (true == a))
            flipped[rng.choice(rows, round(share * len(rows)), replace=False)] = True
            given[flipped & (true == a)] = b
    else:  # near_dup: rows with a near-duplicate that keeps the true label, to their closest other class
        kept = np.zeros(len(true), dtype=bool)
        for i in np.argsort(-geo.dup_sim, kind="stable"):
            if flipped.sum() >= n or geo.dup_sim[i] < NEAR_DUP_COS:
                break
            if free[i] and not kept[i] and not flipped[geo.dup_idx[i]] and geo.other_train[i] != true[i]:
                flipped[i], kept[geo.dup_idx[i]] = True, True
                given[i] = geo.other_train[i]
    return given, flipped


def plant_eval(recipe: Recipe, geo: Geometry, true: np.ndarray, busy: np.ndarray, classes: tuple[str, ...],
               pairs: list[tuple[str, str]], rng: np.random.Generator) -> np.ndarray:
    """Given eval golds: a ``noise_rate`` share flipped, ``overlap`` of them on rows that carry another cause."""
    given = true.copy()
    if not _sits(recipe, "eval"):
        return given
    n = round(recipe.noise_rate * len(true))
    n_busy = min(round(recipe.overlap * n), int(busy.sum()))
    rows = np.concatenate([rng.choice(np.flatnonzero(busy), n_busy, replace=False),
                           rng.choice(np.flatnonzero(~busy), min(n - n_busy, int((~busy).sum())), replace=False)])
    target = dict(pairs)
    for i in rows.astype(int):
        if recipe.noise_kind == "uniform" or true[i] not in geo.nearest_class:
            given[i] = rng.choice([c for c in classes if c != true[i]])
        elif recipe.noise_kind == "pair":
            given[i] = target.get(true[i], geo.nearest_class[true[i]])
        else:
            given[i] = geo.other_eval[i]
    return given


def cast_votes(recipe: Recipe, ids_tr: list[str], ids_ev: list[str], true_tr: np.ndarray, true_ev: np.ndarray,
               amb_tr: np.ndarray, amb_ev: np.ndarray, splits: list[tuple[str, str]], classes: tuple[str, ...],
               rng: np.random.Generator) -> tuple[pl.DataFrame, np.ndarray]:
    """Votes on a random subset of train and eval rows; returns them and which eval rows got votes."""
    names = [f"ann-{k:02d}" for k in range(1, recipe.n_annotators + 1)]
    acc = rng.uniform(recipe.accuracy_high - recipe.accuracy_spread, recipe.accuracy_high, len(names))
    rows: list[tuple[str, str, str]] = []
    shown_ev = np.zeros(len(ids_ev), dtype=bool)
    if recipe.votes_per_item == 0:
        return pl.DataFrame(rows, schema={"id": pl.String, "annotator": pl.String, "label": pl.String}, orient="row"), shown_ev
    for ids, true, amb, share, shown in ((ids_tr, true_tr, amb_tr, recipe.annotated_train_share, None),
                                          (ids_ev, true_ev, amb_ev, recipe.annotated_eval_share, shown_ev)):
        picked = np.sort(rng.choice(len(ids), round(share * len(ids)), replace=False))
        if shown is not None:
            shown[picked] = True
        for i in picked:
            for j in rng.choice(len(names), recipe.votes_per_item, replace=False):
                meant = splits[amb[i]][int(rng.integers(2))] if amb[i] >= 0 else true[i]
                if rng.random() > acc[j]:
                    meant = rng.choice([c for c in classes if c != meant])
                rows.append((ids[i], names[j], str(meant)))
    return pl.DataFrame(rows, schema={"id": pl.String, "annotator": pl.String, "label": pl.String}, orient="row"), shown_ev


# ------------------------------------------------------------------- truth
def flip_shares(true: np.ndarray, given: np.ndarray, flipped: np.ndarray) -> dict[tuple[str, str], float]:
    """Share of each true class's training rows flipped to each label (pairs with at least 2 rows)."""
    sizes = dict(zip(*np.unique(true, return_counts=True)))
    pairs, counts = np.unique(np.stack([true[flipped], given[flipped]], axis=1).astype(str), axis=0, return_counts=True) \
        if flipped.any() else (np.empty((0, 2)), np.empty(0))
    return {(str(t), str(g)): c / sizes[t] for (t, g), c in zip(pairs, counts) if c >= 2}


def planted_causes(true: str, gold: str, pred: str, withheld: set[str], flip_share: dict[tuple[str, str], float],
                   split: tuple[str, str] | None) -> list[str]:
    """The planted causes that plausibly produced one eval row's error (empty when it is correct)."""
    if gold == pred:
        return []
    causes = []
    if true in withheld:
        causes.append("coverage_gap")
    if gold != true or flip_share.get((true, pred), 0.0) >= MIN_FLIP_SHARE:
        causes.append("noisy_label")
    if split is not None and {gold, pred} <= set(split):
        causes.append("annotator_inconsistency")
    return sorted(causes)


# --------------------------------------------------------------- building
def counterfactual_causes(planted: list[str], true: str, gold: str, pred: str, clean_pred: str) -> list[str]:
    """``planted`` with the training side of ``noisy_label`` read by counterfactual: an error is caused by
    the planted training flips when the same model trained on the labels without them gets it right
    (its eval gold being flipped still counts)."""
    causes = [c for c in planted if c != "noisy_label"]
    if gold != pred and (gold != true or (pred != true and clean_pred == true)):
        causes.append("noisy_label")
    return sorted(causes)


def build_draw(recipe: Recipe, pool: pl.DataFrame, *, train_cap: int = TRAIN_CAP, eval_cap: int = EVAL_CAP,
               fit_predict=None, counterfactual: bool = False) -> Draw:
    """Plant ``recipe`` on ``pool`` (``text``, ``label``), train the user's model, record the truth.

    ``fit_predict(train, eval, classes, seed=...)`` defaults to
    :func:`benchmarks.scenarios.fit_predict` (TF-IDF + logistic regression).
    """
    if fit_predict is None:
        from benchmarks.scenarios import fit_predict
    rng = np.random.default_rng([recipe.seed, 1])
    train, evals, classes = _split_rows(recipe, pool, rng, train_cap, eval_cap)
    n_held = round(recipe.withheld_share * len(classes))
    withheld = sorted(str(c) for c in rng.choice(classes, n_held, replace=False)) if n_held else []
    train = train.filter(~pl.col("label").is_in(withheld))
    seen = [c for c in classes if c not in withheld]
    geo = Geometry.of(train, evals, seen)
    true_tr, true_ev = train["label"].to_numpy().astype(object), evals["label"].to_numpy().astype(object)
    pairs, pair_share = noise_pairs(recipe, geo, seen, rng)
    amb_tr, amb_ev, splits = ambiguous_items(recipe, geo, true_tr, true_ev, seen, pairs, rng)
    given_tr, flipped_tr = plant_train(recipe, geo, true_tr, amb_tr, seen, (pairs, pair_share), splits, rng)
    busy = np.isin(true_ev, withheld) | (amb_ev >= 0)
    given_ev = plant_eval(recipe, geo, true_ev, busy, classes, pairs, rng)
    annotations, shown_ev = cast_votes(recipe, train["id"].to_list(), evals["id"].to_list(), true_tr, true_ev,
                                     amb_tr, amb_ev, splits, classes, rng)
    noisy_train = train.with_columns(label=pl.Series(given_tr.tolist(), dtype=pl.String))
    scored = fit_predict(noisy_train, evals, classes, seed=recipe.seed)
    eval_frame = pl.concat([evals.with_columns(label=pl.Series(given_ev.tolist(), dtype=pl.String)), scored],
                           how="horizontal")
    flip_share = flip_shares(true_tr, given_tr, flipped_tr)
    planted = [planted_causes(t, g, p, set(withheld), flip_share, splits[a] if a >= 0 and s else None)
               for t, g, p, a, s in zip(true_ev, given_ev, scored["prediction"].to_list(), amb_ev, shown_ev)]
    if counterfactual:  # the same model on the training labels without the planted flips
        clean = scored["prediction"].to_list() if not flipped_tr.any() else fit_predict(
            train.with_columns(label=pl.Series(np.where(flipped_tr, true_tr, given_tr).tolist(), dtype=pl.String)),
            evals, classes, seed=recipe.seed)["prediction"].to_list()
        planted = [counterfactual_causes(c, t, g, p, q) for c, t, g, p, q in
                   zip(planted, true_ev, given_ev, scored["prediction"].to_list(), clean)]
    truth = pl.DataFrame({"id": evals["id"], "true_label": true_ev.tolist(), "gold_flipped": (given_ev != true_ev).tolist(),
                          "planted": planted}, schema_overrides={"planted": pl.List(pl.String), "true_label": pl.String})
    info = {"classes": len(classes), "withheld": withheld, "noise_pairs": [list(p) for p in pairs],
            "pair_flip_share": pair_share, "split_pairs": [list(p) for p in splits], "n_train": train.height, "n_eval": evals.height,
            "train_flipped": int(flipped_tr.sum()), "eval_flipped": int((given_ev != true_ev).sum()),
            "ambiguous_train": int((amb_tr >= 0).sum()), "ambiguous_eval": int((amb_ev >= 0).sum()),
            "n_votes": annotations.height}
    return Draw(recipe, noisy_train, eval_frame, annotations, truth, classes, info)
