"""What each entry point imports (issue 18): behaviour, not timing.

Reading a result (``diagnose report``, ``diagnose.load``) and importing the
analyzers or the pipeline load neither scikit-learn, scipy nor cleanlab: the
analyzers import them when they run. ``diagnose run`` loads the whole analysis
stack up front with the garbage collector paused, freezes it (``gc.freeze``)
and imports nothing heavy later, and its results equal the library's.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import polars as pl
import pytest

ROOT = Path(__file__).resolve().parents[1]
STACK = ("sklearn", "scipy", "cleanlab", "pandas")


def _python(code: str) -> list[str]:
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=300,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().splitlines()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, toy_train, toy_eval) -> dict[str, Path]:
    """The toy tables with annotations and passages, so that all four analyzers run."""
    folder = tmp_path_factory.mktemp("inputs")
    ids = toy_eval.get_column("id").to_list() + toy_train.get_column("id").to_list()[:40]
    gold = toy_eval.get_column("label").to_list() + toy_train.get_column("label").to_list()[:40]
    votes = [{"id": i, "annotator": f"a{j}", "label": label if (k + j) % 5 else "refund"}
             for k, (i, label) in enumerate(zip(ids, gold)) for j in range(3)]
    passages = [{"id": i, "passage_id": f"p{k}", "passage": f"Support says that {text} is handled today."}
                for k, (i, text) in enumerate(zip(ids[:10], toy_eval.get_column("text").to_list()[:10]))]
    tables = {"train": toy_train, "eval": toy_eval, "annotations": pl.DataFrame(votes), "contexts": pl.DataFrame(passages)}
    paths = {role: folder / f"{role}.csv" for role in tables}
    for role, frame in tables.items():
        frame.write_csv(paths[role])
    return paths


def _argv(inputs: dict[str, Path], out: Path) -> list[str]:
    return ["run", *[a for role, path in inputs.items() for a in (f"--{role}", str(path))], "--out", str(out), "--quiet"]


@pytest.fixture(scope="module")
def cli_run(inputs, tmp_path_factory) -> tuple[Path, list[str]]:
    """``diagnose run`` in a fresh interpreter: its output folder, and what it printed about its imports."""
    out = tmp_path_factory.mktemp("cli") / "out"
    lines = _python(f"""
        import gc, sys
        from diagnose import cli, commands

        load = commands._import_analysis_stack
        before = {{}}

        def recorded():
            load()
            before["modules"] = set(sys.modules)

        commands._import_analysis_stack = recorded
        assert cli.main({_argv(inputs, out)!r}) == 0
        late = sorted(m for m in set(sys.modules) - before["modules"] if m.split(".")[0] in {STACK + ("diagnose",)!r})
        print("late", late)
        print("frozen", gc.get_freeze_count() > 10_000, "enabled", gc.isenabled())
    """)
    return out, lines


def test_a_cli_run_imports_its_stack_before_the_freeze_and_collects_again_after(cli_run):
    _, lines = cli_run
    assert lines[-2] == "late []", "a run imported these after the freeze: add them to commands._RUN_MODULES"
    assert lines[-1] == "frozen True enabled True"


def test_a_cli_run_gives_the_librarys_result(cli_run, inputs, tmp_path):
    import diagnose

    out, _ = cli_run
    mine = diagnose.run(**{role: str(path) for role, path in inputs.items()}, caller="cli").save(tmp_path / "lib")
    assert (out / "examples.parquet").read_bytes() == (mine / "examples.parquet").read_bytes()
    cli_scores, lib_scores = (pl.read_parquet(p / "examples.parquet") for p in (out, mine))
    assert cli_scores.select(pl.col("score_coverage_gap").is_not_null().sum()).item() > 0
    assert np.array_equal(cli_scores.get_column("score_noisy_label").to_numpy(), lib_scores.get_column("score_noisy_label").to_numpy())


def test_reading_a_result_imports_no_analysis_stack(cli_run, tmp_path):
    out, _ = cli_run
    lines = _python(f"""
        import sys
        from diagnose import cli
        import diagnose

        assert cli.main(["report", {str(out)!r}, "--format", "md", "--out", {str(tmp_path / "report.md")!r}]) == 0
        html = diagnose.load({str(out)!r}).to_html()
        print(sorted(m for m in {STACK!r} if m in sys.modules), len(html) > 1000)
    """)
    assert lines[-1] == "[] True"


def test_importing_the_analyzers_and_the_pipeline_imports_no_analysis_stack():
    lines = _python(f"""
        import sys
        import diagnose.analyzers, diagnose.causes, diagnose.pipeline, diagnose.probs, diagnose.report
        from diagnose.core import analyzer_classes

        print(len(analyzer_classes()), sorted(m for m in {STACK!r} if m in sys.modules))
    """)
    assert lines[-1] == "4 []"
