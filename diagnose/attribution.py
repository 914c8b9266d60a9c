"""Turn per-cause evidence into verdicts on each error, with a stated precision.

A verdict has to separate *errors with a cause* from *errors without it*; being
wrong is not evidence of any cause. Each cause offers one or more lines of
evidence (:class:`~diagnose.core.ScorePart`): a score for every eval row and a
*reference*, the same score on rows known or assumed not to have the cause,
given by the analyzer (e.g. the training rows the out-of-sample model gets
wrong: ordinary errors whose class is in training) or, when the score means the
same on correct rows, the correctly predicted eval rows.

The errors' scores are a mixture of rows without the cause (distributed like
the reference) and rows with it. ``pi0``, the share of errors without the
cause, is estimated as in Storey (2002) from the lower half of the reference.
Around each error's score, a window of neighbouring errors is compared with
the reference weight in the same range (taken at its upper 90% bound, so a
small reference cannot promise much): the stated precision
``1 - pi0 * reference share / error share`` is how often an error with
evidence this strong has the cause (a local false discovery rate, made
non-decreasing in the score). A cause is given when that precision reaches
``min_precision`` (and a line's own score floor, ``decide_at``, where it has
one). With no reference large enough, a cause is given only on score ≥
``fallback`` and states no precision. A line may be explained away by another
cause given to the same row (``explained_away_by``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from diagnose.core import CAUSES, ScorePart

__all__ = ["AttributionConfig", "calibrate", "attribute", "part_precision", "count_causes", "decide_one", "explainers",
           "line_notes", "threshold_view"]


@dataclass(frozen=True)
class AttributionConfig:
    """Settings of the calibration.

    Parameters
    ----------
    min_precision
        Stated precision a verdict needs (0.7, chosen on the development seeds
        of ``python -m benchmarks.family`` over 0.5 and 0.6: fewer false
        verdicts for little recall, and stated precision closer to measured).
    min_reference
        Reference rows needed to calibrate a line of evidence.
    fallback
        Score needed when a line of evidence cannot be calibrated.
    """

    min_precision: float = 0.7
    min_reference: int = 20
    fallback: float = 0.9


def part_precision(scores: np.ndarray, is_error: np.ndarray, reference: np.ndarray,
                   config: AttributionConfig = AttributionConfig(),
                   weights: np.ndarray | None = None,
                   unlabelled: np.ndarray | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    """Stated precision of each error's evidence against a reference of rows without the cause.

    Parameters
    ----------
    scores
        One score per eval row (NaN: no evidence).
    is_error
        Boolean mask of the eval rows that are errors.
    reference
        Scores of rows without the cause.
    config
        An :class:`AttributionConfig`.
    weights
        Weight of each reference row (1 when None).
    unlabelled
        Rows without a label or prediction; they get the precision an error
        with the same score would get (a production row far from training is
        flagged like an error would be).

    Returns
    -------
    precision : numpy.ndarray
        Per eval row; NaN for correct rows, rows without a score, or when the
        reference is too small.
    info : dict
        ``pi0``, reference size and the smallest score that reaches
        ``min_precision``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> ref = rng.uniform(0, 0.6, 200)
    >>> s = np.r_[rng.uniform(0, 0.6, 80), rng.uniform(0.8, 1.0, 20)]
    >>> p, info = part_precision(s, np.ones(100, bool), ref)
    >>> bool(p[:80].max() < 0.5), bool(np.median(p[80:]) > 0.9)
    (True, True)
    """

    out = np.full(len(scores), np.nan)
    err_mask = is_error & ~np.isnan(scores)
    keep = ~np.isnan(reference)
    err, ref = scores[err_mask], reference[keep]
    ref_w = np.ones(len(ref)) if weights is None else np.asarray(weights, float)[keep]
    mass = float(ref_w.sum())
    if mass < config.min_reference or len(err) == 0:
        return out, {"reference_rows": int(len(ref)), "pi0": None, "threshold": None}
    lam = float(np.median(ref))
    pi0 = min(1.0, ((err <= lam).sum() + 1) / (len(err) + 1) / ((ref_w[ref <= lam].sum() + 1) / (mass + 1)))
    precision = _local_precision(err, np.sort(ref), ref_w[np.argsort(ref)], mass, pi0)
    out[err_mask] = precision
    if unlabelled is not None:
        rows = unlabelled & ~np.isnan(scores)
        order = np.argsort(err, kind="stable")
        out[rows] = np.interp(scores[rows], err[order], precision[order])
    passing = err[precision >= config.min_precision]
    return out, {"reference_rows": int(len(ref)), "pi0": round(float(pi0), 4),
                 "threshold": None if not len(passing) else round(float(passing.min()), 6)}


def _local_precision(err: np.ndarray, ref_sorted: np.ndarray, ref_w_sorted: np.ndarray, mass: float,
                     pi0: float, window: float = 0.05, least: int = 5) -> np.ndarray:
    """Share of errors with the cause among errors of about each score (local false discovery rate).

    Around each error, a window of its ``window`` share of neighbouring error ranks (at
    least ``least`` on each side; the top window runs to the highest score) is compared with
    the reference weight in the same score range, taken at its upper 90% (Jeffreys) bound so
    that a small reference cannot promise much; the result is made non-decreasing in the score.
    """
    from scipy.stats import beta
    from sklearn.isotonic import IsotonicRegression

    n = len(err)
    sorted_err = np.sort(err)
    half = max(least, int(round(window * n)))
    rank = np.searchsorted(sorted_err, err, side="left")
    ties = np.searchsorted(sorted_err, err, side="right") - rank
    block = ties >= least  # enough errors share this very score: judge the score on its own
    lo = np.where(block, err, sorted_err[np.clip(rank - half, 0, n - 1)])
    top = np.searchsorted(sorted_err, err, side="right") >= n  # the highest score runs to the top
    top = top | (~block & (rank + half >= n - 1))
    hi = np.where(top, np.inf, np.where(block, err, sorted_err[np.clip(rank + half, 0, n - 1)]))
    in_err = np.searchsorted(sorted_err, hi, side="right") - np.searchsorted(sorted_err, lo, side="left")
    cum = np.r_[0.0, np.cumsum(ref_w_sorted)]
    in_ref = cum[np.searchsorted(ref_sorted, hi, side="right")] - cum[np.searchsorted(ref_sorted, lo, side="left")]
    share = beta.ppf(0.9, in_ref + 0.5, np.maximum(mass - in_ref, 0.0) + 0.5)
    local = np.clip(1.0 - pi0 * share * n / in_err, 0.0, 1.0)
    return IsotonicRegression(increasing=True, y_min=0.0, y_max=1.0).fit(err, local).predict(err)


def calibrate(frame: pl.DataFrame, parts: dict[str, tuple[ScorePart, ...]], config: AttributionConfig,
              skipped: dict[str, str] | None = None) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, tuple]]]:
    """Per cause: how each line of evidence was calibrated, and each row's stated precision per line.

    Returns
    -------
    table : dict
        Per cause: ``status`` (``calibrated``, ``fallback`` or ``skipped``),
        its lines of evidence with reference, size, ``pi0`` and threshold.
    precisions : dict
        Per cause and line: ``(precision, passes)``, one stated precision per
        eval row (NaN where none; inf for a fallback line's passing rows,
        which state none) and whether the row passes.
    """
    is_error = frame.get_column("is_error").fill_null(False).to_numpy().astype(bool)
    unlabelled = frame.get_column("is_error").is_null().to_numpy()
    correct = ~is_error & ~unlabelled
    table: dict[str, dict[str, Any]] = {}
    precisions: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
    for cause in CAUSES:
        if skipped and cause in skipped:
            table[cause] = {"status": "skipped", "reason": skipped[cause], "parts": {}}
            continue
        lines = parts.get(cause) or (ScorePart("score", frame.get_column(f"score_{cause}").fill_null(np.nan).to_numpy()),)
        table[cause], precisions[cause] = {"status": "calibrated", "parts": {}}, {}
        for part in lines:
            scores = np.asarray(part.scores, dtype=float)
            if part.stated is not None:
                prec, info, where = _stated_line(scores, part, is_error, config)
            else:
                reference = scores[correct] if part.reference is None else np.asarray(part.reference, float)
                weights = None if part.reference is None else part.reference_weights
                prec, info = part_precision(scores, is_error, reference, config, weights, unlabelled=unlabelled)
                where = part.reference_name if part.reference is not None else "correctly predicted eval rows"
                if part.ungated is not None:  # a gate on the eval side only: the line scored alike on both sides
                    alike = part_precision(np.asarray(part.ungated, float), is_error, reference, config, weights,
                                           unlabelled=unlabelled)[0]
                    prec = np.fmin(prec, alike)
                    where += "; capped by the ungated line's own calibration"
            if info["pi0"] is None and part.stated is None:
                prec = np.where((is_error | unlabelled) & (np.nan_to_num(scores, nan=-1.0) >= config.fallback), np.inf, np.nan)
                info = {**info, "threshold": config.fallback}
                table[cause]["status"] = "fallback"
                where += f" (too few: fewer than {config.min_reference}; score >= {config.fallback} needed, no precision stated)"
            if part.precision_cap is not None:
                prec = np.fmin(prec, np.where(np.isnan(prec), np.nan, np.asarray(part.precision_cap, float)))
            passes = np.nan_to_num(prec, nan=-1.0) >= config.min_precision
            if part.decide_at is not None:  # a floor on the score itself, on top of the stated precision
                strong = (is_error | unlabelled) & (np.nan_to_num(scores, nan=-1.0) >= part.decide_at)
                passes = strong & (passes | np.isnan(prec))
                info = {**info, "threshold": max(part.decide_at, info["threshold"] or part.decide_at)}
                where += f"; also needs score >= {part.decide_at}"
            table[cause]["parts"][part.name] = {"reference": where, **info}
            precisions[cause][part.name] = (prec, passes)
    return table, precisions


def _stated_line(scores: np.ndarray, part: ScorePart, is_error: np.ndarray,
                 config: AttributionConfig) -> tuple[np.ndarray, dict[str, Any], str]:
    """A line that states its own precision on each error (``ScorePart.stated``)."""
    prec = np.where(is_error & ~np.isnan(scores), np.asarray(part.stated, float), np.nan)
    passing = scores[np.nan_to_num(prec, nan=-1.0) >= config.min_precision]
    info = {"reference_rows": None, "pi0": None,
            "threshold": None if not len(passing) else round(float(passing.min()), 6)}
    return prec, info, part.reference_name


def attribute(frame: pl.DataFrame, precisions: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]],
              config: AttributionConfig = AttributionConfig(),
              explainers: dict[str, dict[str, str]] | None = None,
              notes: dict[str, dict[str, list[str]]] | None = None) -> pl.DataFrame:
    """Add ``causes``, ``primary_cause``, ``precision_<cause>`` and ``evidence`` to a scored frame.

    ``explainers`` maps a cause's line to the cause that explains it away (see :func:`explainers`);
    ``notes`` (see :func:`line_notes`) gives the lines' own notes: where a cause is given, its
    ``evidence_<cause>`` then keeps only the notes of the lines that gave it."""
    n = frame.height
    is_error = frame.get_column("is_error").to_list()
    best, mask, lines = _best_lines(precisions, n, config)
    _explain_away(mask, lines, explainers)
    frame = frame.with_columns(*[pl.Series(f"evidence_{c}", column, dtype=pl.Utf8)
                                 for c, column in _verdict_notes(frame, mask, lines, explainers, notes).items()])
    causes, primary = [], []
    for i in range(n):
        row = [c for c in CAUSES if mask[c][i]] if is_error[i] is not False else []  # unlabelled rows too
        causes.append(row)
        ranked = sorted(row, key=lambda c: (-_rank(best[c][i]), CAUSES.index(c)))
        primary.append((ranked[0] if ranked else "unexplained") if is_error[i] is True else None)
    ev_cols = {c: frame.get_column(f"evidence_{c}").to_list() for c in CAUSES}
    stated = [pl.Series(f"precision_{c}", [_stated(best[c][i]) if c in causes[i] else None for i in range(n)],
                        dtype=pl.Float64) for c in CAUSES]
    return frame.with_columns(
        pl.Series("causes", causes, dtype=pl.List(pl.Utf8)),
        pl.Series("primary_cause", primary, dtype=pl.Utf8),
        pl.Series("evidence", [_evidence(causes[i], ev_cols, i) for i in range(n)], dtype=pl.Utf8),
        *stated,
    )


def decide_one(frame: pl.DataFrame, cause: str, parts: tuple[ScorePart, ...],
               config: AttributionConfig = AttributionConfig()) -> pl.DataFrame:
    """One cause's verdicts on a frame holding ``id``, ``is_error`` and its score and evidence columns,
    exactly as :func:`diagnose.run` decides them (for benchmarks and studies of a single analyzer)."""
    others = [c for c in CAUSES if c != cause]
    frame = frame.with_columns(*[pl.lit(None, pl.Float64).alias(f"score_{c}") for c in others],
                               *[pl.lit(None, pl.Utf8).alias(f"evidence_{c}") for c in others])
    _, lines = calibrate(frame, {cause: parts}, config, {c: "not measured" for c in others})
    return attribute(frame, lines, config, explainers({cause: parts}), line_notes({cause: parts})).select(
        "id", pl.col("causes").list.contains(cause).alias("given"),
                                                  f"precision_{cause}")


def _best_lines(precisions, n, config):
    """Per cause: the best stated precision of the passing lines per row, which rows pass, and which pass per line."""
    best, mask, lines = {}, {}, {}
    for cause in CAUSES:
        given = precisions.get(cause, {})
        lines[cause] = {name: passes for name, (_, passes) in given.items()}
        stated = [np.where(passes, np.where(np.isnan(p), np.inf, p), -1.0) for p, passes in given.values()]
        best[cause] = np.vstack(stated).max(axis=0) if stated else np.full(n, -1.0)
        mask[cause] = np.any(list(lines[cause].values()), axis=0) if given else np.zeros(n, dtype=bool)
    return best, mask, lines


def explainers(parts: dict[str, tuple[ScorePart, ...]]) -> dict[str, dict[str, str]]:
    """Per cause, its lines that another cause explains away, and that cause."""
    return {cause: {p.name: p.explained_away_by for p in lines if p.explained_away_by}
            for cause, lines in parts.items() if any(p.explained_away_by for p in lines)}


def line_notes(parts: dict[str, tuple[ScorePart, ...]]) -> dict[str, dict[str, list[str]]]:
    """Per cause, the note each of its lines gives each eval row, for the lines that have their own."""
    return {cause: {p.name: p.notes for p in lines if p.notes is not None}
            for cause, lines in parts.items() if any(p.notes is not None for p in lines)}


def _verdict_notes(frame: pl.DataFrame, mask: dict, lines: dict, explained: dict | None, notes: dict | None) -> dict:
    """Each cause's evidence column with, on the rows it is given, only the notes of the lines that gave it
    (a line another given cause explains away does not count); rows without such a note keep theirs."""
    out = {}
    for cause, by_line in (notes or {}).items():
        column, away = frame.get_column(f"evidence_{cause}").to_list(), (explained or {}).get(cause, {})
        for i in np.flatnonzero(mask.get(cause, [])):
            used = [name for name, passes in lines.get(cause, {}).items() if passes[i] and name in by_line
                    and not (name in away and away[name] in mask and mask[away[name]][i])]
            texts = list(dict.fromkeys(by_line[name][i] for name in used if by_line[name][i]))
            if texts:
                column[i] = " | ".join(texts)
        out[cause] = column
    return out


def _explain_away(mask: dict, lines: dict, explained: dict[str, dict[str, str]] | None) -> None:
    """Drop a cause from rows where it rests only on lines that a cause given there explains away."""
    for cause, by_line in (explained or {}).items():
        own = lines.get(cause, {})
        others = [m for name, m in own.items() if name not in by_line]
        unexplained = np.any(others, axis=0) if others else np.zeros(len(mask[cause]), dtype=bool)
        for name, other_cause in by_line.items():
            if name in own and other_cause in mask:
                unexplained = unexplained | (own[name] & ~mask[other_cause])
        mask[cause] = mask[cause] & unexplained


def threshold_view(table: dict[str, dict[str, Any]], config: AttributionConfig = AttributionConfig()) -> dict[str, dict[str, Any]]:
    """One line per cause for reports: status, the lowest passing score of its first line, and how it was set."""
    out = {}
    for cause, entry in table.items():
        if entry["status"] == "skipped":
            out[cause] = {"status": "skipped", "threshold": None, "method": f"skipped: {entry['reason']}", "correct_rows": None}
            continue
        lines = entry["parts"]
        first = next(iter(lines.values()))
        method = "; ".join(f"{name}: stated precision >= {config.min_precision} against {info['reference']}"
                           + ("" if info["reference_rows"] is None else f" (n={info['reference_rows']}, pi0={info['pi0']})")
                           for name, info in lines.items())
        out[cause] = {"status": entry["status"], "threshold": first["threshold"], "method": method,
                      "correct_rows": first["reference_rows"]}
    return out


def _rank(value: float) -> float:
    return 2.0 if np.isinf(value) else float(value)


def _stated(value: float) -> float | None:
    return None if np.isinf(value) or value < 0 else round(float(value), 4)


def _evidence(passing: list[str], ev_cols: dict[str, list], i: int) -> str | None:
    parts = [f"{c}: {ev_cols[c][i]}" for c in passing if ev_cols[c][i]]
    return "\n".join(parts) if parts else None


def misattributed_share(examples: pl.DataFrame) -> float | None:
    """Expected share of the causes given to errors that are wrong: the mean of one minus their stated precision."""
    errors = examples.filter(pl.col("is_error") == True)  # noqa: E712  (unlabelled rows are not errors)
    values = [v for c in CAUSES for v in errors.get_column(f"precision_{c}").drop_nulls().to_list()]
    return None if not values else round(float(np.mean([1.0 - v for v in values])), 4)


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
        "expected_misattributed_share": misattributed_share(examples)
        if all(f"precision_{c}" in examples.columns for c in CAUSES) else None,
    }
