"""Start page: open a saved result, diagnose uploaded files, errors shown in the page."""
import io

import polars as pl
import pytest

import diagnose
from diagnose.sample import sample_paths


def test_start_page_offers_three_ways_in(open_page):
    at = open_page(None)
    assert at.title[0].value == "diagnose"
    assert [t.label for t in at.tabs] == ["Open a saved result", "Diagnose my files", "Try the sample"]
    assert at.button(key="start_run").disabled  # no eval file yet


def test_opening_a_bad_directory_shows_the_library_message(open_page, tmp_path):
    at = open_page(None)
    at.text_input(key="start_dir").input(str(tmp_path)).run()
    at.button(key="start_open").click().run()
    with pytest.raises(diagnose.DiagnoseError) as expected:
        diagnose.load(tmp_path)
    assert not at.exception
    assert [e.value for e in at.error] == [str(expected.value)]
    assert at.title[0].value == "diagnose"  # still on the start page, still working


def test_opening_a_result_goes_to_the_overview(open_page, intents_dir):
    at = open_page(None)
    at.text_input(key="start_dir").input(str(intents_dir)).run()
    at.button(key="start_open").click().run()
    assert not at.exception
    assert at.title[0].value == "Overview"


def test_a_bad_upload_shows_the_library_message(open_page, tmp_path):
    bad = b"id,words\ne1,hello\ne2,world\n"
    at = open_page(None)
    at.file_uploader(key="start_upload_eval").set_value(("eval.csv", bad, "text/csv")).run()
    assert at.selectbox(key="start_map_text").value == "(not in my files)"
    at.button(key="start_run").click().run()
    assert not at.exception
    (tmp_path / "eval.csv").write_bytes(bad)
    with pytest.raises(diagnose.DiagnoseError) as expected:
        diagnose.run(tmp_path / "eval.csv", config=diagnose.RunConfig(progress=False))
    assert any(str(expected.value).split(":", 1)[1] in e.value for e in at.error), [e.value for e in at.error]
    at.text_input(key="start_dir").input("/no/such/dir").run()  # the app keeps working
    assert not at.exception


def test_an_upload_with_other_column_names_runs_after_mapping(open_page):
    frame = pl.read_csv(sample_paths()["rag_eval"]).rename({"text": "question"})
    buf = io.BytesIO()
    frame.write_csv(buf)
    at = open_page(None)
    at.file_uploader(key="start_upload_eval").set_value(("questions.csv", buf.getvalue(), "text/csv")).run()
    at.selectbox(key="start_map_text").select("question").run()
    at.button(key="start_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Overview"
    assert [m.value for m in at.metric if m.label == "Eval rows"] == [f"{frame.height:,}"]
