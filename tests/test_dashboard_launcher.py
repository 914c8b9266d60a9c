"""``diagnose dashboard``: where the server listens, and that a signal to the command stops the server too.

The process tests start the real command (a Streamlit server on a free port) and need Linux's ``/proc``
to find its child process.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from diagnose import cli, commands

pytest.importorskip("streamlit", reason="needs streamlit: pip install 'diagnose[dashboard]'")
DIAGNOSE = [sys.executable, "-c", "import sys; from diagnose.cli import main; sys.exit(main())"]
START_TIMEOUT = 180  # seconds; Streamlit starts slowly on a busy machine


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _outside_address() -> str | None:
    """An address of this machine other than loopback, or None when it has none."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # sends nothing: only picks the interface of the route
            address = s.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    try:
        return "State:\tZ" not in status.read_text()
    except OSError:
        return False


def _start(port: int, *extra: str) -> subprocess.Popen:
    wrapper = subprocess.Popen([*DIAGNOSE, "dashboard", "--port", str(port), *extra],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1).read() == b"ok":
                return wrapper
        except OSError:
            time.sleep(0.5)
        if wrapper.poll() is not None:
            break
    _kill(*_children(wrapper.pid), wrapper.pid)
    wrapper.wait(timeout=30)
    pytest.fail(f"`diagnose dashboard --port {port}` did not answer within {START_TIMEOUT} s")


def _kill(*pids: int) -> None:
    """Clean up after a failed test: the command and whatever it started."""
    for pid in pids:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


def test_the_command_passes_the_listening_address_to_streamlit(monkeypatch):
    started = []
    monkeypatch.setattr(commands, "_run_forwarding_signals", lambda cmd: started.append(cmd) or 0)
    assert cli.main(["dashboard", "--port", "8765"]) == 0
    assert cli.main(["dashboard", "--port", "8765", "--host", "0.0.0.0"]) == 0
    default, opened = started
    assert default[default.index("--server.address") + 1] == "127.0.0.1"
    assert opened[opened.index("--server.address") + 1] == "0.0.0.0"
    assert default[default.index("--browser.gatherUsageStats") + 1] == "false"


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="finds the server process through Linux's /proc")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_to_the_command_stops_the_server(sig):
    port = _free_port()
    wrapper = _start(port)
    children = _children(wrapper.pid)
    try:
        assert len(children) == 1, f"expected one Streamlit process under the command, found {children}"
        outside = _outside_address()
        if outside is not None:  # listens on this machine only
            assert not _answers(outside, port), f"the dashboard answers on {outside}, not only on 127.0.0.1"

        wrapper.send_signal(sig)
        assert wrapper.wait(timeout=20) == 128 + sig
        deadline = time.monotonic() + 5
        while (_answers("127.0.0.1", port) or _alive(children[0])) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _answers("127.0.0.1", port), "the server still answers after the command stopped"
        assert not _alive(children[0]), f"the Streamlit process {children[0]} outlived the command"
    finally:
        _kill(*children, *_children(wrapper.pid), wrapper.pid)
        wrapper.wait(timeout=30)
