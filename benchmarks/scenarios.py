"""Planted-fault scenarios on real text, with ground truth, for benchmarks.

Every builder is a pure, seeded function: the same arguments give the same
frames. Intent scenarios take real queries (BANKING77 or CLINC150), plant
known faults (held-out intents, flipped training labels, wrong eval golds,
annotators who split between two intents), train the "user's model"
(TF-IDF + logistic regression) on the noisy training table and record its
predictions and class probabilities. The RAG scenario takes RAMDocs questions
and simulates a model that repeats misinformation or picks another entity's
answer when its passages conflict.

Ground truth per eval row is ``planted``: the causes that plausibly produced
that row's error (empty for correct rows and for "natural" errors).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

SHARED_DIR = Path("/work/shared/data")
N_ANNOTATORS = 8
SPAMMER = "ann-08"
VOTES_PER_ITEM = 3
HELDOUT_EPS = 1e-6


@dataclass(frozen=True, eq=False)
class Scenario:
    """An intent-classification scenario with planted faults.

    Attributes
    ----------
    train : polars.DataFrame
        ``id``, ``text``, ``label`` (the given, possibly corrupted label).
    eval : polars.DataFrame
        ``id``, ``text``, ``label`` (given gold; null for production rows),
        ``prediction`` and one ``prob_<class>`` column per class of
        ``classes``, in that order; each row sums to 1.
    annotations : polars.DataFrame
        Long table ``id``, ``annotator``, ``label`` over train and eval ids.
    truth : polars.DataFrame
        One row per eval id: ``id``, ``planted`` (list of cause names, empty
        when nothing planted), ``true_label``.
    train_truth : polars.DataFrame
        ``id``, ``true_label``, ``given_label``, ``flipped``.
    classes : tuple of str
        The sorted label set (held-out classes included).
    plants : dict
        Which classes play which role, and the shares used.
    """

    train: pl.DataFrame
    eval: pl.DataFrame
    annotations: pl.DataFrame
    truth: pl.DataFrame
    train_truth: pl.DataFrame
    classes: tuple[str, ...] = ()
    plants: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class RagScenario:
    """A generative-QA scenario over RAMDocs with simulated model answers.

    Attributes
    ----------
    eval : polars.DataFrame
        ``id``, ``text`` (question), ``label`` (one gold answer),
        ``prediction`` (simulated model answer).
    contexts : polars.DataFrame
        ``id``, ``passage_id``, ``passage``.
    truth : polars.DataFrame
        ``id``, ``planted`` (list of cause names), ``has_conflict``.
    passage_truth : polars.DataFrame
        ``passage_id``, ``type`` (correct, misinfo, noise), ``answer``.
    """

    eval: pl.DataFrame
    contexts: pl.DataFrame
    truth: pl.DataFrame
    passage_truth: pl.DataFrame


# ----------------------------------------------------------------- loading
def load_intents(source: str, *, shared_dir: Path = SHARED_DIR) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Read the train and test splits of an intent dataset.

    Parameters
    ----------
    source : {"banking77", "clinc150"}
        Which dataset. CLINC150's out-of-scope rows are left out.
    shared_dir : Path
        Folder holding the dataset folders.

    Returns
    -------
    tuple of polars.DataFrame
        ``(train, test)``, each with columns ``text`` and ``label``.
    """
    if source == "banking77":
        read = lambda name: pl.read_csv(shared_dir / "banking77" / name).rename({"category": "label"})
        return read("train.csv"), read("test.csv")
    if source == "clinc150":
        data = _clinc_json(shared_dir)
        frame = lambda key: pl.DataFrame(data[key], schema=["text", "label"], orient="row")
        return frame("train"), frame("test")
    raise ValueError(f"source={source!r} is not known; expected 'banking77' or 'clinc150'.")


def _clinc_json(shared_dir: Path) -> dict[str, Any]:
    return json.loads((shared_dir / "clinc150" / "data_full.json").read_text())


def _sample_per_class(frame: pl.DataFrame, n: int | None, rng: np.random.Generator) -> pl.DataFrame:
    """Up to ``n`` random rows per label (all when ``n`` is None), shuffled."""
    shuffled = frame.with_columns(_r=pl.Series(rng.permutation(frame.height))).sort("_r")
    if n is not None:
        shuffled = shuffled.group_by("label", maintain_order=True).head(n).sort("_r")
    return shuffled.drop("_r")


def _with_ids(frame: pl.DataFrame, prefix: str) -> pl.DataFrame:
    ids = [f"{prefix}-{i:05d}" for i in range(1, frame.height + 1)]
    return frame.select(pl.Series("id", ids), pl.all())


# ------------------------------------------------------------------- model
def fit_predict(train: pl.DataFrame, queries: pl.DataFrame, classes: tuple[str, ...], *, seed: int = 0) -> pl.DataFrame:
    """Train TF-IDF + logistic regression and predict ``queries``.

    Classes absent from ``train`` get a probability of about ``1e-6`` before
    each row is renormalised to sum to 1.

    Parameters
    ----------
    train : polars.DataFrame
        ``text`` and ``label``.
    queries : polars.DataFrame
        ``text``.
    classes : tuple of str
        Full label set; one ``prob_<class>`` column per class, in order.
    seed : int
        Random state of the classifier.

    Returns
    -------
    polars.DataFrame
        ``prediction`` and the ``prob_<class>`` columns, one row per query.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    features = vectorizer.fit_transform(train["text"].to_list())
    model = LogisticRegression(C=10.0, solver="saga", tol=1e-3, max_iter=300, random_state=seed)
    model.fit(features, train["label"].to_numpy())
    seen = model.predict_proba(vectorizer.transform(queries["text"].to_list()))
    column = {c: j for j, c in enumerate(classes)}
    probs = np.full((queries.height, len(classes)), HELDOUT_EPS)
    probs[:, [column[c] for c in model.classes_]] = seen
    probs /= probs.sum(axis=1, keepdims=True)
    prediction = np.asarray(classes)[probs.argmax(axis=1)]
    cols = {f"prob_{c}": probs[:, j] for j, c in enumerate(classes)}
    return pl.DataFrame({"prediction": prediction, **cols})


# ------------------------------------------------------------- annotators
def _annotator_accuracy(rng: np.random.Generator) -> dict[str, float]:
    """Accuracy per annotator; the spammer answers at random (``nan``)."""
    names = [f"ann-{k:02d}" for k in range(1, N_ANNOTATORS + 1)]
    acc = {name: float(rng.uniform(0.86, 0.95)) for name in names}
    acc[SPAMMER] = float("nan")
    return acc


def _votes(true: np.ndarray, classes: tuple[str, ...], split_to: dict[str, str], p_split: float,
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


def _votes_frame(ids: list[str], votes: np.ndarray) -> pl.DataFrame:
    return pl.DataFrame({
        "id": np.repeat(ids, VOTES_PER_ITEM).tolist(),
        "annotator": votes[:, :, 0].ravel().tolist(),
        "label": votes[:, :, 1].ravel().tolist(),
    })


# ----------------------------------------------------------------- planting
def _roles(classes: tuple[str, ...], strength: float, rng: np.random.Generator) -> dict[str, Any]:
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


def _plant_train(true: np.ndarray, votes: np.ndarray, roles: dict[str, Any], pool: list[str],
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


def _plant_eval_gold(true: np.ndarray, roles: dict[str, Any], pool: list[str],
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


def _planted(true: str, given: str | None, pred: str, roles: dict[str, Any]) -> list[str]:
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


# --------------------------------------------------------- intent scenarios
def make_intent_scenario(source: str = "banking77", *, seed: int = 0, strength: float = 1.0,
                         n_classes: int | None = None, train_per_class: int | None = None,
                         eval_per_class: int | None = None, shared_dir: Path = SHARED_DIR) -> Scenario:
    """Intent classification on real queries with every intent fault planted.

    Plants held-out intents (coverage_gap), flipped class pairs A->B plus a
    small uniform share of flipped training labels (noisy_label), wrong eval
    golds (noisy_label), class pairs whose annotators split 50/50
    (annotator_inconsistency), and two kinds of double causes: a split class
    whose training labels were also flipped, and split-class eval rows whose
    gold is wrong.

    Parameters
    ----------
    source : {"banking77", "clinc150"}
        Dataset the texts come from.
    seed : int
        Seed of every random choice (classes, rows, votes, model).
    strength : float
        Scales the planted shares; 0 plants nothing.
    n_classes, train_per_class, eval_per_class : int, optional
        Subsample the label set and the rows per class (all when None).
    shared_dir : Path
        Folder holding the dataset folders.

    Returns
    -------
    Scenario
    """
    rng = np.random.default_rng(seed)
    train_src, test_src = load_intents(source, shared_dir=shared_dir)
    classes = tuple(sorted(train_src["label"].unique()))
    if n_classes is not None:
        classes = tuple(sorted(str(c) for c in rng.choice(classes, n_classes, replace=False)))
    roles = _roles(classes, strength, rng)
    keep = lambda f: f.filter(pl.col("label").is_in(classes))
    train = _with_ids(_sample_per_class(keep(train_src).filter(~pl.col("label").is_in(roles["heldout"])),
                                        train_per_class, rng), "tr")
    evals = _with_ids(_sample_per_class(keep(test_src), eval_per_class, rng), "ev")
    return _build_intent(train, evals, classes, roles, rng, seed)


def _build_intent(train: pl.DataFrame, evals: pl.DataFrame, classes: tuple[str, ...],
                  roles: dict[str, Any], rng: np.random.Generator, seed: int) -> Scenario:
    """Plant votes and labels on sampled frames, train the model, assemble."""
    pool = [c for c in classes if c not in roles["heldout"]]
    split_to = dict(roles["split_pairs"])
    accuracy = _annotator_accuracy(rng)
    true_tr, true_ev = train["label"].to_numpy(), evals["label"].to_numpy()
    votes_tr = _votes(true_tr, classes, split_to, roles["split_share"], accuracy, rng)
    votes_ev = _votes(true_ev, classes, split_to, roles["split_share"], accuracy, rng)
    given_tr = _plant_train(true_tr, votes_tr, roles, pool, rng)
    given_ev = _plant_eval_gold(true_ev, roles, pool, rng)
    noisy_train = train.with_columns(label=pl.Series(given_tr.tolist()))
    scored = fit_predict(noisy_train, evals, classes, seed=seed)
    eval_frame = pl.concat([evals.with_columns(label=pl.Series(given_ev.tolist())), scored], how="horizontal")
    shown = np.sort(rng.choice(train.height, round(0.3 * train.height), replace=False))
    annotations = pl.concat([_votes_frame(train["id"].to_list(), votes_tr)
                             .filter(pl.col("id").is_in(train["id"].gather(shown).to_list())),
                             _votes_frame(evals["id"].to_list(), votes_ev)])
    planted = [_planted(t, g, p, roles) for t, g, p in zip(true_ev, given_ev, scored["prediction"])]
    truth = pl.DataFrame({"id": evals["id"], "planted": planted, "true_label": true_ev},
                         schema_overrides={"planted": pl.List(pl.String)})
    train_truth = pl.DataFrame({"id": train["id"], "true_label": true_tr, "given_label": given_tr,
                                "flipped": given_tr != true_tr})
    reliable = {k: round(v, 3) for k, v in accuracy.items() if k != SPAMMER}
    plants = {**roles, "annotator_accuracy": reliable, "spammer": SPAMMER}
    return Scenario(noisy_train, eval_frame, annotations, truth, train_truth, classes, plants)


def _plain_scenario(train: pl.DataFrame, evals: pl.DataFrame, classes: tuple[str, ...],
                    planted: list[list[str]], true_labels: list[str], seed: int) -> Scenario:
    """Assemble a scenario without label faults: clean train, no annotations."""
    scored = fit_predict(train, evals, classes, seed=seed)
    eval_frame = pl.concat([evals, scored], how="horizontal")
    truth = pl.DataFrame({"id": evals["id"], "planted": planted, "true_label": true_labels},
                         schema_overrides={"planted": pl.List(pl.String)})
    train_truth = train.select("id", true_label="label", given_label="label", flipped=pl.lit(False))
    annotations = pl.DataFrame(schema={"id": pl.String, "annotator": pl.String, "label": pl.String})
    return Scenario(train, eval_frame, annotations, truth, train_truth, classes)


def make_clinc_oos(seed: int = 0, n_in: int = 1000, n_oos: int = 300, *, train_per_class: int | None = None,
                   shared_dir: Path = SHARED_DIR) -> Scenario:
    """CLINC150 in-scope test queries mixed with out-of-scope ones.

    Train is the in-scope training split (150 intents). Out-of-scope eval
    rows are production traffic: ``label`` is null, ``true_label`` is
    ``"oos"`` and ``planted`` is ``["coverage_gap"]``. In-scope rows keep
    their gold label and ``planted=[]``.

    Parameters
    ----------
    seed : int
        Seed of the row sampling and the model.
    n_in, n_oos : int
        How many in-scope and out-of-scope test queries to draw.
    train_per_class : int, optional
        Subsample training rows per intent (all 100 when None).
    shared_dir : Path
        Folder holding the dataset folders.

    Returns
    -------
    Scenario
    """
    rng = np.random.default_rng(seed)
    data = _clinc_json(shared_dir)
    train_src, test_src = load_intents("clinc150", shared_dir=shared_dir)
    classes = tuple(sorted(train_src["label"].unique()))
    train = _with_ids(_sample_per_class(train_src, train_per_class, rng), "tr")
    inscope = test_src.sample(n_in, seed=seed)
    oos = pl.DataFrame(data["oos_test"], schema=["text", "label"], orient="row").sample(n_oos, seed=seed)
    evals = _with_ids(pl.concat([inscope, oos.with_columns(label=pl.lit(None, pl.String))]), "ev")
    planted = [[]] * n_in + [["coverage_gap"]] * n_oos
    true_labels = inscope["label"].to_list() + ["oos"] * n_oos
    return _plain_scenario(train, evals, classes, planted, true_labels, seed)


def make_clinc_heldout_domains(seed: int = 0, n_domains: int = 2, *, train_per_class: int | None = None,
                               eval_per_class: int | None = None, shared_dir: Path = SHARED_DIR) -> Scenario:
    """CLINC150 with whole domains (15 intents each) left out of train.

    Eval rows of held-out domains keep their real gold label; every one of
    them is an error, planted ``coverage_gap``. Other errors are natural.

    Parameters
    ----------
    seed : int
        Seed of the domain choice, the row sampling and the model.
    n_domains : int
        How many of the 10 domains to hold out.
    train_per_class, eval_per_class : int, optional
        Subsample rows per intent (all when None).
    shared_dir : Path
        Folder holding the dataset folders.

    Returns
    -------
    Scenario
        ``plants["heldout_domains"]`` and ``plants["heldout"]`` name them.
    """
    rng = np.random.default_rng(seed)
    domains = json.loads((shared_dir / "clinc150" / "domains.json").read_text())
    held_domains = sorted(str(d) for d in rng.choice(sorted(domains), n_domains, replace=False))
    held = sorted(i for d in held_domains for i in domains[d])
    train_src, test_src = load_intents("clinc150", shared_dir=shared_dir)
    classes = tuple(sorted(train_src["label"].unique()))
    train = _with_ids(_sample_per_class(train_src.filter(~pl.col("label").is_in(held)), train_per_class, rng), "tr")
    evals = _with_ids(_sample_per_class(test_src, eval_per_class, rng), "ev")
    planted = [["coverage_gap"] if label in held else [] for label in evals["label"]]
    scenario = _plain_scenario(train, evals, classes, planted, evals["label"].to_list(), seed)
    plants = {"heldout_domains": held_domains, "heldout": held}
    return Scenario(**{**scenario.__dict__, "plants": plants})


# ------------------------------------------------------------ RAG scenario
def make_rag_scenario(seed: int = 0, n_questions: int = 60, *, shared_dir: Path = SHARED_DIR) -> RagScenario:
    """RAMDocs questions with a simulated model answer per question.

    The label is the first gold answer that a correct document supports. The simulated model
    repeats a misinformation document's answer for 75% of the questions that
    have one (error, ``contradictory_context``); for 40% of the remaining
    questions whose documents support several gold answers it gives another
    entity's answer (error, ``contradictory_context``); of the rest, 10%
    get an unrelated answer taken from another question (error, nothing
    planted) and the others the label (correct).

    Parameters
    ----------
    seed : int
        Seed of the question sampling and the simulated answers.
    n_questions : int
        How many of the 500 questions to use.
    shared_dir : Path
        Folder holding ``ramdocs/RAMDocs_test.jsonl``.

    Returns
    -------
    RagScenario
    """
    rng = np.random.default_rng(seed)
    lines = (shared_dir / "ramdocs" / "RAMDocs_test.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    picked = sorted(int(i) for i in rng.choice(len(rows), n_questions, replace=False))
    evals, truth, contexts = [], [], []
    for n, index in enumerate(picked, start=1):
        row, qid = rows[index], f"q-{n:04d}"
        other = rows[int(rng.choice([i for i in range(len(rows)) if i != index]))]
        prediction, planted = _simulate_answer(row, other, rng)
        answers = {d["answer"] for d in row["documents"] if d["type"] != "noise"}
        evals.append((qid, row["question"], _rag_label(row), prediction))
        truth.append((qid, planted, len(answers) > 1))
        contexts += [(qid, f"{qid}-p{k:02d}", d["text"], d["type"], d["answer"])
                     for k, d in enumerate(row["documents"], start=1)]
    ctx = pl.DataFrame(contexts, schema=["id", "passage_id", "passage", "type", "answer"], orient="row")
    return RagScenario(
        eval=pl.DataFrame(evals, schema=["id", "text", "label", "prediction"], orient="row"),
        contexts=ctx.select("id", "passage_id", "passage"),
        truth=pl.DataFrame(truth, schema={"id": pl.String, "planted": pl.List(pl.String),
                                          "has_conflict": pl.Boolean}, orient="row"),
        passage_truth=ctx.select("passage_id", "type", "answer"),
    )


def _rag_label(row: dict[str, Any]) -> str:
    """The first gold answer that a correct document supports (else the first)."""
    supported = {d["answer"] for d in row["documents"] if d["type"] == "correct"}
    return next((a for a in row["gold_answers"] if a in supported), row["gold_answers"][0])


def _simulate_answer(row: dict[str, Any], other: dict[str, Any], rng: np.random.Generator) -> tuple[str, list[str]]:
    """The simulated model answer for one RAMDocs question and its planted causes."""
    label = _rag_label(row)
    misinfo = sorted({d["answer"] for d in row["documents"] if d["type"] == "misinfo"})
    entities = sorted({d["answer"] for d in row["documents"] if d["type"] == "correct"} - {label})
    if misinfo and rng.random() < 0.75:
        return str(rng.choice(misinfo)), ["contradictory_context"]
    if entities and rng.random() < 0.4:
        return str(rng.choice(entities)), ["contradictory_context"]
    unrelated = [a for a in other["gold_answers"] if a not in row["gold_answers"]]
    if unrelated and rng.random() < 0.1:
        return str(rng.choice(unrelated)), []
    return label, []
