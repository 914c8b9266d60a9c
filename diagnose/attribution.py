"""Turn per-cause scores into causes for each error.

Thresholds are calibrated on correctly predicted rows: a cause's threshold
is the ``1 - fpr`` quantile of its score among correct rows (so only ``fpr``
of them would pass), never below ``floor``. With fewer than
``min_correct`` correct rows, the floor is used alone. An error gets every
cause whose score passes; ``primary_cause`` is the one with the largest
normalised excess over its threshold, ``unexplained`` when none passes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from diagnose.analyzers.base import CAUSES

__all__ = ["AttributionConfig", "calibrate", "attribute"]


@dataclass(frozen=True)
class AttributionConfig:
    """Settings of the calibration.

    Parameters
    ----------
    fpr
        Share of correctly predicted rows allowed to pass each threshold.
    floor
        Lowest threshold a cause can get.
    min_correct
        Correct rows needed to calibrate; below it the floor is used.
    """

    fpr: float = 0.05
    floor: float = 0.5
    min_correct: int = 20


def calibrate(frame: pl.DataFrame, causes: tuple[str, ...], config: AttributionConfig) -> dict[str, dict[str, Any]]:
    """Per-cause threshold and how it was obtained.

    Examples
    --------
    >>> f = pl.DataFrame({"is_error": [False] * 40, "score_noisy_label": [i / 40 for i in range(40)]})
    >>> calibrate(f, ("noisy_label",), AttributionConfig())["noisy_label"]["threshold"]
    0.95
    """
    out = {}
    correct = frame.filter(pl.col("is_error") == False)  # noqa: E712
    for cause in causes:
        scores = correct.get_column(f"score_{cause}").drop_nulls().to_numpy()
        if len(scores) >= config.min_correct:
            q = float(np.quantile(scores, 1.0 - config.fpr, method="higher"))
            out[cause] = {"threshold": round(max(config.floor, q), 6), "method": f"{1 - config.fpr:.0%} quantile of correct rows (n={len(scores)}), floor {config.floor}",
                          "correct_rows": int(len(scores))}
        else:
            out[cause] = {"threshold": config.floor, "method": f"floor (fewer than {config.min_correct} scored correct rows)", "correct_rows": int(len(scores))}
    return out


def attribute(frame: pl.DataFrame, thresholds: dict[str, dict[str, Any]]) -> pl.DataFrame:
    """Add ``causes``, ``primary_cause`` and ``evidence`` to a scored frame."""
    n = frame.height
    is_error = frame.get_column("is_error").to_list()
    excess = {}
    for cause in CAUSES:
        col = frame.get_column(f"score_{cause}").fill_null(-1.0).to_numpy()
        thr = thresholds.get(cause, {}).get("threshold")
        excess[cause] = np.full(n, -np.inf) if thr is None else np.where(col >= thr, (col - thr) / max(1e-9, 1 - thr), -np.inf)
    causes, primary, evidence = [], [], []
    ev_cols = {c: frame.get_column(f"evidence_{c}").to_list() for c in CAUSES}
    for i in range(n):
        passing = [c for c in CAUSES if excess[c][i] > -np.inf]
        if is_error[i] is False:
            passing = []
        causes.append(passing)
        if is_error[i]:
            primary.append(max(passing, key=lambda c: (excess[c][i], -CAUSES.index(c))) if passing else "unexplained")
        else:
            primary.append(None)
        evidence.append(_evidence(passing, ev_cols, i))
    return frame.with_columns(
        pl.Series("causes", causes, dtype=pl.List(pl.Utf8)),
        pl.Series("primary_cause", primary, dtype=pl.Utf8),
        pl.Series("evidence", evidence, dtype=pl.Utf8),
    )


def _evidence(passing: list[str], ev_cols: dict[str, list], i: int) -> str | None:
    parts = [f"{c}: {ev_cols[c][i]}" for c in passing if ev_cols[c][i]]
    return "\n".join(parts) if parts else None


def count_causes(examples: pl.DataFrame) -> dict[str, Any]:
    """Errors per cause, per combination of causes, and per primary cause."""
    errors = examples.filter(pl.col("is_error") == True)  # noqa: E712
    per_cause = {c: int(errors.get_column("causes").list.contains(c).sum()) for c in CAUSES}
    combos: dict[str, int] = {}
    for row in errors.get_column("causes").to_list():
        key = " + ".join(row) if row else "unexplained"
        combos[key] = combos.get(key, 0) + 1
    primary = errors.get_column("primary_cause").value_counts()
    return {
        "per_cause": per_cause,
        "unexplained": int(sum(1 for r in errors.get_column("causes").to_list() if not r)),
        "combinations": dict(sorted(combos.items(), key=lambda kv: (-kv[1], kv[0]))),
        "primary": {k: int(v) for k, v in zip(primary.get_column("primary_cause").to_list(), primary.get_column("count").to_list())},
    }
