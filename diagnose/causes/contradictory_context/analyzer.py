"""Conflicts between the passages given to a model as context (RAG, reading).

For every eval row the passages are read sentence by sentence, offline and
deterministically (NumPy only, no model downloads):

* **aligned statements**: two sentences from different passages that say
  nearly the same thing but differ in a number, a date, a name or a negation
  ("founded in «1856»" / "founded in «1900»");
* **answers**: each passage's likely answers to the question are typed spans
  (years and dates for *when*, numbers for *how many*, names for *who*, a
  small lexicon of sports, genres, media and professions for *what sport /
  genre / profession*), weighed by a small logistic model over their distance
  to the question's words and the subject's name;
* **relevance**: a second small model estimates whether a passage answers the
  question at all, so retrieved noise is not read as a passage about another
  entity;
* **set conflict**: a third model combines, over passage pairs weighted by
  relevance, how little of each passage's answers the other states, how likely
  the two give different answers, whether aligned sentences clash, and whether
  one passage is an edited copy of the other with a name or number replaced.

The three models' weights are package data (``weights.json``, read by
:mod:`diagnose.causes.contradictory_context._context_models`), fitted on the
dev half of RAMDocs only by ``python -m benchmarks.context_ramdocs --fit``.
When the gold ``label`` and the model's ``prediction`` are given, a passage
that supports the gold answer paired with one that supports the wrong answer
is the strongest evidence. An optional judge (see :mod:`diagnose.causes.contradictory_context.judge`)
re-scores the best candidate pairs.

Examples
--------
>>> import polars as pl
>>> from diagnose.core import Prepared
>>> ev = pl.DataFrame({"id": ["q1"], "text": ["When was the fort built?"],
...                    "label": [None], "prediction": [None]})
>>> ctx = pl.DataFrame({"id": ["q1", "q1"], "passage_id": ["a", "b"],
...                     "passage": ["The fort was built in 1867.",
...                                 "The fort was built in 1743."]})
>>> out = ContradictoryContext().score(Prepared(task="generation", eval=ev,
...                                             contexts=ctx))
>>> out["score_contradictory_context"][0] > 0.5
True
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
import polars as pl

from diagnose.causes.contradictory_context import _context_models as models
from diagnose.causes.contradictory_context import _context_text as ctx
from diagnose.causes.contradictory_context._context_text import STOP, norm
from diagnose.core import Analyzer, Prepared, empty_scores

__all__ = ["ContradictoryContext"]
# The quoted pair favours relevant passages: its conflict times (relevance product) ** this.
# Chosen on the RAMDocs dev half (evidence precision 0.84 at 0, 0.86 at 4).
_PICK_POWER = 4.0


@dataclass(frozen=True)
class _Question:
    """What is read once from a question."""

    terms: dict[str, float]
    relation: dict[str, float]
    subject: frozenset[str]
    kind: str

    @classmethod
    def read(cls, question: str) -> _Question:
        terms = ctx.question_terms(question)
        subject = ctx.subject_terms(question)
        relation = {k: v for k, v in terms.items() if k not in subject} or terms
        return cls(terms, relation, subject, ctx.answer_type(question))


@dataclass(frozen=True)
class _Span:
    """One answer candidate inside a passage."""

    key: str
    kind: str
    text: str
    sentence: int
    weight: float


@dataclass
class _Passage:
    """A tokenised passage with its answer candidates and its relevance."""

    pid: str
    sentences: list[str]
    tokens: list[list[str]]
    vocab: set[str]
    keys: set[str]
    spans: list[_Span]
    dist: dict[str, float] = field(default_factory=dict)
    relevance: float = 1.0


class ContradictoryContext(Analyzer):
    """Find passages in an example's context that contradict each other."""

    name = "contradictory_context"
    description = (
        "Flags eval examples whose context passages disagree: two passages state the same "
        "fact with a different number, date, name or negation, or give different answers to "
        "the question, or one supports the gold answer while another supports the model's "
        "wrong answer. A model reading such a context can be misled without any flaw in "
        "the model or the labels. Passages that do not answer the question are discounted. "
        "Evidence quotes the two conflicting sentences with the differing spans marked. "
        "Offline and lexical by default; a judge can re-score pairs."
    )

    def __init__(self, *, align_threshold=0.5, proximity_tau=12.0, top_k=3, sharpness=2.0,
                 min_strength=0.25, judge=None, judge_pairs=3):
        self.align_threshold = align_threshold
        self.proximity_tau = proximity_tau
        self.top_k = top_k
        self.sharpness = sharpness
        self.min_strength = min_strength
        self.judge = judge
        self.judge_pairs = judge_pairs
    def skip_reason(self, data: Prepared) -> str | None:
        """Return a reason when there are no context passages."""
        if data.contexts is None or data.contexts.height == 0:
            return "no context passages were given (pass a contexts table with id, passage_id, passage)"
        return None

    def fit(self, data: Prepared) -> ContradictoryContext:
        """Nothing to learn; return ``self``."""
        return self

    def score(self, data: Prepared) -> pl.DataFrame:
        """Score each eval row by its strongest conflict between passages.

        Conflicts weaker than ``min_strength`` keep their score but get no
        evidence and no row in the ``context_conflicts`` table.

        Parameters
        ----------
        data : Prepared
            ``eval`` gives the question (``text``), ``label`` and ``prediction``;
            ``contexts`` gives the passages of each eval id.

        Returns
        -------
        pl.DataFrame
            ``id``, ``score_contradictory_context`` (null without passages),
            ``evidence_contradictory_context`` (null without a conflict).
        """
        ids = data.eval["id"].cast(pl.Utf8)
        self.n_with_passages_ = 0
        if self.skip_reason(data) is not None:
            self.conflicts_ = _conflict_frame([])
            return empty_scores(self.name, ids)
        grouped = _group_passages(data.contexts)
        labels = _column(data.eval, "label")
        preds = _column(data.eval, "prediction")
        texts = _column(data.eval, "text")
        scores, evidence, rows = [], [], []
        for i, row_id in enumerate(ids.to_list()):
            passages = grouped.get(row_id)
            if not passages:
                scores.append(None)
                evidence.append(None)
                continue
            self.n_with_passages_ += 1
            best = self._best_conflict(texts[i] or "", passages, labels[i], preds[i])
            scores.append(best["strength"] if best else 0.0)
            if best is None or best["strength"] < self.min_strength:
                evidence.append(None)
                continue
            evidence.append(_render_evidence(best))
            rows.append({"id": row_id, **best})
        self.conflicts_ = _conflict_frame(rows)
        return pl.DataFrame({
            "id": ids,
            f"score_{self.name}": pl.Series(scores, dtype=pl.Float64),
            f"evidence_{self.name}": pl.Series(evidence, dtype=pl.Utf8),
        })

    def tables(self) -> dict[str, pl.DataFrame]:
        """One row per eval row with a conflict: ``context_conflicts``."""
        return {"context_conflicts": getattr(self, "conflicts_", _conflict_frame([]))}

    def summary(self) -> dict[str, Any]:
        """Counts of rows with passages and rows with a conflict above 0.5."""
        frame = self.tables()["context_conflicts"]
        return {
            "n_rows_with_passages": int(getattr(self, "n_with_passages_", 0)),
            "n_rows_with_conflict": int((frame["strength"] > 0.5).sum()),
        }

    # ------------------------------------------------------------------ internals
    def _best_conflict(self, question, raw, label, prediction):
        """Strongest conflict among the passages of one row, or None."""
        q = _Question.read(question)
        passages = [self._read(pid, text, q) for pid, text in raw]
        found = _aligned_conflicts(passages, self.align_threshold)
        found += self._slot_conflicts(passages, found)
        found += _answer_conflicts(passages, label, prediction)
        if not found:
            return None
        found.sort(key=lambda c: -c["strength"])
        if self.judge is not None:
            found = _rejudge(self.judge, question, found[: self.judge_pairs])
        return found[0]

    def _read(self, pid: str, text: str, q: _Question) -> _Passage:
        """Tokenise a passage, weigh its answer candidates and its relevance."""
        sentences, tokens, flat = ctx.passage_tokens(text)
        feats, found = ctx.candidate_features(tokens, flat, q, self.proximity_tau)
        keys = list(feats)
        top, dist = self._ranked(keys, found, models.candidate_probs([feats[k] for k in keys]))
        rel = models.relevance_vector([s.weight for s in top], flat, q.subject, q.terms)
        return _Passage(pid, sentences, tokens, ctx.with_stems(set(flat)), set(keys), top, dist,
                        float(models.logistic(models.RELEVANCE_MODEL, [rel])[0]))

    def _ranked(self, keys: list[str], found: dict, probs: np.ndarray) -> tuple[list[_Span], dict[str, float]]:
        """The ``top_k`` candidates as spans and the sharpened answer distribution over the best 20."""
        order = np.argsort(-probs, kind="stable")
        top = [_Span(keys[i], *found[keys[i]], float(probs[i])) for i in order[: self.top_k]]
        powered = probs ** self.sharpness
        dist = {keys[i]: float(powered[i] / powered.sum()) for i in order[:20]} if keys else {}
        return top, dist

    def _slot_conflicts(self, passages: Sequence[_Passage], aligned: list[dict]) -> list[dict]:
        """The pair whose likely answers differ most, scored over the whole set.

        The set's strength comes from :data:`_context_models.SET_MODEL` over
        features of all relevant pairs; the quoted pair is the one contributing most.
        """
        if len(passages) < 2:
            return []
        features, best_pair = _set_features(passages, aligned)
        if best_pair is None:
            return []
        p, q = best_pair
        strength = float(models.logistic(models.SET_MODEL, [features])[0])
        a, b = p.spans[0], q.spans[0]
        return [_pair(p, a, q, b, ctx.KIND_OF[a.kind], strength)]


# ---------------------------------------------------------------------- helpers
def _column(frame: pl.DataFrame, name: str) -> list:
    """A column as a list of strings (None where missing or absent)."""
    if name not in frame.columns:
        return [None] * frame.height
    return frame[name].cast(pl.Utf8).to_list()


def _group_passages(contexts: pl.DataFrame) -> dict[str, list[tuple[str, str]]]:
    """Map eval id -> [(passage_id, passage)], in input order, empty passages dropped."""
    out: dict[str, list[tuple[str, str]]] = {}
    cols = [contexts[c].cast(pl.Utf8).to_list() for c in ("id", "passage_id", "passage")]
    for row_id, pid, text in zip(*cols):
        if text and text.strip():
            out.setdefault(row_id, []).append((pid, text))
    return out


def _set_features(passages: Sequence[_Passage], aligned: list[dict]):
    """Features of a set of passages (see ``SET_MODEL``) and its most conflicting pair.

    Each pair counts in proportion to the relevance of both its passages:
    answer mass neither passage shares, top answers absent from each other,
    shared answer mass (against), answer mass one passage lacks, the best
    aligned-sentence conflict, the chance that the pair's answers differ (most
    conflicting pair) and whether one passage is an edited copy of the other.
    """
    relevance = {p.pid: p.relevance for p in passages}
    align = max((c["strength"] * relevance[c["passage_a"]] * relevance[c["passage_b"]]
                 for c in aligned), default=0.0)
    dism, slot, agree, dis, clash, edited = [], [], [], [], [0.0], [0.0]
    best, best_pair = -1.0, None
    for p, q in combinations(passages, 2):
        if not p.dist or not q.dist:
            continue
        rr = p.relevance * q.relevance
        pq, qp = _mass_supported(p, q), _mass_supported(q, p)
        raw = _slot_raw(p, q)
        dism.append((1 - pq) * (1 - qp) * rr)
        slot.append(raw * rr)
        agree.append(min(pq, qp) * rr)
        dis.append((1 - min(pq, qp)) * rr)
        clash.append((1 - _same_answer_mass(p, q)) * rr)
        edited.append(ctx.substitution(*([t for s in x.tokens for t in s] for x in (p, q))) * rr)
        pick = (dism[-1] + slot[-1]) * rr ** _PICK_POWER
        if p.spans[0].key != q.spans[0].key and pick > best:
            best, best_pair = pick, (p, q)
    if not dism:
        return [0.0, 0.0, 0.0, 0.0, align, 0.0, 0.0], None
    return [float(np.mean(dism)), float(np.mean(slot)), max(agree), float(np.mean(dis)),
            align, max(clash), max(edited)], best_pair


def _same_answer_mass(p: _Passage, q: _Passage) -> float:
    """Chance that the two passages give the same answer: the joint mass of their answer
    distributions on key pairs naming one answer (:func:`_context_text.same_answer`)."""
    return min(sum(w * v for k, w in p.dist.items() for j, v in q.dist.items()
                   if ctx.same_answer(k, j)), 1.0)


def _mass_supported(p: _Passage, q: _Passage) -> float:
    """Share of ``p``'s answer distribution that ``q`` also states."""
    return sum(w * ctx.support(key, q.keys, q.vocab) for key, w in p.dist.items())


def _slot_raw(p: _Passage, q: _Passage) -> float:
    """How far the top answers of ``p`` and ``q`` are absent from each other, in [0, 1]."""
    a, b = p.spans[0], q.spans[0]
    if a.key == b.key or not a.weight or not b.weight:
        return 0.0
    agree_pq = max(s.weight * ctx.support(s.key, q.keys, q.vocab) for s in p.spans) / a.weight
    agree_qp = max(s.weight * ctx.support(s.key, p.keys, p.vocab) for s in q.spans) / b.weight
    return math.sqrt(a.weight * b.weight) * max(1 - agree_pq, 0) * max(1 - agree_qp, 0)


def _pair(p: _Passage, a: _Span, q: _Passage, b: _Span, kind: str, strength: float) -> dict:
    """A conflict record between span ``a`` of ``p`` and span ``b`` of ``q``."""
    return {
        "passage_a": p.pid, "sentence_a": p.sentences[a.sentence], "span_a": a.text,
        "passage_b": q.pid, "sentence_b": q.sentences[b.sentence], "span_b": b.text,
        "kind": kind, "strength": float(min(max(strength, 0.0), 1.0)),
    }


def _aligned_conflicts(passages: Sequence[_Passage], threshold: float) -> list[dict]:
    """Near-identical sentences in two passages that differ in a typed span."""
    out = []
    for p, q in combinations(passages, 2):
        for i, s in enumerate(p.tokens):
            s_set = {t.lower() for t in s} - STOP
            if len(s_set) < 3:
                continue
            for j, t in enumerate(q.tokens):
                t_set = {x.lower() for x in t} - STOP
                overlap = len(s_set & t_set) / max(len(s_set | t_set), 1)
                if overlap < threshold or s_set == t_set and not ctx.negation_differs(s, t):
                    continue
                found = ctx.diff_spans(s, t)
                if found:
                    kind, span_a, span_b = found
                    strength = 0.55 + 0.45 * overlap
                    a = _Span("", kind, span_a, i, 0.0)
                    b = _Span("", kind, span_b, j, 0.0)
                    out.append(_pair(p, a, q, b, kind, strength))
    return out


def _answer_conflicts(passages, label, prediction) -> list[dict]:
    """A passage supporting the gold answer against one supporting the prediction."""
    if not label or not prediction or norm(label) == norm(prediction):
        return []
    gold = [p for p in passages if _states(p, label) and not _states(p, prediction)]
    wrong = [p for p in passages if _states(p, prediction) and not _states(p, label)]
    if not gold or not wrong:
        return []
    p, q = gold[0], wrong[0]
    a = _Span("", "answer", label, _sentence_with(p, label), 0.0)
    b = _Span("", "answer", prediction, _sentence_with(q, prediction), 0.0)
    return [_pair(p, a, q, b, "answer", 0.99)]


def _states(p: _Passage, answer: str) -> bool:
    """True when the passage contains the answer's words in order."""
    needle = norm(answer)
    return bool(needle) and any(needle in " ".join(s).lower() for s in p.tokens)


def _sentence_with(p: _Passage, answer: str) -> int:
    needle = norm(answer)
    return next(i for i, s in enumerate(p.tokens) if needle in " ".join(s).lower())


def _rejudge(judge, question: str, found: list[dict]) -> list[dict]:
    """Replace the lexical strength of the best pairs by the judge's probability."""
    for c in found:
        c["strength"] = float(judge.contradiction(c["sentence_a"], c["sentence_b"],
                                                  question=question))
    return sorted(found, key=lambda c: -c["strength"])


def _render_evidence(c: dict) -> str:
    """Readable evidence quoting both sentences."""
    return (f"{c['kind']} conflict ({c['strength']:.2f}): passage {c['passage_a']}: "
            f"\"{ctx.quote(c['sentence_a'], c['span_a'])}\" vs passage {c['passage_b']}: "
            f"\"{ctx.quote(c['sentence_b'], c['span_b'])}\"")


def _conflict_frame(rows: list[dict]) -> pl.DataFrame:
    schema = {"id": pl.Utf8, "passage_a": pl.Utf8, "sentence_a": pl.Utf8, "span_a": pl.Utf8,
              "passage_b": pl.Utf8, "sentence_b": pl.Utf8, "span_b": pl.Utf8,
              "kind": pl.Utf8, "strength": pl.Float64}
    return pl.DataFrame(rows, schema=schema)
