"""Other "user's models" for the scenario families: the verdicts must not hinge on the user's model being
the TF-IDF + logistic regression that :func:`benchmarks.scenarios.fit_predict` trains.

Each entry is a ``fit_predict(train, queries, classes, *, seed)`` as :func:`benchmarks._family_recipes.build_draw`
takes: ``prediction`` and one ``prob_<class>`` column per class.

* ``lr``: the family's own model (TF-IDF 1-2-grams + logistic regression).
* ``flat``: the same model, every row's probabilities tempered to ``p ** 0.3`` (an under-confident model;
  same predictions, same ranking of rows by confidence).
* ``sharp``: the same, ``p ** 3`` (an over-confident model).
* ``nb``: multinomial naive Bayes on word 1-2-gram counts (another model family, very confident).
* ``knn``: cosine k-nearest neighbours (k = 15) on TF-IDF, similarity-weighted votes (another ranking).
"""
from __future__ import annotations

import numpy as np
import polars as pl

from benchmarks.scenarios import HELDOUT_EPS
from benchmarks.scenarios import fit_predict as lr


def _frame(probs: np.ndarray, classes: tuple[str, ...]) -> pl.DataFrame:
    probs = probs / probs.sum(axis=1, keepdims=True)
    return pl.DataFrame({"prediction": np.asarray(classes)[probs.argmax(axis=1)],
                         **{f"prob_{c}": probs[:, j] for j, c in enumerate(classes)}})


def _tempered(power: float):
    def fit_predict(train: pl.DataFrame, queries: pl.DataFrame, classes: tuple[str, ...], *, seed: int = 0) -> pl.DataFrame:
        probs = lr(train, queries, classes, seed=seed).select(f"prob_{c}" for c in classes).to_numpy()
        return _frame(probs ** power, classes)
    return fit_predict


def nb(train: pl.DataFrame, queries: pl.DataFrame, classes: tuple[str, ...], *, seed: int = 0) -> pl.DataFrame:
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.naive_bayes import MultinomialNB

    vectorizer = CountVectorizer(ngram_range=(1, 2))
    model = MultinomialNB(alpha=0.1).fit(vectorizer.fit_transform(train["text"].to_list()), train["label"].to_numpy())
    probs = np.full((queries.height, len(classes)), HELDOUT_EPS)
    column = {c: j for j, c in enumerate(classes)}
    probs[:, [column[c] for c in model.classes_]] = model.predict_proba(vectorizer.transform(queries["text"].to_list()))
    return _frame(probs, classes)


def knn(train: pl.DataFrame, queries: pl.DataFrame, classes: tuple[str, ...], *, seed: int = 0, k: int = 15) -> pl.DataFrame:
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    x = vectorizer.fit_transform(train["text"].to_list())
    sims = (vectorizer.transform(queries["text"].to_list()) @ x.T).toarray()
    top = np.argsort(-sims, axis=1, kind="stable")[:, :k]
    column = {c: j for j, c in enumerate(classes)}
    codes = np.array([column[c] for c in train["label"].to_list()])
    probs = np.full((queries.height, len(classes)), 0.01)
    rows = np.repeat(np.arange(queries.height), top.shape[1])
    np.add.at(probs, (rows, codes[top].ravel()), np.maximum(np.take_along_axis(sims, top, axis=1), 1e-3).ravel())
    return _frame(probs, classes)


MODELS = {"lr": lr, "flat": _tempered(0.3), "sharp": _tempered(3.0), "nb": nb, "knn": knn}
