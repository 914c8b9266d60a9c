"""Validation of ``prob_<class>`` columns (part of :mod:`diagnose.validate`): present for every class the
model could predict, finite, in [0, 1] and summing to 1 per row."""
from __future__ import annotations

import numpy as np
import polars as pl

from diagnose.errors import InputError, format_examples
from diagnose.schema import Columns

__all__ = ["PROB_TOLERANCE", "_probs"]

PROB_TOLERANCE = 0.02


def _probs(raw: pl.DataFrame, canon: pl.DataFrame, role: str, name: str, classes, learnt: set[str],
           cols: Columns) -> np.ndarray | None:
    """The table's ``prob_<class>`` columns as a row-normalised matrix over ``classes``.

    A class without a column gets probability 0 when the model cannot know it: it
    never appears in training (``learnt``) nor among the table's predictions, as
    with sklearn's ``predict_proba`` and a gold class absent from training.
    """
    prob_cols = [c for c in raw.columns if c.startswith(cols.prob_prefix)]
    if not prob_cols:
        return None
    given = {c[len(cols.prob_prefix):]: c for c in prob_cols}
    given.update({k: given[f"{k}.0"] for k in classes if k not in given and f"{k}.0" in given})
    predicted = set(canon.get_column("prediction").drop_nulls().to_list()) if "prediction" in canon.columns else set()
    missing = [k for k in classes if k not in given]
    needed = [k for k in missing if k in learnt or k in predicted]
    if needed:
        raise InputError(
            f"{name}: the {role} table's {cols.prob_prefix}<class> columns do not match the label "
            f"set; expected one column per class the model knows (every training label and every "
            f"prediction). Missing {format_examples(needed)}; found {format_examples(prob_cols)}. "
            f"Add a {cols.prob_prefix}<class> column for each (0 where the model never predicts "
            "it) or drop all of them."
        )
    mat = _prob_matrix(raw, given, [k for k in classes if k in given], role, name, cols)
    ids = raw.get_column(cols.id).cast(pl.Utf8)
    _check_prob_cells(mat, [given[k] for k in classes if k in given], ids, role, name, cols)
    _check_prob_rows(mat, ids, role, name, cols)
    mat = mat / mat.sum(axis=1, keepdims=True)
    if not missing:
        return mat
    full = np.zeros((raw.height, len(classes)))
    full[:, [i for i, k in enumerate(classes) if k in given]] = mat
    return full


def _prob_matrix(raw: pl.DataFrame, given: dict[str, str], keys: list[str], role: str, name: str,
                 cols: Columns) -> np.ndarray:
    """The given probability columns as floats (nulls become NaN)."""
    try:
        return raw.select([pl.col(given[k]).cast(pl.Float64) for k in keys]).to_numpy()
    except pl.exceptions.PolarsError as exc:
        first = str(exc).strip().splitlines()[0]
        comma = any(raw.get_column(given[k]).cast(pl.Utf8).str.contains(",", literal=True).any() for k in keys)
        hint = " Use a dot as the decimal separator (found '0,5'-style numbers)." if comma else ""
        raise InputError(
            f"{name}: a {cols.prob_prefix}<class> column of the {role} table is not numeric "
            f"({first}); expected numbers in [0, 1]. Fix the non-numeric cells.{hint}"
        ) from exc


_CELL_FAULTS = (
    ("missing or NaN", lambda m: np.isnan(m),
     "Fill them in (0 where the model gives the class no probability) or drop these rows."),
    ("infinite", lambda m: np.isinf(m), "Pass softmax outputs, not logits or log-probabilities."),
    ("negative", lambda m: m < 0,
     "These look like logits or log-probabilities: pass softmax outputs (e.g. model.predict_proba)."),
    ("above 1", lambda m: m > 1 + PROB_TOLERANCE, "Pass probabilities, not scores or percentages."),
)


def _check_prob_cells(mat: np.ndarray, names: list[str], ids: pl.Series, role: str, name: str,
                      cols: Columns) -> None:
    """Name the first column holding NaN, infinite, negative or above-1 values, with rows."""
    for fault, test, fix in _CELL_FAULTS:
        with np.errstate(invalid="ignore"):
            bad = test(mat)
        if not bad.any():
            continue
        col = int(np.flatnonzero(bad.any(axis=0))[0])
        rows = np.flatnonzero(bad[:, col])
        shown = [f"{ids[int(r)]} ({mat[r, col]:g})" for r in rows]
        raise InputError(
            f"{name}: column {names[col]!r} of the {role} table has {fault} values in {len(rows)} "
            f"rows; expected a probability in [0, 1] in every {cols.prob_prefix}<class> cell. "
            f"Found {format_examples(shown)} (ids). {fix}"
        )


def _check_prob_rows(mat: np.ndarray, ids: pl.Series, role: str, name: str, cols: Columns) -> None:
    sums = mat.sum(axis=1)
    bad = np.abs(sums - 1.0) > PROB_TOLERANCE
    if bad.any():
        rows = [f"{i} (sum {s:.3f})" for i, s in zip(ids.filter(pl.Series(bad)).to_list(), sums[bad])]
        raise InputError(
            f"{name}: the {role} table's {cols.prob_prefix}<class> columns do not sum to 1 in "
            f"{int(bad.sum())} rows; expected probabilities summing to 1 (±"
            f"{PROB_TOLERANCE}). Found {format_examples(rows)}. Pass softmax outputs, not logits, "
            "and include a column for every class."
        )
