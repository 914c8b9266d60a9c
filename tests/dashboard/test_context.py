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
