"""What the coverage_gap analyzer says about a row, in words (helpers of :mod:`.analyzer`)."""
from __future__ import annotations

import numpy as np

from diagnose.core import Prepared

_SHARE_TEXT = {"isolation": "more isolated than", "centre": "farther from every class centre than",
               "uncertainty": "classifier less certain than on"}


def reference_text(share_all: float, share_outcome: float, is_error: bool | None, mode: str) -> str:
    """How the calibrated novelty was reached (``mode``: the analyzer's outcome reference)."""
    if np.isnan(share_outcome):
        return f"more unusual than {100 * share_all:.0f}% of training rows"
    group = "the training rows the model also gets wrong" if is_error else "the training rows the model gets right"
    if mode == "outcome":
        return f"more unusual than {100 * share_outcome:.0f}% of {group}"
    return (f"more unusual than {100 * (share_all + share_outcome) / 2:.0f}% of training rows on average: "
            f"{100 * share_all:.0f}% of all of them, {100 * share_outcome:.0f}% of {group}")


def evidence_text(shares, idx, sims, train_ids, train_labels, label_note, reference, gold_note="") -> str:
    """One row's evidence: the reference sentence, each signal's share, the gold note and the shown neighbours."""
    near = ", ".join(f"{train_ids[j]} [{train_labels[j]}] sim {s:.2f}" for j, s in zip(idx, sims))
    parts = ", ".join(f"{_SHARE_TEXT[name]} {100 * v:.0f}%" for name, v in shares.items())
    gold = f"; {gold_note}" if gold_note else ""
    text = f"{reference} ({parts} of all training rows){gold}; nearest training rows: {near}"
    return f"{label_note}; {text}" if label_note else text


def other_model(data: Prepared) -> bool:
    """Whether the eval probabilities are your model's while the training rows' are the proxy's."""
    return data.notes.get("eval_probs") == "given" and data.notes.get("train_probs") != "given"


def label_signal(gold: str | None, counts: dict | None, rare_share: float, median: float) -> tuple[float, str]:
    """Score and note of a gold label absent (1) or rare (0.5-1, below ``rare_share`` of the ``median`` class count) in training."""
    if gold is None or counts is None:
        return 0.0, ""
    count = counts.get(gold, 0)
    if count == 0:
        return 1.0, f"gold label {gold!r} never appears in training"
    limit = rare_share * median
    if count < limit:
        return 0.5 + 0.5 * (1 - count / limit), f"gold label {gold!r} is rare in training ({count} rows; median class {median:.0f})"
    return 0.0, ""


def wrong_rows(data: Prepared, rows: np.ndarray) -> np.ndarray | None:
    """Which training ``rows`` the out-of-sample model gets wrong (None without ``train_probs``)."""
    if data.train_probs is None or data.task != "classification":
        return None
    column = {c: j for j, c in enumerate(data.classes)}
    labels = data.train.get_column("label").gather(rows).to_list()
    return data.train_probs[rows].argmax(axis=1) != np.array([column.get(g, -1) for g in labels])
