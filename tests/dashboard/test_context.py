"""Context page: conflicting passages side by side with the differing spans highlighted."""
import polars as pl


def test_context_shows_conflicts_side_by_side(open_page, helpers, rag_dir, rag):
    at = open_page(rag_dir, "context")
    conflicts = rag.table("context_conflicts").join(rag.examples.select("id", "is_error"), on="id")
    on_errors = conflicts.filter(pl.col("is_error"))
    assert helpers.metric(at, "Rows with a conflict") == f"{on_errors.get_column('id').n_unique():,}"
    assert len(helpers.table_with(at, "kind", "strength", "span_a", "span_b")) == on_errors.height
    highlighted = [m.value for m in at.markdown if ":orange-background[" in m.value]
    assert len(highlighted) == 2  # one sentence per side

    at.toggle(key="context_only_errors").set_value(False).run()
    assert helpers.metric(at, "Conflicting passage pairs") == f"{conflicts.height:,}"


def test_context_page_without_contexts(open_page, intents_dir):
    at = open_page(intents_dir, "context")
    assert any("no retrieved contexts were given" in i.value for i in at.info)


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
