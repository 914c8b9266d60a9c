"""The output contract: files, columns, types, value ranges; save/load; determinism."""
from __future__ import annotations

import json

import polars as pl
import pytest

import diagnose
import diagnose.cli
from diagnose.analyzers import CAUSES, REGISTRY
from diagnose.pipeline import RunConfig

QUIET = RunConfig(progress=False)


@pytest.fixture(scope="module")
def toy_result(toy_train, toy_eval):
    ann = pl.DataFrame({"id": ["ev-0000"] * 3 + ["tr-0001"] * 2, "annotator": ["a", "b", "c", "a", "b"],
                        "label": ["card_lost", "refund", "card_lost", "card_lost", "card_lost"]})
    return diagnose.run(toy_eval, toy_train, ann, config=QUIET)


def test_examples_columns_and_types(toy_result, toy_eval):
    ex = toy_result.examples
    assert ex.height == toy_eval.height
    assert ex.get_column("id").to_list() == toy_eval.get_column("id").to_list()
    assert ex.schema["is_error"] == pl.Boolean
    assert ex.schema["causes"] == pl.List(pl.Utf8)
    for cause in CAUSES:
        col = ex.get_column(f"score_{cause}")
        assert col.dtype == pl.Float64
        assert col.drop_nulls().is_between(0, 1).all()
    assert ex.get_column("is_error").sum() == 3


def test_primary_cause_semantics(toy_result):
    ex = toy_result.examples
    correct = ex.filter(~pl.col("is_error"))
    assert correct.get_column("primary_cause").null_count() == correct.height
    assert correct.get_column("causes").list.len().sum() == 0
    errors = toy_result.errors
    allowed = set(CAUSES) | {"unexplained"}
    assert set(errors.get_column("primary_cause").to_list()) <= allowed
    for causes, primary in errors.select("causes", "primary_cause").iter_rows():
        assert (primary == "unexplained") == (len(causes) == 0)
        assert primary == "unexplained" or primary in causes


def test_skipped_analyzer_has_null_scores_and_reason(toy_result):
    assert toy_result.examples.get_column("score_contradictory_context").null_count() == toy_result.examples.height
    status = toy_result.summary["analyzers"]["contradictory_context"]
    assert status["status"] == "skipped" and "context" in status["reason"]


def test_summary_counts_match_examples(toy_result):
    s = toy_result.summary
    assert s["n_errors"] == toy_result.errors.height
    for cause, n in s["counts"]["per_cause"].items():
        assert n == toy_result.errors.get_column("causes").list.contains(cause).sum()
    assert sum(s["counts"]["combinations"].values()) == s["n_errors"]
    assert set(s["thresholds"]) == set(CAUSES)
    assert s["seed"] == 0 and "cleanlab" in s["versions"]


def test_save_load_roundtrip(tmp_path, toy_result):
    out = toy_result.save(tmp_path / "res")
    names = {p.name for p in out.iterdir()}
    assert {"examples.parquet", "errors.parquet", "train_issues.parquet", "annotators.parquet", "summary.json",
            "report.html", "report.md"} <= names
    back = diagnose.load(out)
    assert back.examples.equals(toy_result.examples)
    assert back.summary["counts"] == toy_result.summary["counts"]
    assert json.loads((out / "summary.json").read_text())["format_version"] == "1.0"
    issues = pl.read_parquet(out / "train_issues.parquet")
    assert {"id", "is_label_issue", "suggested_label", "label_quality"} <= set(issues.columns)


def test_failed_save_leaves_nothing(tmp_path, toy_result, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(diagnose.Result, "to_html", boom)
    with pytest.raises(RuntimeError):
        toy_result.save(tmp_path / "res")
    assert list(tmp_path.iterdir()) == []


def test_force_replaces_previous_output(tmp_path, toy_result):
    toy_result.save(tmp_path / "res", reports=False)
    with pytest.raises(diagnose.errors.OutputExistsError):
        toy_result.save(tmp_path / "res", reports=False)
    toy_result.save(tmp_path / "res", force=True, reports=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]


def test_determinism(toy_train, toy_eval):
    a = diagnose.run(toy_eval, toy_train, config=QUIET, seed=3).examples
    b = diagnose.run(toy_eval.to_pandas(), toy_train.to_pandas(), config=QUIET, seed=3).examples
    assert a.equals(b)


def test_without_labels_still_scores(toy_train, toy_eval):
    result = diagnose.run(toy_eval.select("id", "text"), toy_train, config=QUIET)
    assert result.examples.get_column("is_error").null_count() == toy_eval.height
    assert result.examples.get_column("score_coverage_gap").null_count() == 0
    assert result.summary["accuracy"] is None


def test_unseen_label_is_coverage_gap(toy_train):
    ev = pl.DataFrame({"id": ["e1", "e2"], "text": ["crypto wallet frozen", "i lost my card today"],
                       "label": ["crypto", "card_lost"], "prediction": ["refund", "card_lost"]})
    with pytest.warns(UserWarning):
        result = diagnose.run(ev, toy_train, config=QUIET)
    row = result.examples.row(0, named=True)
    assert row["score_coverage_gap"] == 1.0 and "never appears in training" in row["evidence_coverage_gap"]


@pytest.mark.parametrize("cls", REGISTRY, ids=lambda c: c.name)
def test_registry_contract(cls, toy_train, toy_eval):
    """Every analyzer: lives in its cause package, fit returns self, one row per eval row."""
    assert cls.name in CAUSES and cls.__module__ == f"diagnose.causes.{cls.name}.analyzer" and cls.description
    data = diagnose.prepare(diagnose.load_inputs(toy_eval, toy_train, contexts=pl.DataFrame(
        {"id": ["ev-0000", "ev-0000"], "passage": ["It opened in 1990.", "It opened in 1875."]})))
    analyzer = cls()
    assert analyzer.skip_reason(data) is None or cls.name in ("annotator_inconsistency",)
    if analyzer.skip_reason(data):
        return
    assert analyzer.fit(data) is analyzer
    frame = analyzer.score(data)
    assert frame.columns[:1] == ["id"] and frame.height == toy_eval.height
    assert {f"score_{cls.name}", f"evidence_{cls.name}"} <= set(frame.columns)
    assert frame.get_column(f"score_{cls.name}").drop_nulls().is_between(0, 1).all()


def test_cli_run_and_report(tmp_path, toy_files, capsys):
    out = tmp_path / "out"
    code = diagnose.cli.main(["run", "--eval", str(toy_files["eval"]), "--train", str(toy_files["train"]),
                              "--out", str(out), "--seed", "1"])
    assert code == 0
    assert "3 errors in 32 labelled rows" in capsys.readouterr().out
    assert pl.read_parquet(out / "errors.parquet").height == 3
    md = tmp_path / "r.md"
    assert diagnose.cli.main(["report", str(out), "--format", "md", "--out", str(md)]) == 0
    assert md.read_text().strip()
    assert diagnose.cli.main(["report", str(out), "--format", "json"]) == 0


def test_cli_error_is_clear(tmp_path, capsys):
    code = diagnose.cli.main(["run", "--eval", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "o")])
    assert code == 2
    assert "missing.csv: file not found" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_result_is_immutable(toy_result):
    """The Result is built once: its summary (at any depth) and its table map refuse changes."""
    with pytest.raises(TypeError, match="immutable"):
        toy_result.summary["n_errors"] = 0
    with pytest.raises(TypeError, match="immutable"):
        toy_result.summary["counts"]["per_cause"]["coverage_gap"] = 0
    with pytest.raises(TypeError, match="immutable"):
        toy_result.tables["extra"] = toy_result.examples
    assert json.loads(json.dumps(toy_result.summary)) == toy_result.summary
    assert "peak_rss_gib_after_stage" in toy_result.summary
