"""Optional contradiction judges that re-score candidate sentence pairs.

:class:`~diagnose.causes.contradictory_context.analyzer.ContradictoryContext` finds
candidate pairs lexically; given ``judge=...`` it asks the judge for the
probability that the two sentences contradict each other and uses that as the
pair's strength. Any object with a ``contradiction(sentence_a, sentence_b, *,
question=None) -> float`` method works. Two are provided:

* :class:`NLIJudge`: a local natural-language-inference model loaded with
  ``transformers`` (installed separately; nothing is downloaded unless the
  path is a hub name and your environment allows it);
* :class:`ChatJudge`: any OpenAI-compatible chat-completions endpoint, called
  with the standard library only.

Examples
--------
>>> class Always:
...     def contradiction(self, a, b, *, question=None):
...         return 1.0
>>> Always().contradiction("It is red.", "It is blue.")
1.0
"""
from __future__ import annotations

import json
import os
import re
import urllib.request
from typing import Protocol

from diagnose.errors import InputError, OptionalDependencyError

__all__ = ["ContradictionJudge", "NLIJudge", "ChatJudge"]

_PROMPT = (
    "Do these two statements contradict each other{about}? Answer with one number between "
    "0 (no contradiction) and 1 (clear contradiction) and nothing else.\n"
    "Statement A: {a}\nStatement B: {b}"
)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


class ContradictionJudge(Protocol):
    """What the analyzer needs from a judge."""

    def contradiction(self, sentence_a: str, sentence_b: str, *,
                      question: str | None = None) -> float:
        """Probability in [0, 1] that the two sentences contradict each other."""
        ...


class NLIJudge:
    """An NLI cross-encoder from a local path, via ``transformers``.

    Parameters
    ----------
    model_path : str
        Directory (or hub name) of a sequence-classification NLI model whose
        config names a ``contradiction`` label.
    device : str, optional
        Torch device, e.g. ``"cpu"``; default lets transformers choose.
    """

    def __init__(self, model_path: str, *, device: str | None = None):
        self.model_path = model_path
        self.device = device
        self._pipe = None

    def __repr__(self) -> str:
        return f"NLIJudge(model_path={self.model_path!r}, device={self.device!r})"

    def _load(self):
        try:
            from transformers import pipeline  # noqa: PLC0415 (optional, heavy)
        except ImportError as err:
            raise OptionalDependencyError(
                "NLIJudge needs the 'transformers' package, which is not installed; "
                "expected it importable with a torch backend. "
                "Install it with: pip install transformers torch"
            ) from err
        return pipeline("text-classification", model=self.model_path, device=self.device,
                        top_k=None)

    def contradiction(self, sentence_a: str, sentence_b: str, *,
                      question: str | None = None) -> float:
        """Probability of the ``contradiction`` label for (a, b)."""
        if self._pipe is None:
            self._pipe = self._load()
        scores = self._pipe({"text": sentence_a, "text_pair": sentence_b})
        scores = scores[0] if scores and isinstance(scores[0], list) else scores
        return float(next((s["score"] for s in scores
                           if s["label"].lower().startswith("contradict")), 0.0))


class ChatJudge:
    """An OpenAI-compatible ``/chat/completions`` endpoint as a judge.

    Parameters
    ----------
    base_url : str
        API root, e.g. ``"http://127.0.0.1:8000/v1"``.
    model : str
        Model name sent in the request.
    api_key_env : str
        Environment variable holding the API key (sent as a bearer token when
        set; local servers often need none).
    timeout : float
        Seconds to wait for one answer.
    """

    def __init__(self, base_url: str, model: str, *, api_key_env: str = "OPENAI_API_KEY",
                 timeout: float = 30.0):
        self.base_url = base_url
        self.model = model
        self.api_key_env = api_key_env
        self.timeout = timeout

    def __repr__(self) -> str:  # names the key's variable, never the key
        return (f"ChatJudge(base_url={self.base_url!r}, model={self.model!r}, "
                f"api_key_env={self.api_key_env!r}, timeout={self.timeout!r})")

    def contradiction(self, sentence_a: str, sentence_b: str, *,
                      question: str | None = None) -> float:
        """Ask the endpoint; parse the first number of its reply, clipped to [0, 1]."""
        about = f" as answers to the question {question!r}" if question else ""
        prompt = _PROMPT.format(about=about, a=sentence_a, b=sentence_b)
        reply = self._complete(prompt)
        match = _NUMBER.search(reply)
        if match is None:
            raise InputError(
                f"judge at {self.base_url}: reply has no number; expected one number in "
                f"[0, 1]. Found {reply[:200]!r}. Use a model that follows short instructions."
            )
        return min(max(float(match.group()), 0.0), 1.0)

    def _complete(self, prompt: str) -> str:
        body = json.dumps({"model": self.model, "temperature": 0,
                           "messages": [{"role": "user", "content": prompt}]}).encode()
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.api_key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        url = self.base_url.rstrip("/") + "/chat/completions"
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            payload = json.loads(response.read().decode("utf-8"))
        try:
            return str(payload["choices"][0]["message"]["content"])
        except (KeyError, IndexError, TypeError) as err:
            raise InputError(
                f"judge at {url}: unexpected response; expected choices[0].message.content. "
                f"Found {str(payload)[:200]!r}. Check that the endpoint is OpenAI-compatible."
            ) from err
