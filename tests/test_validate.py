"""Every bad input gets a clear message naming file, column, rows and a fix."""
from __future__ import annotations

import polars as pl
import pytest

import diagnose
import diagnose.cli
from diagnose.errors import DiagnoseError, InputError, MissingColumnError, OutputExistsError
from diagnose.validate import load_inputs


def _write(tmp_path, name, frame):
    path = tmp_path / name
    frame.write_csv(path)
    return path


def test_missing_file_names_path(tmp_path):
    with pytest.raises(InputError, match=r"nope\.csv: file not found.*Check the path"):
        load_inputs(tmp_path / "nope.csv")


def test_unknown_extension(tmp_path):
    path = tmp_path / "eval.xlsx"
    path.write_text("x")
    with pytest.raises(InputError, match=r"unknown file extension '\.xlsx'.*\.csv"):
        load_inputs(path)


def test_empty_table(tmp_path):
    path = tmp_path / "eval.csv"
    path.write_text("id,text\n")
    with pytest.raises(InputError, match=r"eval\.csv: the eval table is empty"):
        load_inputs(path)


def test_missing_column_lists_found_columns(tmp_path):
    path = _write(tmp_path, "eval.csv", pl.DataFrame({"id": [1], "utterance": ["hi"]}))
    with pytest.raises(MissingColumnError) as info:
        load_inputs(path)
    msg = str(info.value)
    assert "column 'text' not found" in msg and "['id', 'utterance']" in msg and "columns=diagnose.Columns(text='utterance')" in msg


def test_renamed_column_via_columns(tmp_path):
    path = _write(tmp_path, "eval.csv", pl.DataFrame({"id": [1], "utterance": ["hi"]}))
    inputs = load_inputs(path, columns=diagnose.Columns(text="utterance"))
    assert inputs.eval.get_column("text").to_list() == ["hi"]


def test_duplicate_ids_shown(tmp_path):
    path = _write(tmp_path, "train.csv", pl.DataFrame({"id": ["a", "a", "b", "b"], "text": ["x"] * 4, "label": ["p", "q", "p", "q"]}))
    ev = _write(tmp_path, "eval.csv", pl.DataFrame({"id": ["e"], "text": ["x"]}))
    with pytest.raises(InputError, match=r"train\.csv: column 'id' has duplicate ids.*2 in all, e\.g\. \['a', 'b'\]"):
        load_inputs(ev, path)


@pytest.mark.parametrize("bad", [None, "", "   "])
def test_null_or_empty_text(tmp_path, bad):
    path = _write(tmp_path, "eval.csv", pl.DataFrame({"id": ["e1", "e2"], "text": ["fine", bad]}))
    with pytest.raises(InputError, match=r"column 'text' has null or empty text.*'e2'"):
        load_inputs(path)


def test_unseen_eval_labels_warn_not_fail(tmp_path, toy_train):
    ev = pl.DataFrame({"id": ["e1"], "text": ["hello there"], "label": ["brand_new"], "prediction": ["refund"]})
    with pytest.warns(UserWarning, match="never appear in training") as record:
        inputs = load_inputs(ev, toy_train)
    assert inputs.notes["unseen_eval_labels"] == ["brand_new"]
    assert record[0].filename == __file__  # points at the caller's line, not at diagnose internals


def test_unseen_label_warning_points_at_the_users_run_call(toy_train):
    ev = pl.DataFrame({"id": ["e1"], "text": ["hello there"], "label": ["brand_new"], "prediction": ["refund"]})
    with pytest.warns(UserWarning, match="never appear in training") as record:
        diagnose.run(eval=ev, train=toy_train, config=diagnose.RunConfig(progress=False))
    assert [w.filename for w in record if "never appear" in str(w.message)] == [__file__]


def test_probs_not_summing_to_one(tmp_path, toy_train):
    ev = pl.DataFrame({"id": ["e1", "e2"], "text": ["a", "b"], "label": ["refund", "top_up"], "prediction": ["refund", "top_up"],
                       **{f"prob_{c}": [0.5, 0.25] for c in ["card_lost", "top_up", "refund", "exchange"]}})
    with pytest.raises(InputError, match=r"do not sum to 1 in 1 rows.*'e1 \(sum 2\.000\)'.*softmax"):
        load_inputs(ev, toy_train)


def test_probs_not_matching_label_set(toy_train):
    ev = pl.DataFrame({"id": ["e1"], "text": ["a"], "label": ["refund"], "prediction": ["refund"], "prob_refund": [1.0]})
    with pytest.raises(InputError, match=r"do not match the label set.*Missing 3 in all"):
        load_inputs(ev, toy_train)


def test_annotations_unknown_ids(toy_train, toy_eval):
    ann = pl.DataFrame({"id": ["tr-0000", "ghost-1"], "annotator": ["a", "b"], "label": ["refund", "refund"]})
    with pytest.raises(InputError, match=r"annotations table names ids that are not train or eval rows.*'ghost-1'"):
        load_inputs(toy_eval, toy_train, ann)


def test_contexts_unknown_ids(toy_eval):
    ctx = pl.DataFrame({"id": ["nobody"], "passage": ["text"]})
    with pytest.raises(InputError, match=r"contexts table names ids that are not eval rows.*'nobody'"):
        load_inputs(toy_eval, contexts=ctx)


def test_train_eval_id_collision_with_annotations(toy_train):
    ev = pl.DataFrame({"id": ["tr-0000"], "text": ["x"], "label": ["refund"], "prediction": ["refund"]})
    ann = pl.DataFrame({"id": ["tr-0000"], "annotator": ["a"], "label": ["refund"]})
    with pytest.raises(InputError, match=r"train and eval ids collide.*'tr-0000'.*Prefix"):
        load_inputs(ev, toy_train, ann)


def test_single_class(toy_eval):
    tr = pl.DataFrame({"id": ["t1", "t2"], "text": ["a", "b"], "label": ["only", "only"]})
    with pytest.raises(InputError, match=r"single class \('only'\).*at least two classes"):
        load_inputs(toy_eval, tr)


def test_non_utf8_bytes(tmp_path):
    path = tmp_path / "eval.csv"
    path.write_bytes(b"id,text\n1,hello\n2,caf\xe9 latin1\n")
    with pytest.raises(InputError, match=r"eval\.csv: line 3 is not valid UTF-8.*iconv"):
        load_inputs(path)


def test_bad_correct_column(toy_train):
    ev = pl.DataFrame({"id": ["e1"], "text": ["x"], "label": ["a"], "prediction": ["b"], "correct": ["maybe"]})
    with pytest.raises(InputError, match=r"column 'correct' has values that are not booleans"):
        load_inputs(ev, task="generation")


def test_output_dir_exists_refused(tmp_path, toy_files):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("precious")
    code = diagnose.cli.main(["run", "--eval", str(toy_files["eval"]), "--train", str(toy_files["train"]), "--out", str(out), "--quiet"])
    assert code == 2
    code = diagnose.cli.main(["run", "--eval", str(toy_files["eval"]), "--train", str(toy_files["train"]), "--out", str(out), "--quiet", "--force"])
    assert code == 2 and (out / "mine.txt").read_text() == "precious"


def test_errors_share_one_family():
    for cls in (InputError, MissingColumnError, OutputExistsError):
        assert issubclass(cls, DiagnoseError)
    assert issubclass(InputError, ValueError) and issubclass(MissingColumnError, KeyError)


def test_generation_normalisation_and_override():
    ev = pl.DataFrame({"id": ["q1", "q2", "q3"], "text": ["who?", "when?", "where?"],
                       "label": ["The Beatles", "1969", "Paris"], "prediction": ["beatles!", "1970", "Lyon"],
                       "correct": [None, None, "true"]})
    inputs = load_inputs(ev, task="generation")
    assert inputs.eval.get_column("is_error").to_list() == [False, True, False]
