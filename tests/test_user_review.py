"""Defects found by using the CLI and API as a first-time user; each test failed before its fix."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

import diagnose
import diagnose.cli
from diagnose.errors import InputError, OptionalDependencyError
from diagnose.io import read_table
from diagnose.pipeline import RunConfig

QUIET = RunConfig(progress=False)
ROOT = Path(__file__).resolve().parents[1]


def _cli(*argv: str) -> int:
    return diagnose.cli.main([*argv])


# --- reading files -------------------------------------------------------------------------------

def test_semicolon_delimited_csv_is_read(tmp_path, toy_eval):
    path = tmp_path / "eval.csv"
    toy_eval.write_csv(path, separator=";")
    frame = read_table(path, "eval")
    assert frame.columns == toy_eval.columns and frame.height == toy_eval.height


def test_csv_with_byte_order_mark_keeps_column_names(tmp_path, toy_eval):
    path = tmp_path / "eval.csv"
    toy_eval.write_csv(path)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert read_table(path, "eval").columns[0] == "id"


def test_ragged_csv_names_the_line(tmp_path):
    path = tmp_path / "eval.csv"
    path.write_text("id,text\n1,hello\n2,a,b\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"eval.csv: .*line 3 has 3 fields, the header has 2"):
        read_table(path, "eval")


def test_broken_jsonl_line_is_named(tmp_path):
    lines = [json.dumps({"id": i, "text": f"row {i}"}) for i in range(5)]
    lines[3] = lines[3][:-4]
    path = tmp_path / "eval.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_table(path, "eval")
    message = str(info.value)
    assert "line 4 is not valid JSON" in message and "header row" not in message


def test_json_array_file_is_read(tmp_path):
    path = tmp_path / "eval.json"
    path.write_text(json.dumps([{"id": 1, "text": "a"}, {"id": 2, "text": "b"}]), encoding="utf-8")
    assert read_table(path, "eval").height == 2


# --- validating content --------------------------------------------------------------------------

@pytest.mark.parametrize("column", ["text", "label"])
def test_list_column_is_a_clear_error_not_a_traceback(tmp_path, toy_eval, toy_train, capsys, column):
    path = tmp_path / "eval.parquet"
    toy_eval.with_columns(pl.concat_list(pl.col(column)).alias(column)).write_parquet(path)
    toy_train.write_csv(tmp_path / "train.csv")
    out = tmp_path / "out"
    assert _cli("run", "--eval", str(path), "--train", str(tmp_path / "train.csv"), "--out", str(out), "--quiet") == 2
    err = capsys.readouterr().err
    assert f"eval.parquet: column {column!r} of the eval table holds List(String) values" in err
    assert "Traceback" not in err and "ev-0000" in err
    assert not out.exists() and not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]


@pytest.mark.parametrize("ids", [["e1", None, "e3"], ["e1", " ", "e3"], "pandas-nan"])
def test_empty_id_is_an_error(toy_train, ids):
    ev = pl.DataFrame({"id": ids if ids != "pandas-nan" else [1.0, None, 3.0], "text": ["a card", "top up", "refund"]})
    if ids == "pandas-nan":
        ev = ev.to_pandas()  # float ids with NaN, as pandas reads a CSV with a blank id
    with pytest.raises(InputError, match=r"column 'id' has empty ids in the eval table.*\[2\]"):
        diagnose.load_inputs(ev, toy_train)


def test_integer_train_ids_and_string_eval_ids_work(toy_train, toy_eval):
    train = toy_train.with_columns(pl.int_range(pl.len()).alias("id"))
    inputs = diagnose.load_inputs(toy_eval, train)
    assert inputs.train.get_column("id").dtype == pl.Utf8


def test_labels_with_trailing_spaces_match(toy_train, toy_eval):
    spaced = diagnose.load_inputs(toy_eval.with_columns(pl.col("label") + "  "), toy_train.with_columns(pl.col("label") + " "))
    assert spaced.eval.get_column("is_error").sum() == 3 and "card_lost" in spaced.classes


# --- run settings --------------------------------------------------------------------------------

@pytest.mark.parametrize("share", ["2", "0", "-0.1", "x"])
def test_cli_rejects_min_precision_outside_zero_one(tmp_path, toy_files, capsys, share):
    with pytest.raises(SystemExit) as info:
        _cli("run", "--eval", str(toy_files["eval"]), "--out", str(tmp_path / "o"), "--min-precision", share)
    assert info.value.code == 2 and "--min-precision" in capsys.readouterr().err


def test_api_rejects_bad_settings(toy_eval, toy_train):
    with pytest.raises(InputError, match=r"min_precision=1\.5.*k=0"):
        diagnose.run(toy_eval, toy_train, config=RunConfig(progress=False, min_precision=1.5, k=0))


def test_faiss_requested_but_missing_is_clear(toy_eval, toy_train, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "faiss" else real(name, *a))
    with pytest.raises(OptionalDependencyError, match=r"pip install 'diagnose\[ann\]'"):
        diagnose.run(toy_eval, toy_train, config=RunConfig(progress=False, neighbors="faiss"))


def test_demo_has_no_task_option_it_would_ignore(capsys):
    with pytest.raises(SystemExit):
        _cli("demo", "--task", "generation")
    assert "unrecognized arguments" in capsys.readouterr().err


def test_help_names_placeholders_and_version(capsys):
    with pytest.raises(SystemExit):
        _cli("run", "--help")
    text = capsys.readouterr().out
    assert "--text-col NAME" in text and "COL_TEXT" not in text and "--prob-prefix PREFIX" in text
    with pytest.raises(SystemExit):
        _cli("--version")
    assert capsys.readouterr().out.strip() == f"diagnose {diagnose.__version__}"


# --- warnings and progress -----------------------------------------------------------------------

def test_import_keeps_the_users_warning_filters():
    code = "import warnings, diagnose; warnings.warn('still visible')"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    assert "still visible" in proc.stderr, proc.stderr


def test_cli_prints_warnings_as_one_plain_line(tmp_path, toy_train, toy_eval, capsys):
    toy_train.filter(pl.col("label") != "exchange").write_csv(tmp_path / "train.csv")
    toy_eval.write_csv(tmp_path / "eval.csv")
    assert _cli("run", "--eval", str(tmp_path / "eval.csv"), "--train", str(tmp_path / "train.csv"),
                "--out", str(tmp_path / "out"), "--no-report") == 0
    err = capsys.readouterr().err
    assert "warning: " in err and "never appear in training" in err
    assert "UserWarning" not in err and "load_inputs(" not in err


def test_progress_bar_counts_every_stage(toy_train, toy_eval, monkeypatch):
    from diagnose import pipeline

    totals, names = [], []
    init, stage = pipeline._Stages.__init__, pipeline._Stages.stage

    def spy_init(self, total, enabled):
        totals.append(total)
        init(self, total, enabled)

    def spy_stage(self, name):
        names.append(name)
        return stage(self, name)

    monkeypatch.setattr(pipeline._Stages, "__init__", spy_init)
    monkeypatch.setattr(pipeline._Stages, "stage", spy_stage)
    diagnose.run(toy_eval, toy_train, config=QUIET)
    assert totals == [len(names)], names


# --- outputs -------------------------------------------------------------------------------------

def test_report_of_a_demo_root_points_to_its_results(tmp_path, toy_train, toy_eval, capsys):
    from diagnose.demo import save_demo

    result = diagnose.run(toy_eval, toy_train, config=QUIET)
    save_demo({"intents": result}, tmp_path / "demo", force=False, reports=False)
    assert _cli("report", str(tmp_path / "demo")) == 2
    err = capsys.readouterr().err
    assert "diagnose demo" in err and str(tmp_path / "demo" / "intents") in err and "format 0" not in err


def test_incomplete_result_is_a_clear_error(tmp_path, toy_train, toy_eval):
    diagnose.run(toy_eval, toy_train, config=QUIET).save(tmp_path / "out", reports=False)
    (tmp_path / "out" / "neighbors.parquet").unlink()
    with pytest.raises(InputError, match=r"incomplete.*neighbors\.parquet"):
        diagnose.load(tmp_path / "out")


def test_report_out_into_a_new_folder(tmp_path, toy_train, toy_eval):
    diagnose.run(toy_eval, toy_train, config=QUIET).save(tmp_path / "out", reports=False)
    target = tmp_path / "reports" / "audit.md"
    assert _cli("report", str(tmp_path / "out"), "--format", "md", "--out", str(target)) == 0
    assert target.read_text(encoding="utf-8").strip()


def test_os_error_is_a_message_not_a_traceback(tmp_path, toy_files, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    assert _cli("run", "--eval", str(toy_files["eval"]), "--out", str(blocker / "out"), "--quiet") == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err


def test_verdict_explains_unlabelled_runs_and_names_the_report(tmp_path, toy_train, toy_eval, capsys):
    toy_train.write_csv(tmp_path / "train.csv")
    toy_eval.select("id", "text").write_csv(tmp_path / "eval.csv")
    out = tmp_path / "out"
    assert _cli("run", "--eval", str(tmp_path / "eval.csv"), "--train", str(tmp_path / "train.csv"), "--out", str(out)) == 0
    text = capsys.readouterr().out
    assert "no row has both a gold label and a prediction" in text and f"report: {out / 'report.html'}" in text
    assert "not run: contradictory_context: no context passages were given" in text


def test_same_seed_same_summary_apart_from_machine_measurements(tmp_path, toy_train, toy_eval):
    for name in ("a", "b"):
        diagnose.run(toy_eval, toy_train, seed=5, config=QUIET).save(tmp_path / name, reports=False)
    first, second = (json.loads((tmp_path / n / "summary.json").read_text()) for n in ("a", "b"))
    for key in ("timings_seconds", "peak_rss_gib_after_stage"):
        first.pop(key), second.pop(key)
    assert first == second
    assert (tmp_path / "a" / "examples.parquet").read_bytes() == (tmp_path / "b" / "examples.parquet").read_bytes()


def test_context_scores_do_not_depend_on_the_hash_seed():
    """String hashing is salted per process; a float sum over a set of cues once changed the last bits."""
    code = ("import diagnose; from diagnose.sample import sample_paths; p = sample_paths(); "
            "r = diagnose.run(p['rag_eval'], contexts=p['rag_contexts'], config=diagnose.RunConfig(progress=False)); "
            "print(repr(r.examples.get_column('score_contradictory_context').to_list()))")
    outputs = set()
    for seed in ("1", "2", "3"):
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": seed,
                                   "OMP_NUM_THREADS": "1"}, check=True)
        outputs.add(proc.stdout)
    assert len(outputs) == 1


def test_examples_columns_follow_the_readme(toy_train, toy_eval):
    ev = toy_eval.with_columns(pl.when(pl.int_range(pl.len()) < 4).then(None).otherwise(pl.col("prediction")).alias("prediction"))
    ex = diagnose.run(ev, toy_train, config=QUIET).examples
    unlabelled, correct = ex.filter(pl.col("is_error").is_null()), ex.filter(pl.col("is_error") == False)  # noqa: E712
    assert unlabelled.height == 4 and unlabelled.get_column("primary_cause").null_count() == 4
    assert correct.get_column("primary_cause").null_count() == correct.height
    assert (correct.get_column("causes").list.len() == 0).all()
    empty = ex.get_column("causes").list.len() == 0
    assert (ex.get_column("evidence").is_null() == empty).all()
    assert ex.filter(pl.col("is_error")).get_column("primary_cause").null_count() == 0


@pytest.mark.parametrize("kind", ["missing", "demo_root"])
def test_dashboard_refuses_a_folder_that_is_not_a_result(tmp_path, capsys, monkeypatch, kind):
    pytest.importorskip("streamlit")
    launched = []
    monkeypatch.setattr(subprocess, "call", lambda cmd: launched.append(cmd) or 0)
    folder = tmp_path / "x"
    if kind == "demo_root":
        folder.mkdir()
        (folder / "summary.json").write_text(json.dumps({"demo": ["intents", "rag"]}), encoding="utf-8")
    assert _cli("dashboard", str(folder)) == 2
    assert not launched and "error: " in capsys.readouterr().err


def test_report_out_is_not_overwritten_without_force(tmp_path, toy_train, toy_eval, capsys):
    diagnose.run(toy_eval, toy_train, config=QUIET).save(tmp_path / "out", reports=False)
    target = tmp_path / "mine.md"
    target.write_text("my notes", encoding="utf-8")
    assert _cli("report", str(tmp_path / "out"), "--format", "md", "--out", str(target)) == 2
    assert target.read_text(encoding="utf-8") == "my notes" and "--force" in capsys.readouterr().err
    assert _cli("report", str(tmp_path / "out"), "--format", "md", "--out", str(target), "--force") == 0
    assert target.read_text(encoding="utf-8").startswith("#")


def test_prediction_defaults_to_the_most_probable_class(toy_train):
    ev = pl.DataFrame({"id": ["e1", "e2"], "text": ["i lost my card", "where is my refund"], "label": ["card_lost", "refund"],
                       **{f"prob_{c}": [0.7 if c == "card_lost" else 0.1, 0.7 if c == "top_up" else 0.1]
                          for c in ("card_lost", "exchange", "refund", "top_up")}})
    inputs = diagnose.load_inputs(ev, toy_train)
    assert inputs.eval.get_column("prediction").to_list() == ["card_lost", "top_up"]
    assert inputs.eval.get_column("is_error").to_list() == [False, True] and "prediction" in inputs.notes


def test_decimal_comma_probabilities_get_a_hint(tmp_path, toy_train):
    path = tmp_path / "eval.csv"
    path.write_text("id;text;label;prediction;prob_card_lost;prob_exchange;prob_refund;prob_top_up\n"
                    "e1;i lost my card;card_lost;card_lost;0,7;0,1;0,1;0,1\n", encoding="utf-8")
    with pytest.raises(InputError, match="Use a dot as the decimal separator") as info:
        diagnose.load_inputs(path, toy_train)
    assert "\n" not in str(info.value)


def test_pandas_object_columns_mixing_ints_and_strings_are_read_as_text(toy_train):
    pd = pytest.importorskip("pandas")
    ev = pd.DataFrame({"id": [1, "b", 3], "text": ["lost card", "refund please", "top up"]})
    assert diagnose.load_inputs(ev, toy_train).eval.get_column("id").to_list() == ["1", "b", "3"]
    bad = pd.DataFrame({"id": [1, 2, 3], "text": ["a", {"x": 1}, "c"]})
    with pytest.raises(InputError, match=r"column 'text' holds \['dict', 'str'\] values"):
        diagnose.load_inputs(bad, toy_train)


def test_dashboard_sends_no_usage_statistics(monkeypatch):
    pytest.importorskip("streamlit")
    launched = []
    from diagnose import commands

    monkeypatch.setattr(commands, "_run_forwarding_signals", lambda cmd, **kw: launched.append(cmd) or 0)
    assert _cli("dashboard") == 0
    cmd = launched[0]
    assert cmd[cmd.index("--browser.gatherUsageStats") + 1] == "false"


def test_readme_command_synopsis_matches_the_parser():
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("### Command line\n```\n", 1)[1].split("```", 1)[0]
    parser = diagnose.cli._parser()
    subs = next(a for a in parser._actions if a.dest == "command").choices
    for chunk in re.split(r"\n(?=diagnose )", block.strip()):
        words = chunk.split()
        known = parser if words[1].startswith("-") else subs[words[1]]
        options = {s for a in known._actions for s in a.option_strings}
        flags = set(re.findall(r"(--[a-z][a-z-]*)", chunk))
        assert flags <= options, (words[1], flags - options)
    run_options = {s for a in subs["run"]._actions for s in a.option_strings} - {"-h", "--help"}
    assert run_options <= set(re.findall(r"(--[a-z][a-z-]*)", block)), "a run option is missing from the README"


def test_error_clears_the_progress_bar_first(tmp_path, toy_eval, monkeypatch):
    from diagnose import pipeline

    bars = []
    init = pipeline._Stages.__init__

    def spy(self, total, enabled):
        init(self, total, enabled)
        bars.append(self.bar)

    monkeypatch.setattr(pipeline._Stages, "__init__", spy)
    with pytest.raises(InputError):
        diagnose.run(toy_eval.with_columns(pl.lit("").alias("text")), config=RunConfig(progress=True))
    assert bars and bars[0].disable  # tqdm marks a closed bar as disabled
