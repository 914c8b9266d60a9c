"""End to end: `diagnose demo` on the bundled sample data finds the planted faults."""
from __future__ import annotations

import json

import polars as pl
import pytest

import diagnose
import diagnose.cli
from diagnose.sample import sample_paths


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "out"
    assert diagnose.cli.main(["demo", "--out", str(out), "--quiet"]) == 0
    return out


def _recall(result, truth_file: str, cause: str) -> float:
    truth = pl.read_csv(sample_paths()["intents_eval"].parent / truth_file).with_columns(pl.col("planted").fill_null(""))
    rows = result.errors.join(truth, on="id").filter(pl.col("planted").str.contains(cause))
    assert rows.height > 0
    return rows.get_column("causes").list.contains(cause).mean()


def test_demo_writes_both_scenarios(demo_dir):
    assert json.loads((demo_dir / "summary.json").read_text())["demo"] == ["intents", "rag"]
    for name in ("intents", "rag"):
        folder = demo_dir / name
        assert {"examples.parquet", "errors.parquet", "summary.json", "report.html", "report.md"} <= {p.name for p in folder.iterdir()}
    assert not [p for p in demo_dir.parent.iterdir() if ".tmp-" in p.name]


def _precision(result, truth_file: str, cause: str) -> float:
    truth = pl.read_csv(sample_paths()["intents_eval"].parent / truth_file).with_columns(pl.col("planted").fill_null(""))
    given = result.errors.join(truth, on="id").filter(pl.col("causes").list.contains(cause))
    assert given.height > 0
    return given.get_column("planted").str.contains(cause).mean()


# recall and precision of each planted cause among the demo's errors (measured with the calibrated
# verdicts: coverage 1.00 / 1.00, noisy_label 0.96 / 0.90, annotator_inconsistency 0.63 / 1.00)
@pytest.mark.parametrize("cause, recall, precision", [("coverage_gap", 0.9, 0.9), ("noisy_label", 0.9, 0.8),
                                                      ("annotator_inconsistency", 0.6, 0.9)])
def test_intents_planted_faults_found(demo_dir, cause, recall, precision):
    result = diagnose.load(demo_dir / "intents")
    assert _recall(result, "intents_truth.csv", cause) >= recall
    assert _precision(result, "intents_truth.csv", cause) >= precision


def test_unlabelled_production_rows_flagged_as_coverage_gaps(demo_dir):
    ex = diagnose.load(demo_dir / "intents").examples.filter(pl.col("id").str.starts_with("pr-"))
    assert ex.height == 40 and ex.get_column("is_error").null_count() == 40
    assert (ex.get_column("score_coverage_gap") >= 0.9).mean() >= 0.7
    # an unlabelled row gets the verdict an error with the same score would get, and no primary cause
    assert ex.get_column("causes").list.contains("coverage_gap").mean() >= 0.7
    assert ex.get_column("primary_cause").null_count() == ex.height


def test_rag_conflicts_found_with_quoted_evidence(demo_dir):
    result = diagnose.load(demo_dir / "rag")
    assert _recall(result, "rag_truth.csv", "contradictory_context") >= 0.7
    conflicts = result.table("context_conflicts")
    assert conflicts is not None and conflicts.height > 0
    assert conflicts.get_column("sentence_a").str.len_chars().min() > 0
    assert result.summary["analyzers"]["coverage_gap"]["status"] == "skipped"
