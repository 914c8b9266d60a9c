"""Writing outputs: --force never removes a user's files, the --out check comes first, nothing is left behind."""
from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import diagnose
import diagnose.cli
from diagnose import _output
from diagnose.demo import save_demo
from diagnose.errors import OutputExistsError
from diagnose.pipeline import RunConfig

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def result(toy_train, toy_eval):
    return diagnose.run(toy_eval, toy_train, config=RunConfig(progress=False))


@pytest.fixture()
def no_analysis(monkeypatch):
    """Fail the test if the CLI starts an analysis: the --out check must come first."""
    from diagnose import pipeline

    def refuse(*args, **kwargs):
        raise AssertionError("the analysis ran before --out was checked")

    monkeypatch.setattr(pipeline, "run", refuse)


def _run_cli(files, out: Path, *extra: str) -> int:
    return diagnose.cli.main(["run", "--eval", str(files["eval"]), "--train", str(files["train"]), "--out", str(out),
                              "--quiet", "--no-report", *extra])


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _leftovers(parent: Path) -> list[str]:
    return [p.name for p in parent.iterdir() if ".tmp-" in p.name]


# --- what --force may replace --------------------------------------------------------------------

def test_force_leaves_a_folder_diagnose_did_not_write_untouched(tmp_path, toy_files, no_analysis, capsys):
    out = tmp_path / "model"
    out.mkdir()
    (out / "summary.json").write_text('{"accuracy": 0.9}', encoding="utf-8")
    (out / "model.safetensors").write_bytes(b"\x00weights")
    (out / "notes.md").write_text("my notes", encoding="utf-8")
    before = _snapshot(out)
    assert _run_cli(toy_files, out, "--force") == 2
    assert _snapshot(out) == before
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "model.safetensors" in err and "manifest.json" in err
    assert "delete it yourself" in err and "Choose another --out" in err


def test_force_refuses_a_previous_output_the_user_added_notes_to(tmp_path, toy_files, result, no_analysis, capsys):
    out = result.save(tmp_path / "out", reports=False)
    (out / "my_analysis_notes.md").write_text("what I found", encoding="utf-8")
    before = _snapshot(out)
    assert _run_cli(toy_files, out, "--force") == 2
    assert _snapshot(out) == before
    err = capsys.readouterr().err
    assert "my_analysis_notes.md" in err and "Move those files" in err
    with pytest.raises(OutputExistsError, match="my_analysis_notes.md"):
        result.save(out, force=True, reports=False)
    assert _snapshot(out) == before


def test_force_refuses_a_previous_output_with_a_changed_file(tmp_path, result):
    out = result.save(tmp_path / "out")
    (out / "report.md").write_text("# my edited report", encoding="utf-8")
    with pytest.raises(OutputExistsError, match=r"report\.md"):
        result.save(out, force=True)
    assert (out / "report.md").read_text(encoding="utf-8") == "# my edited report"


def test_force_replaces_an_unchanged_previous_output(tmp_path, result, toy_files):
    out = result.save(tmp_path / "out", reports=False)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    written = {p.name for p in out.iterdir()} - {"manifest.json"}
    assert set(manifest["files"]) == written and "examples.parquet" in written
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    (out / "neighbors.parquet").unlink()  # a missing file loses nothing
    assert _run_cli(toy_files, out, "--force") == 0
    assert (out / "neighbors.parquet").exists() and _leftovers(tmp_path) == []


def test_old_output_without_manifest_is_refused_with_a_fix(tmp_path, result):
    out = result.save(tmp_path / "out", reports=False)
    (out / "manifest.json").unlink()
    with pytest.raises(OutputExistsError, match="delete it yourself"):
        result.save(out, force=True, reports=False)
    assert (out / "examples.parquet").exists()


def test_demo_root_is_replaced_only_when_unchanged(tmp_path, result):
    root = save_demo({"intents": result, "rag": result}, tmp_path / "demo", force=False, reports=False)
    listed = json.loads((root / "manifest.json").read_text(encoding="utf-8"))["files"]
    assert {"summary.json", "intents/examples.parquet", "intents/manifest.json", "rag/summary.json"} <= set(listed)
    save_demo({"intents": result, "rag": result}, root, force=True, reports=False)
    result.save(root / "rag", force=True, reports=False)  # one result of the demo may be re-run on its own
    (root / "intents" / "notes.md").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputExistsError, match=r"intents/notes\.md"):
        save_demo({"intents": result}, root, force=True, reports=False)
    assert (root / "intents" / "notes.md").read_text(encoding="utf-8") == "mine"


def test_demo_refuses_before_the_analysis(tmp_path, no_analysis, capsys):
    root = tmp_path / "diagnose-demo"
    (root / "intents").mkdir(parents=True)
    (root / "intents" / "keep.csv").write_text("id\n1\n", encoding="utf-8")
    assert diagnose.cli.main(["demo", "--out", str(root), "--force", "--quiet"]) == 2
    assert (root / "intents" / "keep.csv").read_text(encoding="utf-8") == "id\n1\n"
    assert "intents/keep.csv" in capsys.readouterr().err


# --- checking --out before the work --------------------------------------------------------------

def test_unwritable_parent_is_refused_before_the_analysis(tmp_path, toy_files, no_analysis, monkeypatch, capsys):
    parent = tmp_path / "locked"
    parent.mkdir()
    parent.chmod(0o555)
    if os.geteuid() == 0:  # root may write anywhere: make the permission check see what a user would
        real = os.access
        monkeypatch.setattr(_output.os, "access", lambda p, mode: real(p, mode) and Path(p) != parent)
    try:
        assert _run_cli(toy_files, parent / "out") == 1
    finally:
        parent.chmod(0o755)
    err = capsys.readouterr().err
    assert f"{parent / 'out'}: cannot be written" in err and "Choose an --out" in err and ".tmp-" not in err


def test_a_failed_write_names_the_users_path(tmp_path, result, monkeypatch):
    def full_disk(self, folder, reports):
        raise OSError(28, "No space left on device", str(folder / "examples.parquet"))

    monkeypatch.setattr(diagnose.Result, "_write", full_disk)
    with pytest.raises(OSError, match="No space left") as info:
        result.save(tmp_path / "out")
    assert str(tmp_path / "out") in str(info.value) and ".tmp-" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("umask, folder_mode, file_mode", [(0o022, 0o755, 0o644), (0o027, 0o750, 0o640)])
def test_output_follows_the_umask(tmp_path, result, umask, folder_mode, file_mode):
    previous = os.umask(umask)
    try:
        root = save_demo({"intents": result}, tmp_path / "demo", force=False, reports=False)
        report = _output.write_file(tmp_path / "report.md", "# r", force=False)
    finally:
        os.umask(previous)
    for path in [root, *root.rglob("*")]:
        assert path.stat().st_mode & 0o777 == (folder_mode if path.is_dir() else file_mode), path
    assert report.stat().st_mode & 0o777 == file_mode


# --- interrupted runs ----------------------------------------------------------------------------

_HOOKED_CLI = textwrap.dedent("""
    import signal, sys, time
    import diagnose.cli, diagnose.pipeline, diagnose.result

    signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal, even if the test runner ignores it
    where = sys.argv[1]
    if where == "analysis":
        real_prepare = diagnose.pipeline.prepare
        def prepare(*args, **kwargs):
            print("reached", flush=True); time.sleep(60)
        diagnose.pipeline.prepare = prepare
    else:
        real_write = diagnose.result.Result._write
        def write(self, folder, reports):
            real_write(self, folder, reports)
            print("reached", flush=True); time.sleep(60)
        diagnose.result.Result._write = write
    sys.exit(diagnose.cli.main(sys.argv[2:]))
""")


@pytest.mark.parametrize("where", ["analysis", "writing"])
@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupt_leaves_nothing_behind(tmp_path, toy_files, result, where, signum, code):
    out = tmp_path / "out"
    previous = _snapshot(result.save(out, reports=False)) if where == "writing" else None
    argv = ["run", "--eval", str(toy_files["eval"]), "--train", str(toy_files["train"]), "--out", str(out), "--force"]
    proc = subprocess.Popen([sys.executable, "-c", _HOOKED_CLI, where, *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert proc.stdout.readline().strip() == "reached"
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == code, err
    assert err.strip().splitlines()[-1] == "interrupted" and "Traceback" not in err
    assert _leftovers(tmp_path) == []
    if previous is None:
        assert not out.exists()
    else:
        assert _snapshot(out) == previous  # the previous output survives an interrupted replacement
