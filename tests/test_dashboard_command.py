"""`diagnose dashboard`: what it refuses to open, what it never sends."""
from __future__ import annotations

import json
import subprocess

import pytest
from tiny_inputs import (
    _cli,
)


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


def test_dashboard_sends_no_usage_statistics(monkeypatch):
    pytest.importorskip("streamlit")
    launched = []
    from diagnose import commands

    monkeypatch.setattr(commands, "_run_forwarding_signals", lambda cmd, **kw: launched.append(cmd) or 0)
    assert _cli("dashboard") == 0
    cmd = launched[0]
    assert cmd[cmd.index("--browser.gatherUsageStats") + 1] == "false"
