"""Planted-fault scenarios on real text, with ground truth, for benchmarks.

Every builder is a pure, seeded function: the same arguments give the same
frames. Intent scenarios take real queries (BANKING77 or CLINC150), plant
known faults (held-out intents, flipped training labels, wrong eval golds,
annotators who split between two intents), train the "user's model"
(TF-IDF + logistic regression) on the noisy training table and record its
predictions and class probabilities. The RAG scenario lives in
:mod:`benchmarks.scenarios_rag` and is re-exported here.

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

if __package__:  # imported as benchmarks.scenarios
    from benchmarks import _scenario_plants as plants
    from benchmarks._data import data_dir
    from benchmarks.scenarios_rag import RagScenario, make_rag_scenario
else:  # imported with benchmarks/ on sys.path (scale.py, sample_data/build.py)
    import _scenario_plants as plants
    from _data import data_dir
    from scenarios_rag import RagScenario, make_rag_scenario

SHARED_DIR = data_dir()
HELDOUT_EPS = 1e-6

__all__ = ["RagScenario", "Scenario", "fit_predict", "load_intents", "make_clinc_heldout_domains",
           "make_clinc_oos", "make_intent_scenario", "make_rag_scenario"]


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
    roles = plants.pick_roles(classes, strength, rng)
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
    accuracy = plants.annotator_accuracy(rng)
    true_tr, true_ev = train["label"].to_numpy(), evals["label"].to_numpy()
    votes_tr = plants.cast_votes(true_tr, classes, split_to, roles["split_share"], accuracy, rng)
    votes_ev = plants.cast_votes(true_ev, classes, split_to, roles["split_share"], accuracy, rng)
    given_tr = plants.plant_train(true_tr, votes_tr, roles, pool, rng)
    given_ev = plants.plant_eval_gold(true_ev, roles, pool, rng)
    noisy_train = train.with_columns(label=pl.Series(given_tr.tolist()))
    scored = fit_predict(noisy_train, evals, classes, seed=seed)
    eval_frame = pl.concat([evals.with_columns(label=pl.Series(given_ev.tolist())), scored], how="horizontal")
    shown = np.sort(rng.choice(train.height, round(0.3 * train.height), replace=False))
    annotations = pl.concat([plants.votes_frame(train["id"].to_list(), votes_tr)
                             .filter(pl.col("id").is_in(train["id"].gather(shown).to_list())),
                             plants.votes_frame(evals["id"].to_list(), votes_ev)])
    planted = [plants.planted_causes(t, g, p, roles) for t, g, p in zip(true_ev, given_ev, scored["prediction"])]
    truth = pl.DataFrame({"id": evals["id"], "planted": planted, "true_label": true_ev},
                         schema_overrides={"planted": pl.List(pl.String)})
    train_truth = pl.DataFrame({"id": train["id"], "true_label": true_tr, "given_label": given_tr,
                                "flipped": given_tr != true_tr})
    reliable = {k: round(v, 3) for k, v in accuracy.items() if k != plants.SPAMMER}
    plan = {**roles, "annotator_accuracy": reliable, "spammer": plants.SPAMMER}
    return Scenario(noisy_train, eval_frame, annotations, truth, train_truth, classes, plan)


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
    plan = {"heldout_domains": held_domains, "heldout": held}
    return Scenario(**{**scenario.__dict__, "plants": plan})
