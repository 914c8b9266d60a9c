"""Synthetic data of the scale benchmark (see :mod:`benchmarks.scale`).

Realistic text datasets built from the real BANKING77 + CLINC150 queries,
perturbed so rows are not copies (word dropout, swaps, typos, fillers,
numbers), with 3% of training labels flipped, out-of-scope queries in eval,
a user model's probabilities, annotations and context passages.
"""
from __future__ import annotations

import json
import os
import random
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

if __package__:  # imported as part of the benchmarks package
    from benchmarks._data import data_dir
else:  # imported with benchmarks/ on sys.path (python benchmarks/scale.py, sample_data/build.py)
    from _data import data_dir

SHARED = data_dir()
WORK = Path(os.environ.get("DIAGNOSE_SCALE_DIR", "/tmp/diagnose_scale"))
FILLERS = ["please", "hi,", "hello", "thanks", "asap", "quick question:", "urgent:", "hey", "ok so", "btw"]
UNITS = ["dollars", "euros", "days", "hours", "times", "pounds", "minutes", "weeks"]


def log(msg: str) -> None:
    sys.stderr.write(f"[scale {time.strftime('%H:%M:%S')}] {msg}\n")
    sys.stderr.flush()


# ------------------------------------------------------------------ data
def _sources() -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
    """Real queries: (train pool, eval pool, out-of-scope eval texts)."""
    bank = lambda n: pl.read_csv(SHARED / "banking77" / n).rename({"category": "label"})
    clinc = json.loads((SHARED / "clinc150" / "data_full.json").read_text())
    fix = lambda rows: pl.DataFrame(rows, schema=["text", "label"], orient="row").with_columns(
        pl.col("label").replace("exchange_rate", "exchange_rate_info"))
    train = pl.concat([bank("train.csv"), fix(clinc["train"]), fix(clinc["val"])])
    evals = pl.concat([bank("test.csv"), fix(clinc["test"])])
    return train, evals, [t for t, _ in clinc["oos_test"]]


def perturb(text: str, rnd: random.Random) -> str:
    """Word dropout, an adjacent swap, a typo, a filler and a number."""
    words = [w for w in text.split() if rnd.random() > 0.1] or text.split()
    if len(words) > 2 and rnd.random() < 0.3:
        i = rnd.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
    if rnd.random() < 0.2:
        i = rnd.randrange(len(words))
        w = words[i]
        if len(w) > 3:
            j = rnd.randrange(len(w) - 1)
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    if rnd.random() < 0.3:
        words.insert(0 if rnd.random() < 0.5 else len(words), rnd.choice(FILLERS))
    if rnd.random() < 0.3:
        words.append(f"{rnd.randint(2, 999)} {rnd.choice(UNITS)}")
    return " ".join(words)


def _user_model(train: pl.DataFrame, evals: pl.DataFrame, classes: list[str], seed: int) -> np.ndarray:
    """The user's model: TF-IDF + SGD logistic regression on a 30k sample; eval probabilities."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import SGDClassifier

    fit = train.sample(min(train.height, 30_000), seed=seed)
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, max_features=50_000)
    x = vec.fit_transform(fit["text"].to_list())
    model = SGDClassifier(loss="log_loss", alpha=2e-5, max_iter=8, tol=None, random_state=seed, n_jobs=2)
    model.fit(x, fit["label"].to_numpy())
    col = {c: j for j, c in enumerate(classes)}
    out = np.full((evals.height, len(classes)), 1e-6, dtype=np.float32)
    texts = evals["text"].to_list()
    for s in range(0, len(texts), 20_000):
        p = model.predict_proba(vec.transform(texts[s:s + 20_000]))
        out[s:s + p.shape[0], [col[c] for c in model.classes_]] = p
    return out / out.sum(axis=1, keepdims=True)


def _annotations(ids: list[str], labels: list[str], classes: list[str], rnd: random.Random) -> pl.DataFrame:
    skill = {f"ann-{a:02d}": rnd.uniform(0.7, 0.95) for a in range(1, 21)}
    skill["ann-20"] = 0.0  # a spammer
    rows = []
    for item, true in zip(ids, labels):
        for ann in rnd.sample(sorted(skill), 3):
            rows.append((item, ann, true if rnd.random() < skill[ann] else rnd.choice(classes)))
    return pl.DataFrame(rows, schema=["id", "annotator", "label"], orient="row")


def _contexts(ids: list[str], labels: list[str], rnd: random.Random) -> pl.DataFrame:
    rows = []
    for item, label in zip(ids, labels):
        topic = label.replace("_", " ")
        fee, days, conflict = rnd.randint(1, 50), rnd.randint(1, 14), rnd.random() < 0.3
        for p in range(3):
            f = fee + rnd.randint(5, 40) if conflict and p == 2 else fee
            text = rnd.choice([
                f"For {topic}, the fee is {f} dollars and it takes {days} days.",
                f"Our policy on {topic}: customers pay {f} dollars; processing takes {days} days.",
                f"The {topic} service costs {f} dollars. Expect about {days} days.",
            ])
            rows.append((item, f"{item}-p{p + 1}", text))
    return pl.DataFrame(rows, schema=["id", "passage_id", "passage"], orient="row")


def make_dataset(n_train: int, *, seed: int = 0, out: Path | None = None) -> dict[str, Path]:
    """Write train/eval Parquet, annotations and contexts for ``n_train`` rows (cached)."""
    out = out or WORK / f"data_{n_train}"
    paths = {k: out / f"{k}.parquet" for k in ("train", "eval", "annotations", "contexts")}
    if all(p.exists() for p in paths.values()):
        return paths
    out.mkdir(parents=True, exist_ok=True)
    rnd, rng = random.Random(seed), np.random.default_rng(seed)
    pool_tr, pool_ev, oos = _sources()
    classes = sorted(set(pool_tr["label"].to_list()))
    n_eval = n_train // 10
    log(f"generating {n_train:,} train + {n_eval:,} eval rows")
    src = pool_tr[rng.integers(0, pool_tr.height, n_train)]
    true_tr = src["label"].to_list()
    given = [rnd.choice(classes) if rnd.random() < 0.03 else y for y in true_tr]
    train = pl.DataFrame({"id": [f"tr{i:07d}" for i in range(n_train)],
                          "text": [perturb(t, rnd) for t in src["text"].to_list()], "label": given})
    n_oos = n_eval // 50
    ev_src = pool_ev[rng.integers(0, pool_ev.height, n_eval - n_oos)]
    ev_text = [perturb(t, rnd) for t in ev_src["text"].to_list()] + [perturb(rnd.choice(oos), rnd) for _ in range(n_oos)]
    ev_label = ev_src["label"].to_list() + ["out_of_scope"] * n_oos
    evals = pl.DataFrame({"id": [f"ev{i:06d}" for i in range(n_eval)], "text": ev_text, "label": ev_label})
    all_classes = sorted(set(classes) | {"out_of_scope"})
    probs = _user_model(train, evals, all_classes, seed)
    evals = evals.with_columns(pl.Series("prediction", np.asarray(all_classes)[probs.argmax(1)].tolist()),
                               *[pl.Series(f"prob_{c}", probs[:, j]) for j, c in enumerate(all_classes)])
    pick = lambda n, share: sorted(rng.choice(n, int(n * share), replace=False).tolist())
    tr_rows, ev_rows = pick(n_train, 0.05), pick(n_eval, 0.05)
    ann = _annotations([f"tr{i:07d}" for i in tr_rows] + [f"ev{i:06d}" for i in ev_rows],
                       [true_tr[i] for i in tr_rows] + [ev_label[i] for i in ev_rows], classes, rnd)
    ctx_rows = pick(n_eval, 0.2)
    ctx = _contexts([f"ev{i:06d}" for i in ctx_rows], [ev_label[i] for i in ctx_rows], rnd)
    for key, frame in (("train", train), ("eval", evals), ("annotations", ann), ("contexts", ctx)):
        frame.write_parquet(paths[key])
    log(f"data written to {out}")
    return paths
