"""``diagnose.run(analyzers=[...])``: a configured analyzer replaces the default of its cause."""
from __future__ import annotations

import polars as pl
import pytest

import diagnose
from diagnose.analyzers import ContradictoryContext, CoverageGap
from diagnose.errors import InputError
from diagnose.judge import ChatJudge, NLIJudge

EVAL = pl.DataFrame({
    "id": ["q1", "q2"],
    "text": ["When was the bridge built?", "Who wrote the novel?"],
    "label": ["1856", "Jane Roe"],
    "prediction": ["1900", "Jane Roe"],
})
CONTEXTS = pl.DataFrame({
    "id": ["q1", "q1", "q2", "q2"],
    "passage_id": ["a", "b", "c", "d"],
    "passage": ["The bridge was built in 1856 by the city.", "The bridge was built in 1900 by the city.",
                "The novel was written by Jane Roe.", "Jane Roe wrote the novel in Paris."],
})


class CountingJudge:
    """Says every pair contradicts (1.0) and counts the pairs it saw."""

    def __init__(self):
        self.pairs = []

    def contradiction(self, sentence_a, sentence_b, *, question=None):
        self.pairs.append((sentence_a, sentence_b))
        return 1.0


def _run(**kwargs):
    return diagnose.run(EVAL, contexts=CONTEXTS, task="generation",
                        config=diagnose.RunConfig(progress=False), **kwargs)


def test_given_analyzer_replaces_the_default_and_its_settings_are_reported():
    judge = CountingJudge()
    result = _run(analyzers=[ContradictoryContext(judge=judge, min_strength=0.0)])
    assert judge.pairs, "the pipeline did not use the given analyzer"
    status = result.summary["analyzers"]["contradictory_context"]
    assert status["settings"]["min_strength"] == 0.0
    assert " at 0x" not in status["settings"]["judge"]  # no memory address: same summary every run
    default = _run().summary["analyzers"]["contradictory_context"]["settings"]
    assert default["judge"] is None and default["min_strength"] == 0.25
    assert set(result.summary["analyzers"]) == set(diagnose.analyzers.CAUSES)


def test_a_single_analyzer_is_accepted_without_a_list():
    judge = CountingJudge()
    _run(analyzers=ContradictoryContext(judge=judge))
    assert judge.pairs


@pytest.mark.parametrize("given, expected", [
    ([ContradictoryContext, ], "expected configured analyzer objects"),
    (["contradictory_context"], "expected configured analyzer objects"),
    ([CoverageGap(), CoverageGap(k=3)], "at most one analyzer per cause; found two for 'coverage_gap'"),
])
def test_bad_analyzers_are_refused_before_any_work(given, expected):
    with pytest.raises(InputError, match=expected):
        _run(analyzers=given)


def test_judges_describe_themselves_without_secrets(monkeypatch):
    monkeypatch.setenv("MY_KEY", "s3cret")
    assert repr(NLIJudge("models/nli")) == "NLIJudge(model_path='models/nli', device=None)"
    text = repr(ChatJudge("http://127.0.0.1:8000/v1", "tiny", api_key_env="MY_KEY"))
    assert "MY_KEY" in text and "s3cret" not in text
