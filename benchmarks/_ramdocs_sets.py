"""RAMDocs sets for :mod:`benchmarks.context_ramdocs`: loading, the seeded dev/test
split, equal-count conflicting/agreeing document sets, and scoring them."""
from __future__ import annotations

import json
import random
from collections import defaultdict
from itertools import combinations
from pathlib import Path

import polars as pl

from benchmarks._data import data_dir
from diagnose.causes.contradictory_context.analyzer import ContradictoryContext
from diagnose.core import Prepared

DATA = data_dir() / "ramdocs" / "RAMDocs_test.jsonl"
K = 3
SEED = 0
TRAIN_DRAWS = 10  # positive/negative set pairs per dev question to fit the set model


def load_questions(path: Path = DATA) -> list[dict]:
    """The RAMDocs rows, one dict per question."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def split_questions(n: int, seed: int = SEED) -> tuple[list[int], list[int]]:
    """Seeded random halves of the question indices: (dev, test)."""
    order = list(range(n))
    random.Random(seed).shuffle(order)
    return sorted(order[: n // 2]), sorted(order[n // 2:])


def _label(docs: list[dict], subset: tuple[int, ...]) -> bool | None:
    """True (conflict), False (agree) or None (fewer than two answering docs)."""
    answers = [docs[i]["answer"] for i in subset if docs[i]["type"] != "noise"]
    return None if len(answers) < 2 else len(set(answers)) > 1


def _subset_groups(docs: list[dict]) -> list[dict[bool, list]]:
    """K-subsets of one question's documents by noise count: the groups holding both
    labels, in order of noise count."""
    groups: dict[int, dict[bool, list]] = defaultdict(lambda: {True: [], False: []})
    for subset in combinations(range(len(docs)), K):
        label = _label(docs, subset)
        if label is not None:
            groups[sum(docs[i]["type"] == "noise" for i in subset)][label].append(subset)
    return [groups[m] for m in sorted(groups) if groups[m][True] and groups[m][False]]


def training_sets(rows: list[dict], indices: list[int], draws: int = TRAIN_DRAWS,
                  seed: int = SEED + 1) -> list[dict]:
    """More labelled sets from the same questions, to fit the set model: ``draws``
    positive/negative pairs per question, each from a random usable noise group."""
    rng = random.Random(seed)
    sets = []
    for qi in indices:
        usable = _subset_groups(rows[qi]["documents"])
        for _ in range(draws if usable else 0):
            group = rng.choice(usable)
            for label in (True, False):
                sets.append({"qi": qi, "label": label, "docs": list(rng.choice(group[label]))})
    return sets


def build_sets(rows: list[dict], indices: list[int], seed: int = SEED) -> list[dict]:
    """One positive and one negative K-document set per usable question.

    For each question every K-subset of its documents is labelled; subsets
    are grouped by how many noise documents they hold; one group holding both
    labels is drawn at random and one positive and one negative subset are
    drawn from it. Questions without such a group are left out.
    """
    rng = random.Random(seed)
    sets = []
    for qi in indices:
        usable = _subset_groups(rows[qi]["documents"])
        if not usable:
            continue
        group = rng.choice(usable)
        for label in (True, False):
            subset = list(rng.choice(group[label]))
            rng.shuffle(subset)
            sets.append({"qi": qi, "label": label, "docs": subset})
    return sets


def _frames(rows: list[dict], sets: list[dict]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Eval and contexts frames: one eval row per set, passage ids 'd<doc index>'."""
    ev = pl.DataFrame({
        "id": [f"s{i}" for i in range(len(sets))],
        "text": [rows[s["qi"]]["question"] for s in sets],
        "label": pl.Series([None] * len(sets), dtype=pl.Utf8),
        "prediction": pl.Series([None] * len(sets), dtype=pl.Utf8),
    })
    ctx = [(f"s{i}", f"d{d}", rows[s["qi"]]["documents"][d]["text"])
           for i, s in enumerate(sets) for d in s["docs"]]
    return ev, pl.DataFrame(ctx, schema=["id", "passage_id", "passage"], orient="row")


def score_ours(rows, sets, **settings) -> tuple[list[float], pl.DataFrame]:
    """Scores of the analyzer and its conflicts table."""
    ev, ctx = _frames(rows, sets)
    analyzer = ContradictoryContext(**settings)
    out = analyzer.score(Prepared(task="generation", eval=ev, contexts=ctx))
    return out["score_contradictory_context"].to_list(), analyzer.tables()["context_conflicts"]


def evidence_precision(rows, sets, scores, conflicts) -> tuple[float, int]:
    """Share of flagged (> 0.5) positive sets whose quoted pair holds two
    non-noise documents with different answers."""
    by_id = {r["id"]: r for r in conflicts.to_dicts()}
    hits = flagged = 0
    for i, (s, sc) in enumerate(zip(sets, scores)):
        if not s["label"] or sc is None or sc <= 0.5:
            continue
        flagged += 1
        c = by_id[f"s{i}"]
        docs = rows[s["qi"]]["documents"]
        a, b = docs[int(c["passage_a"][1:])], docs[int(c["passage_b"][1:])]
        hits += a["type"] != "noise" and b["type"] != "noise" and a["answer"] != b["answer"]
    return (hits / flagged if flagged else float("nan")), flagged

