"""Coverage page: the 2-D map and the under-covered regions."""
import polars as pl


def test_coverage_shows_map_and_regions(open_page, helpers, intents_dir, intents):
    at = open_page(intents_dir, "coverage")
    assert at.title[0].value == "Coverage"
    assert len(at.get("vega_lite_chart")) == 1  # the map
    regions = intents.table("coverage_regions")
    shown = helpers.table_with(at, "region", "n_rows", "top_terms")
    assert len(shown) == regions.height
    assert shown["n_errors"].sum() == regions.get_column("n_errors").sum()

    first = int(at.selectbox(key="coverage_region").value)
    ids = regions.filter(pl.col("region") == first).get_column("example_ids").item().to_list()
    assert sorted(helpers.table_with(at, "id", "score_coverage_gap", "is_error")["id"]) == sorted(ids)

    gap = helpers.table_with(at, "score_coverage_gap", "evidence_coverage_gap")
    assert len(gap) == intents.summary["counts"]["per_cause"]["coverage_gap"]


def test_coverage_of_a_skipped_analyzer_shows_the_reason_and_no_map(open_page, rag_dir, rag):
    at = open_page(rag_dir, "coverage")
    reason = rag.summary["analyzers"]["coverage_gap"]["reason"]
    assert [i.value for i in at.info] == [f"Nothing to show here: the coverage_gap analyzer was skipped: {reason}"]
    assert len(at.get("vega_lite_chart")) == 0  # no map for an analyzer that did not run
    assert len(at.subheader) == 0 and len(at.dataframe) == 0
