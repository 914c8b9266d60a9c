"""Tests of the optional contradiction judges against a local fake server."""
from __future__ import annotations

import builtins
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import polars as pl
import pytest

from diagnose.causes.contradictory_context.analyzer import ContradictoryContext
from diagnose.core import Prepared
from diagnose.errors import InputError, OptionalDependencyError
from diagnose.judge import ChatJudge, NLIJudge


class _FakeChat(BaseHTTPRequestHandler):
    """Answers 0.9 when the two statements differ in a year, else 0.1."""

    requests: list = []
    reply: str | None = None

    def do_POST(self):  # noqa: N802 (http.server naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"path": self.path, "body": body,
                                    "auth": self.headers.get("Authorization")})
        prompt = body["messages"][0]["content"]
        answer = self.reply or ("0.9" if "1856" in prompt and "1900" in prompt else "0.1")
        data = json.dumps({"choices": [{"message": {"role": "assistant",
                                                    "content": answer}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):  # keep test output quiet
        pass


@pytest.fixture()
def server():
    _FakeChat.requests, _FakeChat.reply = [], None
    httpd = HTTPServer(("127.0.0.1", 0), _FakeChat)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()
    httpd.server_close()


def test_chat_judge_sends_openai_request_and_parses_number(server, monkeypatch):
    monkeypatch.setenv("TEST_JUDGE_KEY", "secret")
    judge = ChatJudge(server, "tiny", api_key_env="TEST_JUDGE_KEY", timeout=5)
    assert judge.contradiction("Built in 1856.", "Built in 1900.") == pytest.approx(0.9)
    assert judge.contradiction("Built in 1856.", "Built in 1856.") == pytest.approx(0.1)
    sent = _FakeChat.requests[0]
    assert sent["path"] == "/v1/chat/completions"
    assert sent["body"]["model"] == "tiny" and sent["body"]["temperature"] == 0
    assert sent["auth"] == "Bearer secret"


def test_chat_judge_without_key_sends_no_auth(server, monkeypatch):
    monkeypatch.delenv("TEST_JUDGE_KEY", raising=False)
    ChatJudge(server, "tiny", api_key_env="TEST_JUDGE_KEY").contradiction("a", "b")
    assert _FakeChat.requests[0]["auth"] is None


def test_chat_judge_rejects_reply_without_number(server):
    _FakeChat.reply = "I cannot say."
    with pytest.raises(InputError, match="no number"):
        ChatJudge(server, "tiny").contradiction("a", "b")


def test_chat_judge_clips_to_unit_interval(server):
    _FakeChat.reply = "7"
    assert ChatJudge(server, "tiny").contradiction("a", "b") == 1.0


def test_analyzer_uses_judge_strength(server):
    ev = pl.DataFrame({"id": ["q"], "text": ["When was the cathedral established?"],
                       "label": [None], "prediction": [None]})
    ctx = pl.DataFrame({"id": ["q", "q"], "passage_id": ["a", "b"], "passage": [
        "The cathedral was established in 1856 by the bishop.",
        "The cathedral was established in 1900 by the bishop."]})
    data = Prepared(task="generation", eval=ev, contexts=ctx)
    out = ContradictoryContext(judge=ChatJudge(server, "tiny")).score(data)
    assert out["score_contradictory_context"].item() == pytest.approx(0.9)
    assert _FakeChat.requests, "the judge was not called"


def test_nli_judge_without_transformers_names_install_command(monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "transformers" or name.startswith("transformers."):
            raise ImportError("no transformers")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(OptionalDependencyError, match="pip install transformers"):
        NLIJudge("/nonexistent/model").contradiction("a", "b")
