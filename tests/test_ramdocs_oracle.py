"""The RAMDocs oracle of ``benchmarks --ceilings`` changes only what it claims and restores the analyzer."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks._ramdocs_oracle import oracle_reader
from diagnose.causes.contradictory_context.analyzer import ContradictoryContext, _Question

QUESTION = "Who directed the film Blue River?"
ROWS = [{"question": QUESTION, "documents": [
    {"text": "Blue River is a 1990 film directed by John Smith. It stars Anna Lee and Peter Brown.",
     "type": "correct", "answer": "Peter Brown"},
    {"text": "The weather in Paris was mild in May.", "type": "noise", "answer": "unknown"},
]}]


def _read(doc: int):
    return ContradictoryContext()._read("d", ROWS[0]["documents"][doc]["text"], _Question.read(QUESTION))


def test_oracle_relevance_and_extraction_follow_the_labels_and_are_undone():
    plain = _read(0)
    assert plain.spans[0].text != "Peter Brown"  # the lexical reader prefers the director
    with oracle_reader(ROWS, extraction=False, relevance=True):
        assert (_read(0).relevance, _read(1).relevance) == (0.98, 0.02)
        assert _read(0).spans == plain.spans
    with oracle_reader(ROWS, extraction=True, relevance=False):
        forced = _read(0)
        assert forced.spans[0].text == "Peter Brown" and forced.spans[0].weight == 0.95
        assert forced.relevance == plain.relevance
        assert max(forced.dist, key=forced.dist.get) == forced.spans[0].key
    after = _read(0)
    assert after.spans == plain.spans and after.relevance == plain.relevance
