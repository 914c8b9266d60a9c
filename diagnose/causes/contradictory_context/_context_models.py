"""The small fitted models of :mod:`diagnose.causes.contradictory_context.analyzer`.

Three logistic models: answer candidates (is this span the passage's answer),
passage relevance (does the passage answer the question at all) and set
conflict (do the passages give more than one answer). Their weights are package
data, ``weights.json`` next to this module, read once at import; only
``python -m benchmarks.context_ramdocs --fit`` writes that file, from the
RAMDocs dev half only (the test half is never seen). Private.
"""
from __future__ import annotations

import json
import math
from importlib import resources
from typing import Any

import numpy as np

from diagnose.causes.contradictory_context._context_text import STOP


def logistic(model: tuple, x: np.ndarray, offset=0.0) -> np.ndarray:
    """Probabilities of a (coefficients, intercept) logistic model for rows ``x``, ``offset`` added to each logit."""
    coef, intercept = model
    return 1.0 / (1.0 + np.exp(-(np.asarray(x, dtype=float) @ np.asarray(coef) + intercept + np.asarray(offset))))


def candidate_vector(f: dict) -> list[float]:
    """Dense features of one answer candidate (see :data:`CANDIDATE_MODEL`)."""
    prox, rprox, sprox, salign, ralign, subj = f["near"]
    tw = f["tw"]
    return [prox, rprox, sprox, math.log1p(f["count"]), tw, f["lex"], f["lexcat"], f["first"],
            min(f["nw"], 4) / 4, prox * tw, rprox * tw, salign, ralign, subj, salign * tw,
            ralign * tw, f["comma"], f["small"]]


def candidate_probs(feats: list[dict]) -> np.ndarray:
    """Probability that each candidate answers the question: the dense model plus
    the fitted weights of its neighbouring words (:data:`CUE_WEIGHTS`)."""
    if not feats:
        return np.zeros(0)
    cues = [sum(CUE_WEIGHTS.get(c, 0.0) for c in sorted(f["cues"])) for f in feats]  # sorted: set order varies by hash seed
    return logistic(CANDIDATE_MODEL, [candidate_vector(f) for f in feats], cues)


def relevance_vector(top: list[float], flat: list[str], subject: frozenset[str],
                     qterms: dict[str, float]) -> list[float]:
    """Features of one passage's relevance (see :data:`RELEVANCE_MODEL`)."""
    vocab, n = set(flat), max(len(flat), 1)
    return [top[0] if top else 0.0, sum(top), len(subject & vocab) / max(len(subject), 1),
            len(set(qterms) & vocab) / max(len(qterms), 1), math.log1p(len(flat)),
            sum(w.isalpha() for w in flat) / n, sum(w in STOP for w in flat) / n]


# ----------------------------------------------------------------------------- fitted weights

WEIGHTS_FILE = "weights.json"
FITTED = ("CANDIDATE_MODEL", "CUE_WEIGHTS", "RELEVANCE_MODEL", "SET_MODEL")
_ABOUT = {
    "CANDIDATE_MODEL": "answer candidates: is this span the passage's answer to the question?",
    "CUE_WEIGHTS": "neighbouring words of a candidate ('<answer type>|before|<word>'): added to its logit",
    "RELEVANCE_MODEL": "passages: does this passage answer the question at all (vs. retrieved noise)?",
    "SET_MODEL": "sets of passages: do they give more than one answer?",
}


def weights_from_json(text: str) -> dict[str, Any]:
    """The fitted constants (:data:`FITTED`) from the text of ``weights.json``.

    A model is ``(coefficients, intercept)`` with the coefficients a tuple of
    floats; ``CUE_WEIGHTS`` maps a cue to its weight.
    """
    raw = json.loads(text)
    out: dict[str, Any] = {"CUE_WEIGHTS": {str(k): float(v) for k, v in raw["CUE_WEIGHTS"].items()}}
    for name in ("CANDIDATE_MODEL", "RELEVANCE_MODEL", "SET_MODEL"):
        model = raw[name]
        out[name] = (tuple(float(c) for c in model["coef"]), float(model["intercept"]))
    return out


def weights_to_json(fitted: dict[str, Any]) -> str:
    """The text of ``weights.json`` for the fitted constants ``fitted`` (inverse of
    :func:`weights_from_json`; floats are written exactly, so a round trip is bit for bit)."""
    raw: dict[str, Any] = {"about": _ABOUT, "written_by": "python -m benchmarks.context_ramdocs --fit"}
    for name in ("CANDIDATE_MODEL", "RELEVANCE_MODEL", "SET_MODEL"):
        coef, intercept = fitted[name]
        raw[name] = {"coef": [float(c) for c in coef], "intercept": float(intercept)}
    raw["CUE_WEIGHTS"] = {k: float(v) for k, v in sorted(fitted["CUE_WEIGHTS"].items())}
    return json.dumps(raw, indent=1, ensure_ascii=False) + "\n"


_WEIGHTS = weights_from_json(resources.files(__package__).joinpath(WEIGHTS_FILE).read_text(encoding="utf-8"))
CANDIDATE_MODEL: tuple = _WEIGHTS["CANDIDATE_MODEL"]
CUE_WEIGHTS: dict[str, float] = _WEIGHTS["CUE_WEIGHTS"]
RELEVANCE_MODEL: tuple = _WEIGHTS["RELEVANCE_MODEL"]
SET_MODEL: tuple = _WEIGHTS["SET_MODEL"]
