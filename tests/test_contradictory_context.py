"""Tests of the contradictory_context analyzer on small hand-made contexts."""
from __future__ import annotations

import hashlib
import struct
from importlib import resources

import polars as pl
import pytest

from diagnose.causes.contradictory_context import _context_models as models
from diagnose.causes.contradictory_context import _context_text as ctx
from diagnose.causes.contradictory_context.analyzer import (
    ContradictoryContext,
    _Question,
    _set_features,
)
from diagnose.core import Prepared

SCORE = "score_contradictory_context"
EVIDENCE = "evidence_contradictory_context"

# id -> (question, [passages], has a planted conflict)
CASES = {
    "year": ("When was the Cathedral of Saint Augustine established?", [
        ("The Cathedral of Saint Augustine is a church in Kalamazoo. It was established in 1856 "
        "by the first bishop."),
        ("The Cathedral of Saint Augustine is a church in Kalamazoo. It was established in 1900 "
        "by the first bishop."),
    ], True),
    "year_agree": ("When was the Cathedral of Saint Augustine established?", [
        ("The Cathedral of Saint Augustine is a church in Kalamazoo. It was established in 1856 "
        "by the first bishop."),
        "Founded as a parish, the cathedral was established in 1856 and rebuilt later.",
    ], False),
    "number": ("What is the population of Broken Bow?", [
        "As of the census of 2010, there were 3,559 people living in Broken Bow.",
        "As of the census of 2010, there were 10,000 people living in Broken Bow.",
    ], True),
    "number_agree": ("What is the population of Broken Bow?", [
        "As of the census of 2010, there were 3,559 people living in Broken Bow.",
        "Broken Bow is a city in Nebraska with a population of 3,559 at the 2010 census.",
    ], False),
    "name": ("Who directed the film Lahu Ke Do Rang?", [
        "Lahu Ke Do Rang is a 1979 Hindi film directed by Mahesh Bhatt.",
        "Lahu Ke Do Rang is a 1979 Hindi film directed by Raj Kapoor.",
    ], True),
    "name_agree": ("Who directed the film Lahu Ke Do Rang?", [
        "Lahu Ke Do Rang is a 1979 Hindi film directed by Mahesh Bhatt.",
        "Mahesh Bhatt directed Lahu Ke Do Rang, which stars Vinod Khanna.",
    ], False),
    "negation": ("Is the Karawanks Tunnel open to cars?", [
        "The Karawanks road tunnel is open to cars all year round.",
        "The Karawanks road tunnel is not open to cars all year round.",
    ], True),
    "negation_agree": ("Is the Karawanks Tunnel open to cars?", [
        "The Karawanks road tunnel is open to cars all year round.",
        "Cars can use the Karawanks road tunnel, which is open all year.",
    ], False),
}


def _prepared(cases=CASES, *, extra_ids=(), labels=None, predictions=None) -> Prepared:
    ids = list(cases) + list(extra_ids)
    ev = pl.DataFrame({
        "id": ids,
        "text": [cases[i][0] if i in cases else "What is it?" for i in ids],
        "label": pl.Series(labels or [None] * len(ids), dtype=pl.Utf8),
        "prediction": pl.Series(predictions or [None] * len(ids), dtype=pl.Utf8),
    })
    rows = [(i, f"{i}-p{j}", text) for i, (_, passages, _) in cases.items()
            for j, text in enumerate(passages)]
    ctx = pl.DataFrame(rows, schema=["id", "passage_id", "passage"], orient="row")
    return Prepared(task="generation", eval=ev, contexts=ctx)


@pytest.fixture(scope="module")
def scored():
    analyzer = ContradictoryContext()
    data = _prepared(extra_ids=["no_passages"])
    out = analyzer.fit(data).score(data)
    return analyzer, out


def _score(out: pl.DataFrame, row_id: str) -> float:
    return out.filter(pl.col("id") == row_id)[SCORE].item()


@pytest.mark.parametrize("kind", ["year", "number", "name", "negation"])
def test_planted_conflict_scores_above_agreement(scored, kind):
    _, out = scored
    assert _score(out, kind) > 0.5
    assert _score(out, f"{kind}_agree") < 0.5
    assert _score(out, kind) - _score(out, f"{kind}_agree") > 0.3


@pytest.mark.parametrize("kind,spans", [
    ("year", ("1856", "1900")), ("number", ("3,559", "10,000")),
    ("name", ("Mahesh Bhatt", "Raj Kapoor")), ("negation", ("not",)),
])
def test_evidence_quotes_both_sentences(scored, kind, spans):
    _, out = scored
    evidence = out.filter(pl.col("id") == kind)[EVIDENCE].item()
    assert f"{kind}-p0" in evidence and f"{kind}-p1" in evidence
    for span in spans:
        assert f"«{span}»" in evidence


@pytest.mark.parametrize("kind", ["year", "number", "name", "negation"])
def test_agreeing_passages_get_no_evidence(scored, kind):
    _, out = scored
    assert out.filter(pl.col("id") == f"{kind}_agree")[EVIDENCE].item() is None


def test_output_shape_and_types(scored):
    _, out = scored
    assert out.columns == ["id", SCORE, EVIDENCE]
    assert out["id"].to_list() == list(CASES) + ["no_passages"]
    assert out.schema[SCORE] == pl.Float64 and out.schema[EVIDENCE] == pl.Utf8
    assert out[SCORE].drop_nulls().is_between(0, 1).all()


def test_row_without_passages_is_null(scored):
    _, out = scored
    row = out.filter(pl.col("id") == "no_passages")
    assert row[SCORE].item() is None and row[EVIDENCE].item() is None


def test_conflict_table_and_summary(scored):
    analyzer, _ = scored
    table = analyzer.tables()["context_conflicts"]
    assert table.columns == ["id", "passage_a", "sentence_a", "span_a", "passage_b",
                             "sentence_b", "span_b", "kind", "strength"]
    by_id = {r["id"]: r for r in table.to_dicts()}
    assert {"year", "number", "name", "negation"} <= set(by_id)
    assert by_id["year"]["kind"] == "date" and by_id["negation"]["kind"] == "negation"
    assert {by_id["name"]["span_a"], by_id["name"]["span_b"]} == {"Mahesh Bhatt", "Raj Kapoor"}
    summary = analyzer.summary()
    assert summary["n_rows_with_passages"] == len(CASES)
    assert summary["n_rows_with_conflict"] == 4


def test_gold_and_wrong_answer_passages_make_an_answer_conflict():
    cases = {"q": ("Who recorded the song?", [
        "The song was first recorded by Ray Peterson in 1959.",
        "A cover sung by Elvis Presley reached the charts in 1970.",
    ], True)}
    data = _prepared(cases, labels=["Ray Peterson"], predictions=["Elvis Presley"])
    analyzer = ContradictoryContext()
    out = analyzer.score(data)
    assert out[SCORE].item() > 0.9
    row = analyzer.tables()["context_conflicts"].row(0, named=True)
    assert row["kind"] == "answer"
    assert {row["span_a"], row["span_b"]} == {"Ray Peterson", "Elvis Presley"}


def test_single_passage_has_score_zero_and_no_evidence():
    cases = {"q": ("When was the fort built?", ["The fort was built in 1867."], False)}
    out = ContradictoryContext().score(_prepared(cases))
    assert out[SCORE].item() == 0.0 and out[EVIDENCE].item() is None


@pytest.mark.parametrize("contexts", [None, pl.DataFrame(
    schema={"id": pl.Utf8, "passage_id": pl.Utf8, "passage": pl.Utf8})])
def test_skip_reason_without_contexts(contexts):
    ev = pl.DataFrame({"id": ["a"], "text": ["q?"], "label": ["x"], "prediction": ["y"]})
    data = Prepared(task="generation", eval=ev, contexts=contexts)
    analyzer = ContradictoryContext()
    assert "context" in analyzer.skip_reason(data)
    out = analyzer.score(data)
    assert out.height == 1 and out[SCORE].item() is None


def test_has_context_is_not_skipped():
    assert ContradictoryContext().skip_reason(_prepared()) is None


def test_deterministic_and_order_independent_of_other_rows():
    data = _prepared()
    first = ContradictoryContext().score(data)
    second = ContradictoryContext().score(data)
    assert first.equals(second)
    alone = ContradictoryContext().score(_prepared({"year": CASES["year"]}))
    assert alone[SCORE].item() == pytest.approx(_score(first, "year"))


def test_params_and_description():
    analyzer = ContradictoryContext(top_k=5)
    assert analyzer.get_params()["top_k"] == 5
    assert ContradictoryContext.name == "contradictory_context"
    assert len(ContradictoryContext.description) > 100


# ---------------------------------------------------------------- category answers, noise
SPORT = "What sport is Scott Jackson associated with?"
NAMESAKES = {
    "sport": (SPORT, [
        ("Scott Jackson (born 1979) is a former American football offensive lineman who played "
        "for the Houston Texans."),
        ("Scott Jackson (born 1985) is a Canadian ice hockey player who played for the Toronto "
        "Maple Leafs."),
    ], True),
    "sport_agree": (SPORT, [
        ("Scott Jackson (born 1979) is a former American football offensive lineman who played "
        "for the Houston Texans."),
        ("Jackson played American football in college before the Houston Texans signed him as "
        "a lineman."),
    ], False),
}
BOILERPLATE = ("Log in to your account. Privacy policy. Terms of use. Contact us. Copyright 2024 "
               "all rights reserved.")


def test_category_question_uses_the_lexicon():
    assert ctx.answer_type(SPORT) == "category"
    assert ctx.answer_type("What is the genre of the film Bright Lights?") == "category"
    assert ctx.subject_terms(SPORT) == {"scott", "jackson"}
    tokens = ["He", "played", "American", "football", "and", "ice", "hockey"]
    keys = {key for _, _, key, _ in ctx.candidates(tokens, ctx.question_terms(SPORT))}
    assert {"word:american football", "word:ice hockey"} <= keys


def test_namesakes_with_different_sports_conflict():
    analyzer = ContradictoryContext()
    out = analyzer.score(_prepared(NAMESAKES))
    assert _score(out, "sport") > 0.5 > _score(out, "sport_agree")
    evidence = out.filter(pl.col("id") == "sport")[EVIDENCE].item()
    assert "«American football»" in evidence and "«ice hockey»" in evidence


def test_irrelevant_passage_has_low_relevance_and_adds_no_conflict():
    question, passages, _ = CASES["year_agree"]
    q = _Question.read(question)
    analyzer = ContradictoryContext()
    relevant = analyzer._read("a", passages[0], q).relevance
    assert analyzer._read("n", BOILERPLATE, q).relevance < 0.5 < relevant
    cases = {"noisy": (question, passages + [BOILERPLATE], False)}
    out = analyzer.score(_prepared(cases))
    assert _score(out, "noisy") < 0.5
    assert out[EVIDENCE].item() is None


def test_same_answer_matches_forms_of_one_answer():
    assert ctx.same_answer("name:johnny mathis", "name:johnny mathis cd")
    assert not ctx.same_answer("name:raj kapoor", "name:mahesh bhatt")
    assert ctx.same_answer("year:1590", "date:1590-03-16")
    assert not ctx.same_answer("year:1590", "date:1591-03-16")
    assert ctx.same_answer("num:7723", "num:7899")  # two censuses, one population
    assert not ctx.same_answer("num:3559", "num:10000")
    assert not ctx.same_answer("num:1856", "year:1856")


def test_substitution_finds_edited_copies_not_shifted_chunks():
    text = ("The parish was founded in 1856 , the present church building was completed in "
            "1951 , and it was raised to cathedral status in 1970 by the bishop of Kalamazoo .")
    words = ctx.tokens(text)
    edited = ctx.tokens(text.replace("1856", "1900"))
    shifted = ctx.tokens(text.split(" , ", 1)[1] + " It is a large church .")
    assert ctx.substitution(words, edited) > 0.9
    assert ctx.substitution(words, words) == 0.0
    assert ctx.substitution(words, shifted) == 0.0
    assert ctx.substitution(words, ctx.tokens("Nothing in common here at all .")) == 0.0


def test_fitted_models_match_their_feature_vectors():
    q = _Question.read("Who directed the film Lahu Ke Do Rang?")
    tokens = [ctx.tokens("Lahu Ke Do Rang is a 1979 film directed by Mahesh Bhatt.")]
    feats, _ = ctx.candidate_features(tokens, [t.lower() for t in tokens[0]], q, 12.0)
    f = feats["name:mahesh bhatt"]
    assert len(models.candidate_vector(f)) == len(models.CANDIDATE_MODEL[0])
    assert "name|before|by" in f["cues"]
    assert all(isinstance(w, float) for w in models.CUE_WEIGHTS.values())
    rel = models.relevance_vector([0.5], ["a", "b"], frozenset({"a"}), {"a": 1.0})
    assert len(rel) == len(models.RELEVANCE_MODEL[0])
    p = ContradictoryContext()._read("a", NAMESAKES["sport"][1][0], _Question.read(SPORT))
    features, _ = _set_features([p, p], [])
    assert len(features) == len(models.SET_MODEL[0])
    assert 0.0 <= float(models.logistic(models.SET_MODEL, [features])[0]) <= 1.0


def test_candidate_cues_change_the_probability(monkeypatch):
    q = _Question.read("Who directed the film Lahu Ke Do Rang?")
    tokens = [ctx.tokens("Lahu Ke Do Rang is a 1979 film directed by Mahesh Bhatt.")]
    feats, _ = ctx.candidate_features(tokens, [t.lower() for t in tokens[0]], q, 12.0)
    f = feats["name:mahesh bhatt"]
    monkeypatch.setattr(models, "CUE_WEIGHTS", {})
    plain = float(models.candidate_probs([f])[0])
    monkeypatch.setattr(models, "CUE_WEIGHTS", {"name|before|by": 2.0})
    assert float(models.candidate_probs([f])[0]) > plain
    assert models.candidate_probs([]).shape == (0,)


def test_ordinals_and_zero_padded_numbers_are_not_candidates():
    toks = ctx.tokens("He was the 1st Earl, born 16 March 1590.2 and listed on 2010-01-04.")
    keys = {key for _, _, key, _ in ctx.candidates(toks, {})}
    assert "date:1590-03-16" in keys  # a footnote number after the year is dropped
    assert "year:2010" in keys
    assert not any(k in keys for k in ("num:1", "num:01", "num:04", "num:1st"))


def test_support_matches_word_forms_and_years_inside_dates():
    vocab = ctx.with_stems({"a", "former", "footballer"})
    assert ctx.support("word:football", set(), vocab) == 1.0
    assert ctx.support("word:basketball", set(), vocab) == 0.0
    assert ctx.support("year:1765", {"date:1765-08-22"}, set()) == 1.0
    assert ctx.root("directed") == ctx.root("director")
    assert ctx.root("died") == ctx.root("die")


def test_same_sport_in_other_word_forms_is_not_a_conflict():
    question = "What sport is Tim Steele associated with?"
    cases = {
        "forms": (question, [
            "Tim Steele is an English former professional footballer who played as a winger.",
            "Tim Steele played football for Reading and Hereford United in the Football League.",
        ], False),
        "sports": (question, [
            "Tim Steele is an English former professional footballer who played as a winger.",
            "Tim Steele is an American former professional basketball player in the NBA.",
        ], True),
    }
    out = ContradictoryContext().score(_prepared(cases))
    assert _score(out, "forms") < 0.5 < _score(out, "sports")


def _weights_digest(fitted: dict) -> str:
    """SHA-256 over the IEEE-754 bytes of every fitted weight (cues by sorted key)."""
    h = hashlib.sha256()
    for name in ("CANDIDATE_MODEL", "RELEVANCE_MODEL", "SET_MODEL"):
        coef, intercept = fitted[name]
        h.update(struct.pack(f"<{len(coef) + 1}d", *coef, intercept))
    for cue in sorted(fitted["CUE_WEIGHTS"]):
        h.update(cue.encode())
        h.update(struct.pack("<d", fitted["CUE_WEIGHTS"][cue]))
    return h.hexdigest()


def test_weights_are_package_data_equal_to_the_former_constants():
    # The digest of the constants that sat in _context_models.py before they moved to
    # weights.json (commit 38f07de): loading the JSON gives them back bit for bit.
    # `python -m benchmarks.context_ramdocs --fit` changes the weights; update it then.
    fitted = {name: getattr(models, name) for name in models.FITTED}
    assert _weights_digest(fitted) == "53d6a5921036763c2af125cfc7cba4155d18ed8a37ca2c50ab9e1f04eefc8399"
    assert len(models.CUE_WEIGHTS) == 702 and models.SET_MODEL[1] == -1.711
    assert models.CANDIDATE_MODEL[0][:3] == (0.266, 0.989, 0.577)
    shipped = resources.files(models.__package__).joinpath(models.WEIGHTS_FILE).read_text(encoding="utf-8")
    assert models.weights_from_json(models.weights_to_json(fitted)) == fitted
    assert models.weights_to_json(fitted) == shipped
