"""Planted-fault RAG scenario on RAMDocs, with ground truth, for benchmarks.

The builder is a pure, seeded function: the same arguments give the same
frames. It takes RAMDocs questions and simulates a model that repeats
misinformation or picks another entity's answer when its passages conflict.
Re-exported by :mod:`benchmarks.scenarios`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

if __package__:  # imported as part of the benchmarks package
    from benchmarks._data import data_dir
else:  # imported with benchmarks/ on sys.path (python benchmarks/scale.py, sample_data/build.py)
    from _data import data_dir

SHARED_DIR = data_dir()


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
