"""Annotators page: alpha, per-annotator quality, pairwise agreement, disputed items."""
import polars as pl


def test_annotators_shows_alpha_and_quality(open_page, helpers, intents_dir, intents):
    at = open_page(intents_dir, "annotators")
    findings = intents.summary["analyzers"]["annotator_inconsistency"]["findings"]
    assert helpers.metric(at, "Krippendorff's alpha") == f"{findings['krippendorff_alpha']:.3f}"
    assert helpers.metric(at, "Reading") == findings["alpha_reading"]
    table = helpers.table_with(at, "annotator", "quality", "agreement_with_consensus")
    assert len(table) == intents.table("annotators").height == findings["n_annotators"]


def test_pairwise_agreement_matrix_matches_the_annotations(open_page, helpers, intents_dir, intents):
    at = open_page(intents_dir, "annotators")
    matrix = helpers.table_with(at, "annotator_a").set_index("annotator_a")
    names = sorted(intents.table("annotations").get_column("annotator").unique().to_list())
    assert list(matrix.index) == names
    assert all(matrix.loc[n, n] == 1.0 for n in names)
    a, b = names[0], names[1]
    ann = intents.table("annotations")
    both = ann.filter(pl.col("annotator") == a).join(ann.filter(pl.col("annotator") == b), on="id")
    if both.height:
        expected = (both["label"] == both["label_right"]).mean()
        assert abs(matrix.loc[a, b] - expected) < 1e-9 and abs(matrix.loc[b, a] - expected) < 1e-9


def test_most_disputed_items_come_first(open_page, helpers, intents_dir):
    at = open_page(intents_dir, "annotators")
    disputed = helpers.table_with(at, "consensus_label", "agreement", "votes")
    assert len(disputed) > 0
    assert list(disputed["agreement"]) == sorted(disputed["agreement"])


def test_annotators_page_of_a_skipped_analyzer_shows_the_reason(open_page, rag_dir, rag):
    at = open_page(rag_dir, "annotators")
    reason = rag.summary["analyzers"]["annotator_inconsistency"]["reason"]
    assert [i.value for i in at.info] == [
        f"Nothing to show here: the annotator_inconsistency analyzer was skipped: {reason}"]
    assert len(at.metric) == 0 and len(at.dataframe) == 0 and len(at.subheader) == 0
