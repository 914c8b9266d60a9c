"""Any Unicode a dataset holds goes through every analyzer without a crash.

Superscript and other scripts' digits (``'¹'.isdigit()`` is True but ``float('¹')``
fails), fractions, full-width forms, zero-width characters, bidi marks, emoji
with ZWJ sequences and combining marks, in texts, labels, answers and passages.
"""
from __future__ import annotations

import polars as pl
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

import diagnose
from diagnose.analyzers import CAUSES
from diagnose.causes.contradictory_context._context_text import candidates, same_answer, tokens

QUIET = diagnose.RunConfig(progress=False)

#: fragments that broke, or could break, text handling: digits that are not ASCII
#: (superscripts, Arabic-Indic, Devanagari, full-width, circled), fractions,
#: full-width letters, zero-width space / joiner, bidi overrides, emoji (with
#: skin tone and ZWJ), combining marks, other scripts
ODD = ["¹", "²³", "٣", "٤٥", "३", "१२", "１２", "½", "¼", "Ⅻ", "①", "ＡＢＣ", "\u200b", "\u200d",
       "\u202e", "\u2066x\u2069", "👍🏽", "👩\u200d👩\u200d👧", "🏳️\u200d🌈", "e\u0301", "n\u0303\u0323",
       "Ω", "日本語", "ąčę", "\ufeff", "\u00a0", "¹,²", "3½", "٣.٥", "x²"]
WORDS = ["card", "refund", "top", "up", "rate", "Paris", "population", "census", "May", "2010"]
LABELS = ["card", "refund", "٣", "½", "👍🏽", "e\u0301"]

fragment = st.sampled_from(ODD + WORDS)
phrase = st.lists(fragment, min_size=1, max_size=6).map(" ".join)


def _passages(answer: str) -> list[str]:
    return [f"Foo had a population of {answer} at the 2010 census.",
            "Foo had a population of 1,204 at the 2010 census.",
            f"Born on {answer} May 1901 in Paris, she was a painter."]


def _tables(texts: list[str], task: str) -> dict[str, pl.DataFrame]:
    """Tiny eval/train/annotations/contexts tables built around ``texts``."""
    n = len(texts)
    tr_labels = [LABELS[i % len(LABELS)] for i in range(4 * n)]
    train = pl.DataFrame({"id": [f"tr{i}" for i in range(4 * n)],
                          "text": [f"{texts[i % n]} {WORDS[i % 10]} {i}" for i in range(4 * n)], "label": tr_labels})
    gold = [texts[i] if task == "generation" else LABELS[i % len(LABELS)] for i in range(n)]
    pred = [ODD[i % len(ODD)] if task == "generation" else LABELS[(i + i % 2) % len(LABELS)] for i in range(n)]
    questions = [t if i % 2 else f"What is the population of {t}?" for i, t in enumerate(texts)]
    ev = pl.DataFrame({"id": [f"ev{i}" for i in range(n)], "text": questions,
                       "label": gold, "prediction": pred})
    ann = pl.DataFrame({"id": [f"ev{i // 3}" for i in range(3 * n)], "annotator": [f"a{i % 3}" for i in range(3 * n)],
                        "label": [LABELS[(i // 3 + (i % 3 == 2)) % len(LABELS)] for i in range(3 * n)]})
    ctx = pl.DataFrame({"id": [f"ev{i // 3}" for i in range(3 * n)],
                        "passage": [_passages(texts[i // 3])[i % 3] for i in range(3 * n)]})
    return {"eval": ev, "train": train, "annotations": ann, "contexts": ctx}


def _check_statuses(result, task: str) -> None:
    status = result.summary["analyzers"]
    assert set(status) == set(CAUSES)
    for cause in ("coverage_gap", "contradictory_context"):
        assert status[cause]["status"] == "ran", status[cause]
    for cause in ("noisy_label", "annotator_inconsistency"):
        # classification only by design: on generation they are skipped with that reason
        expected = "ran" if task == "classification" else "skipped"
        assert status[cause]["status"] == expected, status[cause]


def test_a_number_of_5000_digits_in_a_passage():
    ev = pl.DataFrame({"id": ["q1"], "text": ["How many people live in Foo?"], "label": ["100"], "prediction": ["9"]})
    ctx = pl.DataFrame({"id": ["q1", "q1"], "passage": [f"Foo has {'9' * 5000} people.", "Foo has 100 people."]})
    result = diagnose.run(ev, contexts=ctx, task="generation", config=QUIET)
    assert result.summary["analyzers"]["contradictory_context"]["status"] == "ran"


def test_superscript_population_three_rows():
    """The 1M-row crash: a passage with a superscript number ('¹') beside a real one."""
    ev = pl.DataFrame({"id": ["q1", "q2", "q3"], "text": ["What was the population of Foo?"] * 3,
                       "label": ["100"] * 3, "prediction": ["¹", "200", "100"]})
    ctx = pl.DataFrame({"id": ["q1", "q1", "q2"],
                        "passage": ["Foo had a population of ¹ at the 2010 census.",
                                    "Foo had a population of 100 at the 2010 census.",
                                    "Foo had a population of ² people."]})
    result = diagnose.run(ev, contexts=ctx, task="generation", config=QUIET)
    assert result.summary["analyzers"]["contradictory_context"]["status"] == "ran"


@pytest.mark.parametrize("a, b, same", [
    ("num:¹", "num:100", False), ("num:²", "num:²", True), ("num:٣", "num:3", True),
    ("num:１２", "num:12", True), ("num:½", "num:0.5", False), ("num:①", "num:1", True),
])
def test_same_answer_with_unicode_digits(a, b, same):
    assert same_answer(a, b) is same


@pytest.mark.parametrize("sentence, keys", [
    ("Born on ¹ May 1901 in Paris.", {"year:1901", "name:paris"}),  # '¹'.isdigit(), int('¹') fails
    ("Born on ٣ May 1901.", {"date:1901-05-03"}),  # Arabic-Indic 3 is a decimal digit
    ("Born on １２ May 1901.", {"date:1901-05-12"}),
    (f"Born on {'9' * 5000} May 1901.", {"year:1901"}),  # int() refuses over 4,300 digits
], ids=["superscript", "arabic-indic", "full-width", "5000-digits"])
def test_dates_with_unicode_day_numbers(sentence, keys):
    found = {key for _, _, key, _ in candidates(tokens(sentence), {})}
    assert keys <= found


@pytest.mark.parametrize("task", ["classification", "generation"])
@settings(max_examples=6, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate], suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(phrase, min_size=6, max_size=8))
@example(texts=["\u200b", "\u202e", "👍🏽", "¹", "½", "e\u0301"])  # texts with no letter or ASCII digit at all
def test_every_analyzer_survives_odd_unicode(task, texts):
    tables = _tables(texts, task)
    result = diagnose.run(tables["eval"], tables["train"], tables["annotations"], tables["contexts"],
                          task=task, config=QUIET)
    _check_statuses(result, task)
    assert result.examples.height == len(texts)
