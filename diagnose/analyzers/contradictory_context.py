"""Conflicts between the passages given to a model as context (RAG, reading).

For every eval row the passages are read sentence by sentence, offline and
deterministically, with two lexical detectors:

* **aligned statements**: two sentences from different passages that say
  nearly the same thing but differ in a number, a date, a name or a negation
  ("founded in «1856»" / "founded in «1900»");
* **answer slots**: each passage's likely answer to the question (typed spans
  near the question's words: years and dates for *when*, numbers for *how
  many*, names for *who*/*where*); two passages whose answers do not appear in
  each other conflict.

When the gold ``label`` and the model's ``prediction`` are given, a passage
that supports the gold answer paired with one that supports the wrong answer
is the strongest evidence. An optional judge (see :mod:`diagnose.judge`)
re-scores the best candidate pairs.

Examples
--------
>>> import polars as pl
>>> from diagnose.analyzers.base import Prepared
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
import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import combinations
from typing import Any

import numpy as np
import polars as pl

from diagnose.analyzers.base import Analyzer, Prepared, empty_scores

__all__ = ["ContradictoryContext"]

_STOP = frozenset(
    "a an the of in on at to for from by with and or but as is are was were be been being "
    "it its this that these those he she they his her their them him we you i what which "
    "who whom whose when where why how does do did has have had into about also after "
    "before during over under than then there here not no one s per can may will would "
    "year born name called known associated other most more such only up out so all".split()
)
_NEGATIONS = frozenset("not no never none nor neither without cannot n't isn't wasn't".split())
_CONNECTORS = frozenset({"of", "de", "da", "del", "von", "van", "the", "la", "le", "du", "&"})
_MONTHS = {m: i + 1 for i, m in enumerate(
    "january february march april may june july august september october november december"
    .split())}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_TOKEN = re.compile(r"\d+(?:[,.]\d+)*|[^\W\d_]+(?:-[^\W\d_]+)*")
_SENT_END = re.compile(r"(?<=[.!?])\s+(?=[\"“(\[]?[A-Z0-9])|\s+[•|·]\s+")
_NOISE = re.compile(r"\[\s*(?:\d+|edit|citation needed)\s*\]", re.IGNORECASE)
_YEAR = re.compile(r"^(1[0-9]{3}|20[0-9]{2})$")
# expected answer type -> weight of each candidate kind
_TYPE_WEIGHTS = {
    "date": {"date": 1.0, "year": 1.0, "number": 0.15, "name": 0.1, "word": 0.05},
    "number": {"number": 1.0, "year": 0.3, "date": 0.1, "name": 0.1, "word": 0.05},
    "name": {"name": 1.0, "word": 0.2, "year": 0.1, "date": 0.1, "number": 0.1},
    "any": {"name": 0.8, "word": 0.6, "year": 0.5, "date": 0.5, "number": 0.4},
}
_KIND_OF = {"date": "date", "year": "date", "number": "number", "name": "name", "word": "answer"}


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
    """A tokenised passage with its answer candidates."""

    pid: str
    sentences: list[str]
    tokens: list[list[str]]
    vocab: set[str]
    keys: set[str]
    spans: list[_Span]


class ContradictoryContext(Analyzer):
    """Find passages in an example's context that contradict each other."""

    name = "contradictory_context"
    description = (
        "Flags eval examples whose context passages disagree: two passages state the same "
        "fact with a different number, date, name or negation, or give different answers to "
        "the question, or one supports the gold answer while another supports the model's "
        "wrong answer. A model reading such a context can be misled without any flaw in "
        "the model or the labels. Evidence quotes the two conflicting sentences with the "
        "differing spans marked. Offline and lexical by default; a judge can re-score pairs."
    )

    def __init__(self, *, align_threshold=0.5, proximity_tau=12.0, top_k=3, slope=8.0,
                 midpoint=0.3, min_strength=0.25, judge=None, judge_pairs=3):
        self.align_threshold = align_threshold
        self.proximity_tau = proximity_tau
        self.top_k = top_k
        self.slope = slope
        self.midpoint = midpoint
        self.min_strength = min_strength
        self.judge = judge
        self.judge_pairs = judge_pairs

    def skip_reason(self, data: Prepared) -> str | None:
        """Return a reason when there are no context passages."""
        if data.contexts is None or data.contexts.height == 0:
            return "no context passages were given (pass a contexts table with id, passage_id, passage)"
        return None

    def fit(self, data: Prepared) -> "ContradictoryContext":
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
        qterms = _question_terms(question)
        weights = _TYPE_WEIGHTS[_answer_type(question)]
        passages = [self._read(pid, text, qterms, weights) for pid, text in raw]
        found = _aligned_conflicts(passages, self.align_threshold)
        found += self._slot_conflicts(passages)
        found += _answer_conflicts(passages, label, prediction)
        if not found:
            return None
        found.sort(key=lambda c: -c["strength"])
        if self.judge is not None:
            found = _rejudge(self.judge, question, found[: self.judge_pairs])
        return found[0]

    def _read(self, pid, text, qterms, weights) -> _Passage:
        """Tokenise a passage and weigh its answer candidates."""
        text = _NOISE.sub(" ", text)
        sentences = [s.strip() for s in _SENT_END.split(text) if s.strip()] or [text]
        tokens = [_TOKEN.findall(s) for s in sentences]
        flat = [t.lower() for sent in tokens for t in sent]
        prox = _proximity(flat, qterms, self.proximity_tau)
        spans, pos = [], 0
        for s_idx, sent in enumerate(tokens):
            for start, end, key, kind in _candidates(sent, qterms):
                w = float(prox[pos + start:pos + end].max()) * weights[kind] if len(prox) else 0.0
                spans.append(_Span(key, kind, " ".join(sent[start:end]), s_idx, w))
            pos += len(sent)
        best: dict[str, _Span] = {}
        for span in spans:
            if span.key not in best or span.weight > best[span.key].weight:
                best[span.key] = span
        top = sorted(best.values(), key=lambda s: -s.weight)[: self.top_k]
        return _Passage(pid, sentences, tokens, set(flat), {s.key for s in spans}, top)

    def _slot_conflicts(self, passages: Sequence[_Passage]) -> list[dict]:
        """Pairs of passages whose likely answers are absent from each other."""
        out = []
        for p, q in combinations(passages, 2):
            if not p.spans or not q.spans or p.spans[0].key == q.spans[0].key:
                continue
            a, b = p.spans[0], q.spans[0]
            agree_pq = max(s.weight * _support(s, q) for s in p.spans) / a.weight if a.weight else 1
            agree_qp = max(s.weight * _support(s, p) for s in q.spans) / b.weight if b.weight else 1
            raw = math.sqrt(a.weight * b.weight) * (1 - agree_pq) * (1 - agree_qp)
            if raw <= 0:
                continue
            strength = 1.0 / (1.0 + math.exp(-self.slope * (raw - self.midpoint)))
            out.append(_pair(p, a, q, b, _KIND_OF[a.kind], strength))
        return out


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


def _answer_type(question: str) -> str:
    """Expected answer type of a question: date, number, name or any."""
    q = question.lower()
    if re.search(r"\b(when|what year|which year|what date|birth date|date of)\b", q):
        return "date"
    if re.search(r"\b(how many|how much|population|number of|length|height|area)\b", q):
        return "number"
    if re.search(r"\b(who|whom|whose|where|which (city|country|state|team|club))\b", q):
        return "name"
    return "any"


def _question_terms(question: str) -> dict[str, float]:
    """Content words of the question; relation words (lower case) count double."""
    terms: dict[str, float] = {}
    for i, tok in enumerate(_TOKEN.findall(question)):
        low = tok.lower()
        if low in _STOP or len(low) < 2:
            continue
        terms[low] = max(terms.get(low, 0.0), 1.0 if tok[0].isupper() and i else 2.0)
    return terms


def _proximity(flat: list[str], qterms: dict[str, float], tau: float) -> np.ndarray:
    """Per token: weighted closeness to each question term, in [0, 1]."""
    n = len(flat)
    if not n or not qterms:
        return np.zeros(n)
    idx = np.arange(n)
    total = np.zeros(n)
    for term, w in qterms.items():
        where = np.array([i for i, t in enumerate(flat) if t == term])
        if where.size:
            dist = np.abs(idx[:, None] - where[None, :]).min(axis=1)
            total += w * np.exp(-dist / tau)
    return total / sum(qterms.values())


def _candidates(sent: list[str], qterms: dict[str, float]):
    """Yield (start, end, key, kind) answer candidates of one sentence."""
    i, n = 0, len(sent)
    while i < n:
        tok, low = sent[i], sent[i].lower()
        date = _date_at(sent, i)
        if date:
            end, key = date
            yield i, end, key, "date"
            i = end
        elif _YEAR.match(tok):
            yield i, i + 1, f"year:{tok}", "year"
            i += 1
        elif tok[0].isdigit():
            yield i, i + 1, "num:" + tok.replace(",", "").rstrip("."), "number"
            i += 1
        elif tok[0].isupper() and low not in qterms:
            j = _name_end(sent, i, qterms)
            words = [w.lower() for w in sent[i:j]]
            if any(w not in _STOP and w not in _CONNECTORS for w in words):
                yield i, j, "name:" + " ".join(words), "name"
            i = j
        else:
            if low not in _STOP and low not in qterms and len(low) > 2:
                yield i, i + 1, f"word:{low}", "word"
            i += 1


def _name_end(sent: list[str], i: int, qterms: dict[str, float], limit: int = 4) -> int:
    """End of the run of capitalised words starting at ``i`` (stops at question words)."""
    j, n = i + 1, len(sent)
    while j < n and j - i < limit and sent[j].lower() not in qterms and (
            sent[j][0].isupper() or (sent[j] in _CONNECTORS and j + 1 < n
                                     and sent[j + 1][0].isupper())):
        j += 1
    return j


def _date_at(sent: list[str], i: int):
    """A day-month-year date starting at token i: (end, key) or None."""
    window = [t.lower().rstrip(".,") for t in sent[i:i + 3]]
    if len(window) < 3:
        return None
    day, mon, year = window
    if window[0] in _MONTHS:  # "May 15, 1885"
        mon, day = window[0], window[1]
    if mon in _MONTHS and day.isdigit() and int(day) <= 31 and _YEAR.match(year):
        return i + 3, f"date:{year}-{_MONTHS[mon]:02d}-{int(day):02d}"
    return None


def _support(span: _Span, other: _Passage) -> float:
    """How far ``other`` states ``span`` too, in [0, 1]."""
    if span.key in other.keys:
        return 1.0
    if span.kind == "date":
        year = "year:" + span.key[5:9]
        clash = any(k.startswith("date:" + span.key[5:9]) for k in other.keys)
        return 0.0 if clash else (0.6 if year in other.keys else 0.0)
    if span.kind == "name":
        words = [w for w in span.key[5:].split() if w not in _STOP and w not in _CONNECTORS]
        return sum(w in other.vocab for w in words) / max(len(words), 1)
    return 0.0


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
            s_set = {t.lower() for t in s} - _STOP
            if len(s_set) < 3:
                continue
            for j, t in enumerate(q.tokens):
                t_set = {x.lower() for x in t} - _STOP
                overlap = len(s_set & t_set) / max(len(s_set | t_set), 1)
                if overlap < threshold or s_set == t_set and not _negation_differs(s, t):
                    continue
                found = _diff_spans(s, t)
                if found:
                    kind, span_a, span_b = found
                    strength = 0.55 + 0.45 * overlap
                    a = _Span("", kind, span_a, i, 0.0)
                    b = _Span("", kind, span_b, j, 0.0)
                    out.append(_pair(p, a, q, b, kind, strength))
    return out


def _negation_differs(s: list[str], t: list[str]) -> bool:
    """True when exactly one of the two sentences contains a negation."""
    neg_s = any(x in _NEGATIONS for x in s)
    neg_t = any(x in _NEGATIONS for x in t)
    return neg_s != neg_t


def _diff_spans(s: list[str], t: list[str]):
    """The first typed difference between two token lists: (kind, a, b) or None."""
    low_s, low_t = [x.lower() for x in s], [x.lower() for x in t]
    for op, i1, i2, j1, j2 in SequenceMatcher(None, low_s, low_t, autojunk=False).get_opcodes():
        a, b = s[i1:i2], t[j1:j2]
        if op == "equal" or len(a) > 6 or len(b) > 6:
            continue
        if len(a) + len(b) <= 3 and _negation_differs(a, b):
            return "negation", " ".join(a) or "(absent)", " ".join(b) or "(absent)"
        new_a = [x for x in a if x.lower() not in low_t and x.lower() not in _STOP]
        new_b = [x for x in b if x.lower() not in low_s and x.lower() not in _STOP]
        if op != "replace" or not new_a or not new_b:
            continue
        if any(x[0].isdigit() for x in new_a) and any(x[0].isdigit() for x in new_b):
            kind = "date" if any(_YEAR.match(x) for x in new_a + new_b) else "number"
            return kind, " ".join(a), " ".join(b)
        if any(x[0].isupper() for x in new_a) and any(x[0].isupper() for x in new_b):
            return "name", " ".join(a), " ".join(b)
    return None


def _answer_conflicts(passages, label, prediction) -> list[dict]:
    """A passage supporting the gold answer against one supporting the prediction."""
    if not label or not prediction or _norm(label) == _norm(prediction):
        return []
    gold = [p for p in passages if _states(p, label) and not _states(p, prediction)]
    wrong = [p for p in passages if _states(p, prediction) and not _states(p, label)]
    if not gold or not wrong:
        return []
    p, q = gold[0], wrong[0]
    a = _Span("", "answer", label, _sentence_with(p, label), 0.0)
    b = _Span("", "answer", prediction, _sentence_with(q, prediction), 0.0)
    return [_pair(p, a, q, b, "answer", 0.99)]


def _norm(text: str) -> str:
    return " ".join(t.lower() for t in _TOKEN.findall(text))


def _states(p: _Passage, answer: str) -> bool:
    """True when the passage contains the answer's words in order."""
    needle = _norm(answer)
    return bool(needle) and any(needle in " ".join(s).lower() for s in p.tokens)


def _sentence_with(p: _Passage, answer: str) -> int:
    needle = _norm(answer)
    return next(i for i, s in enumerate(p.tokens) if needle in " ".join(s).lower())


def _rejudge(judge, question: str, found: list[dict]) -> list[dict]:
    """Replace the lexical strength of the best pairs by the judge's probability."""
    for c in found:
        c["strength"] = float(judge.contradiction(c["sentence_a"], c["sentence_b"],
                                                  question=question))
    return sorted(found, key=lambda c: -c["strength"])


def _quote(sentence: str, span: str, width: int = 140) -> str:
    """The sentence around ``span`` with the span marked «like this»."""
    found = None
    if span and span != "(absent)":
        pattern = r"\W*".join(re.escape(t) for t in _TOKEN.findall(span))
        found = re.search(pattern, sentence) if pattern else None
    if found is None:
        text = sentence if len(sentence) <= 2 * width else sentence[: 2 * width] + "…"
        return text
    start, end = found.span()
    lo, hi = max(start - width, 0), min(end + width, len(sentence))
    return ("…" if lo else "") + sentence[lo:start] + f"«{sentence[start:end]}»" + \
        sentence[end:hi] + ("…" if hi < len(sentence) else "")


def _render_evidence(c: dict) -> str:
    """Readable evidence quoting both sentences."""
    return (f"{c['kind']} conflict ({c['strength']:.2f}): passage {c['passage_a']}: "
            f"\"{_quote(c['sentence_a'], c['span_a'])}\" vs passage {c['passage_b']}: "
            f"\"{_quote(c['sentence_b'], c['span_b'])}\"")


def _conflict_frame(rows: list[dict]) -> pl.DataFrame:
    schema = {"id": pl.Utf8, "passage_a": pl.Utf8, "sentence_a": pl.Utf8, "span_a": pl.Utf8,
              "passage_b": pl.Utf8, "sentence_b": pl.Utf8, "span_b": pl.Utf8,
              "kind": pl.Utf8, "strength": pl.Float64}
    return pl.DataFrame(rows, schema=schema)
