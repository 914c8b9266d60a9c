"""The command line: options, help, messages instead of tracebacks, where outputs go."""
from __future__ import annotations

import os
import subprocess
import sys

import polars as pl
import pytest
from tiny_inputs import (
    QUIET,
    ROOT,
    _cli,
    _eval,
    _train,
)

import diagnose
import diagnose.cli
from diagnose.errors import InputError
from diagnose.pipeline import RunConfig


@pytest.mark.parametrize("share", ["2", "0", "-0.1", "x"])
def test_cli_rejects_min_precision_outside_zero_one(tmp_path, toy_files, capsys, share):
    with pytest.raises(SystemExit) as info:
        _cli("run", "--eval", str(toy_files["eval"]), "--out", str(tmp_path / "o"), "--min-precision", share)
    assert info.value.code == 2 and "--min-precision" in capsys.readouterr().err


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


def test_cli_prints_warnings_as_one_plain_line(tmp_path, toy_train, toy_eval, capsys):
    toy_train.filter(pl.col("label") != "exchange").write_csv(tmp_path / "train.csv")
    toy_eval.write_csv(tmp_path / "eval.csv")
    assert _cli("run", "--eval", str(tmp_path / "eval.csv"), "--train", str(tmp_path / "train.csv"),
                "--out", str(tmp_path / "out"), "--no-report") == 0
    err = capsys.readouterr().err
    assert "warning: " in err and "never appear in training" in err
    assert "UserWarning" not in err and "load_inputs(" not in err


def test_report_of_a_demo_root_points_to_its_results(tmp_path, toy_train, toy_eval, capsys):
    from diagnose.demo import save_demo

    result = diagnose.run(toy_eval, toy_train, config=QUIET)
    save_demo({"intents": result}, tmp_path / "demo", force=False, reports=False)
    assert _cli("report", str(tmp_path / "demo")) == 2
    err = capsys.readouterr().err
    assert "diagnose demo" in err and str(tmp_path / "demo" / "intents") in err and "format 0" not in err


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


def test_report_out_is_not_overwritten_without_force(tmp_path, toy_train, toy_eval, capsys):
    diagnose.run(toy_eval, toy_train, config=QUIET).save(tmp_path / "out", reports=False)
    target = tmp_path / "mine.md"
    target.write_text("my notes", encoding="utf-8")
    assert _cli("report", str(tmp_path / "out"), "--format", "md", "--out", str(target)) == 2
    assert target.read_text(encoding="utf-8") == "my notes" and "--force" in capsys.readouterr().err
    assert _cli("report", str(tmp_path / "out"), "--format", "md", "--out", str(target), "--force") == 0
    assert target.read_text(encoding="utf-8").startswith("#")


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


def test_cli_on_integer_labels_and_unicode(tmp_path):
    tr = _train(("1", "10")).with_columns(pl.col("label").cast(pl.Int64), pl.col("text") + " 💳")
    ev = _eval(("1", "10"), wrong=[0]).with_columns(pl.col("label").cast(pl.Int64), pl.col("prediction").cast(pl.Int64))
    tr.write_csv(tmp_path / "train.csv")
    ev.write_csv(tmp_path / "eval.csv")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "diagnose.cli", "run", "--eval", str(tmp_path / "eval.csv"),
                           "--train", str(tmp_path / "train.csv"), "--out", str(out), "--quiet", "--no-report"],
                          check=False, capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})  # this checkout, not an installed copy
    assert proc.returncode == 0, proc.stderr
    ex = pl.read_parquet(out / "examples.parquet")
    assert ex.get_column("is_error").sum() == 1
