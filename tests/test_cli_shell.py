"""The shell around the analysis: fast help and input errors, lazy imports, progress bars only where they belong."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import polars as pl

import diagnose.cli

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("polars", "sklearn", "cleanlab", "scipy", "pandas")


def _python(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=300,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def _loaded_after(argv: list[str]) -> str:
    """The heavy modules imported by ``diagnose ARGV`` (run in a fresh interpreter)."""
    return _python(f"""
        import sys
        from diagnose import cli
        try:
            cli.main({argv!r})
        except SystemExit:
            pass
        print(sorted(m for m in {HEAVY!r} if m in sys.modules))
    """).splitlines()[-1]


def test_help_does_not_import_the_analysis_stack():
    assert _loaded_after(["--help"]) == "[]"
    assert _loaded_after(["run", "--help"]) == "[]"


def test_missing_input_file_is_reported_before_any_table_library(tmp_path):
    argv = ["run", "--eval", str(tmp_path / "eval.csv"), "--out", str(tmp_path / "out")]
    assert _loaded_after(argv) == "[]"


def test_bad_column_is_reported_before_the_analysis_stack(tmp_path):
    (tmp_path / "eval.csv").write_text("id,utterance\n1,hello\n", encoding="utf-8")
    argv = ["run", "--eval", str(tmp_path / "eval.csv"), "--out", str(tmp_path / "out")]
    assert _loaded_after(argv) == "['polars']"


def test_import_diagnose_is_lazy_but_every_public_name_works():
    out = _python("""
        import sys, diagnose
        print(sorted(m for m in ('polars', 'sklearn', 'cleanlab') if m in sys.modules))
        from diagnose import Result, RunConfig, load, load_inputs
        print(diagnose.run.__module__, diagnose.analyzers.CoverageGap.__name__, diagnose.embed.PrecomputedEmbedder.__name__)
        print(set(diagnose.__all__) <= set(dir(diagnose)))
    """)
    assert out.splitlines() == ["[]", "diagnose.pipeline CoverageGap PrecomputedEmbedder", "True"]


def test_importing_a_submodule_directly_keeps_the_users_warning_filters():
    out = _python("""
        import warnings
        import diagnose.pipeline
        import cleanlab.count  # as the analyzers do when they run; cleanlab would run warnings.filterwarnings("ignore")
        with warnings.catch_warnings(record=True) as seen:
            warnings.warn("still visible")
        print(len(seen))
    """)
    assert out == "1"


# --- progress bars -------------------------------------------------------------------------------

def _files(tmp_path, toy_train, toy_eval) -> list[str]:
    toy_train.filter(pl.col("label") != "exchange").write_csv(tmp_path / "train.csv")  # warns: gold labels unseen
    toy_eval.write_csv(tmp_path / "eval.csv")
    return ["run", "--eval", str(tmp_path / "eval.csv"), "--train", str(tmp_path / "train.csv"), "--no-report"]


def test_library_shows_no_progress_bar_by_default(toy_train, toy_eval, capsys):
    assert diagnose.RunConfig().progress is False
    diagnose.run(toy_eval, toy_train)
    assert "%|" not in capsys.readouterr().err


def test_no_progress_bar_when_stderr_is_not_a_terminal(tmp_path, toy_train, toy_eval, capsys):
    assert diagnose.cli.main([*_files(tmp_path, toy_train, toy_eval), "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert "%|" not in err and "warning: " in err


def test_warnings_never_share_a_line_with_a_progress_bar(tmp_path, toy_train, toy_eval, capsys):
    assert diagnose.cli.main([*_files(tmp_path, toy_train, toy_eval), "--out", str(tmp_path / "out"), "--progress"]) == 0
    err = capsys.readouterr().err
    assert "%|" in err  # --progress forces the bars even though stderr is captured
    pieces = [p for p in re.split(r"[\r\n]", err) if "warning:" in p]
    assert pieces and all(p.startswith("warning: ") for p in pieces), pieces
