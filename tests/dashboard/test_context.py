"""Context page: conflicting passages side by side with the differing spans highlighted."""
import polars as pl

from diagnose.report import build_document


def test_context_counts_what_the_report_counts(open_page, helpers, rag_dir, rag):
    at = open_page(rag_dir, "context")
    explained = rag.summary["counts"]["per_cause"]["contradictory_context"]
    findings = rag.summary["analyzers"]["contradictory_context"]["findings"]
    assert helpers.metric(at, "Errors explained") == f"{explained:,}"
    report = {c["name"]: c for c in build_document(rag)["causes"]}["contradictory_context"]
    assert report["n_errors"] == explained  # the report's count of the same fact
    assert helpers.metric(at, "Rows with a strong conflict") == f"{findings['n_rows_with_conflict']:,}"
    assert helpers.metric(at, "Rows with passages") == f"{findings['n_rows_with_passages']:,}"
    shown = helpers.table_with(at, "kind", "strength", "span_a", "span_b")
    attributed = rag.errors.filter(pl.col("causes").list.contains("contradictory_context"))
    assert sorted(shown["id"]) == sorted(attributed.get_column("id").to_list())
    assert len(shown) == explained


def test_context_shows_conflicts_side_by_side(open_page, helpers, rag_dir, rag):
    at = open_page(rag_dir, "context")
    highlighted = [m.value for m in at.markdown if ":orange-background[" in m.value]
    assert len(highlighted) == 2  # one sentence per side

    at.toggle(key="context_only_errors").set_value(False).run()
    conflicts = rag.table("context_conflicts")
    assert len(helpers.table_with(at, "kind", "strength", "span_a", "span_b")) == conflicts.height


def test_context_page_without_contexts_says_the_analyzer_was_skipped(open_page, intents_dir, intents):
    at = open_page(intents_dir, "context")
    reason = intents.summary["analyzers"]["contradictory_context"]["reason"]
    assert [i.value for i in at.info] == [
        f"Nothing to show here: the contradictory_context analyzer was skipped: {reason}"]
    assert len(at.metric) == 0 and len(at.dataframe) == 0


def test_context_page_says_why_when_only_errors_hides_every_conflict(open_page, tmp_path):
    import diagnose
    from diagnose.sample import sample_paths

    p = sample_paths()
    ev = pl.read_csv(p["rag_eval"]).with_columns(prediction=pl.col("label"))  # a perfect model: no errors
    result = diagnose.run(eval=ev, contexts=p["rag_contexts"], config=diagnose.RunConfig(progress=False))
    assert result.table("context_conflicts").height > 0
    at = open_page(result.save(tmp_path / "perfect", reports=False), "context")
    assert any("turn off the toggle" in c.value for c in at.caption)
    at.toggle(key="context_only_errors").set_value(False).run()
    assert not any("turn off the toggle" in c.value for c in at.caption)
