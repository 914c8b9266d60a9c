"""Labels page: mislabelled training rows, given → suggested counts, suspect gold labels."""
import polars as pl


def test_labels_shows_flagged_training_rows(open_page, helpers, intents_dir, intents):
    at = open_page(intents_dir, "labels")
    flagged = intents.summary["analyzers"]["noisy_label"]["findings"]["train_label_issues"]
    assert helpers.metric(at, "Training rows that look mislabelled") == f"{flagged:,}"
    confusion = helpers.table_with(at, "given_label", "suggested_label", "n_rows")
    assert confusion["n_rows"].sum() == flagged
    assert len(helpers.table_with(at, "given_label", "suggested_label", "label_quality")) == flagged


def test_labels_filters_by_class_pair(open_page, helpers, intents_dir, intents):
    at = open_page(intents_dir, "labels")
    issues = intents.table("train_issues").filter(pl.col("is_label_issue"))
    given, suggested = issues.group_by("label", "suggested_label").len().sort("len", descending=True).row(0)[:2]
    at.selectbox(key="labels_given").select(given).run()
    at.selectbox(key="labels_suggested").select(suggested).run()
    rows = helpers.table_with(at, "given_label", "suggested_label", "label_quality")
    expected = issues.filter((pl.col("label") == given) & (pl.col("suggested_label") == suggested)).height
    assert len(rows) == expected and set(rows["given_label"]) == {given}


def test_labels_lists_eval_rows_with_a_suspect_gold_label(open_page, helpers, intents_dir, intents):
    at = open_page(intents_dir, "labels")
    gold = helpers.table_with(at, "gold_label", "evidence_noisy_label")
    expected = intents.errors.filter(pl.col("causes").list.contains("noisy_label")
                                     & pl.col("evidence_noisy_label").str.contains("gold label .* looks wrong"))
    assert sorted(gold["id"]) == sorted(expected.get_column("id").to_list())
    assert len(gold) > 0
