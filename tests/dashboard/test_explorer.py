"""Error explorer: filtering errors, and one error with all its evidence."""
import polars as pl


def test_explorer_filters_by_cause(open_page, helpers, intents_dir, intents):
    at = open_page(intents_dir, "explorer")
    counts = intents.summary["counts"]
    assert any(f"{intents.summary['n_errors']:,} of" in c.value for c in at.caption)
    at.multiselect(key="explorer_causes").select("noisy_label").run()
    assert any(c.value.startswith(f"{counts['per_cause']['noisy_label']:,} of") for c in at.caption)
    at.multiselect(key="explorer_causes").unselect("noisy_label").select("unexplained").run()
    assert len(helpers.table_with(at, "id", "top_score")) == counts["unexplained"]


def test_explorer_opens_one_error_with_its_evidence(open_page, helpers, dash_data, intents_dir, intents):
    at = open_page(intents_dir, "explorer")
    err = (intents.errors.filter(pl.col("causes").list.contains("noisy_label")).sort("id").row(0, named=True))
    at.selectbox(key="explorer_error").select(err["id"]).run()
    assert not at.exception
    shown = [m.value for m in at.markdown]
    assert f"**{dash_data.escape_markdown(err['label'])}**" in shown
    assert f"**{dash_data.escape_markdown(err['prediction'])}**" in shown
    labels = [e.label for e in at.expander]
    assert any(f"noisy_label: {err['score_noisy_label']:.2f}" in lab for lab in labels)
    escaped = dash_data.escape_markdown(err["evidence_noisy_label"])
    assert any(m.value == escaped for m in at.markdown)

    neighbours = helpers.table_with(at, "rank", "train_id", "is_label_issue")
    expected = intents.table("neighbors").filter(pl.col("id") == err["id"]).get_column("train_id").to_list()
    assert list(neighbours["train_id"]) == expected
    votes = helpers.table_with(at, "annotator", "label")
    assert len(votes) == intents.table("annotations").filter(pl.col("id") == err["id"]).height
