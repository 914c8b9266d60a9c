"""Overview page: the headline numbers and counts match the result's summary."""
import diagnose


def test_overview_shows_summary_counts(open_page, helpers, intents_dir, intents):
    s = intents.summary
    at = open_page(intents_dir, "overview")
    assert at.title[0].value == "Overview"
    assert helpers.metric(at, "Eval rows") == f"{s['n_eval']:,}"
    assert helpers.metric(at, "Errors") == f"{s['n_errors']:,}"
    assert helpers.metric(at, "Accuracy") == f"{s['accuracy']:.1%}"

    causes = helpers.table_with(at, "cause", "n_errors").set_index("cause")["n_errors"].to_dict()
    expected = {**s["counts"]["per_cause"], "unexplained": s["counts"]["unexplained"]}
    assert causes == expected

    combos = helpers.table_with(at, "causes", "n_errors")
    assert dict(zip(combos["causes"], combos["n_errors"])) == s["counts"]["combinations"]

    classes = helpers.table_with(at, "label", "error_rate", "dominant_cause")
    assert classes["n_errors"].sum() == s["n_errors"]


def test_overview_lists_every_registered_analyzer(open_page, helpers, rag_dir, rag):
    at = open_page(rag_dir, "overview")
    status = helpers.table_with(at, "analyzer", "status").set_index("analyzer")["status"].to_dict()
    for cls in diagnose.REGISTRY:
        assert status[cls.name] == rag.summary["analyzers"][cls.name]["status"]
    assert "skipped" in status.values()  # the RAG scenario has no training rows


def test_the_app_opens_on_the_overview(open_page, intents_dir):
    at = open_page(intents_dir)
    assert at.title[0].value == "Overview"
    assert any(b.label.startswith("Download audit report") for b in at.get("download_button"))
