"""Pages on results with nothing to show: no labels, no annotations, skipped analyzers, a generation task.

Each empty table or section must say why it is empty, and no widget may suggest a finding
(a count of 0 annotators, an annotator table that is empty) that the result does not hold.
"""


def _infos(at) -> list[str]:
    return [i.value for i in at.info]


def _captions(at) -> list[str]:
    return [c.value for c in at.caption]


def test_overview_without_labels_says_why_the_tables_are_empty(open_page, unlabelled_dir):
    at = open_page(unlabelled_dir, "overview")
    assert any("no eval row has both a gold label and a prediction" in i for i in _infos(at))
    assert "No rows." not in _captions(at)  # every empty table carries its reason
    assert any(c.startswith("No rows: ") for c in _captions(at))


def test_annotators_page_without_annotations_shows_near_duplicate_conflicts(open_page, helpers, unlabelled_dir):
    at = open_page(unlabelled_dir, "annotators")
    assert any("no annotations were given" in i for i in _infos(at))
    assert not any(m.label == "Annotators" for m in at.metric)  # not "0 annotators" and "alpha n/a"
    assert not any("produced no such table" in c for c in _captions(at))
    items = helpers.table_with(at, "consensus_label", "agreement")
    assert len(items) > 0 and "votes" not in items.columns
    assert [s.value for s in at.subheader] == ["Near-duplicate rows with conflicting labels"]


def test_explorer_without_errors_explains_instead_of_offering_filters(open_page, unlabelled_dir):
    at = open_page(unlabelled_dir, "explorer")
    assert any("no eval row has both a gold label and a prediction" in i for i in _infos(at))
    assert len(at.multiselect) == 0 and len(at.dataframe) == 0


def test_labels_and_coverage_without_errors_say_so(open_page, unlabelled_dir):
    labels = open_page(unlabelled_dir, "labels")
    assert not any("0 errors attributed" in c for c in _captions(labels))
    assert any("no error can be counted" in i for i in _infos(labels))
    coverage = open_page(unlabelled_dir, "coverage")
    assert any("no error can be counted" in i for i in _infos(coverage))


def test_skipped_analyzers_are_explained_once(open_page, rag_dir):
    labels = open_page(rag_dir, "labels")
    assert len(labels.info) == 1 and "noisy_label analyzer was skipped" in labels.info[0].value
    assert not any("0 errors attributed" in c for c in _captions(labels))
    coverage = open_page(rag_dir, "coverage")
    assert "Errors attributed to a coverage gap" not in [s.value for s in coverage.subheader]
    assert "No rows." not in _captions(coverage)


def test_generation_overview_has_no_per_class_table(open_page, rag_dir):
    at = open_page(rag_dir, "overview")
    assert not any("error_rate" in f.value.columns for f in at.dataframe)
    assert any("generation task" in c for c in _captions(at))
