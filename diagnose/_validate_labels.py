"""Label checks of :mod:`diagnose.validate`: training labels, how eval gold labels meet them.

Every failure raises an :class:`~diagnose.errors.InputError` naming the file, the column and
example rows, and saying how to fix it in the caller's words.
"""
from __future__ import annotations

import re
import sys
import warnings
from pathlib import Path

import polars as pl

from diagnose.errors import InputError, format_examples
from diagnose.schema import Columns


def _check_train_labels(tr: pl.DataFrame, name: str, cols: Columns) -> None:
    labels = tr.get_column("label")
    if labels.null_count():
        rows = tr.filter(labels.is_null()).get_column("id").to_list()
        raise InputError(
            f"{name}: column {cols.label!r} has empty labels in the train table; expected a label "
            f"in every training row. Found {format_examples(rows)} (ids). Label or drop these rows."
        )
    if labels.n_unique() < 2:
        raise InputError(
            f"{name}: column {cols.label!r} has a single class ({labels[0]!r}) in the train table; "
            "expected at least two classes to learn from. Add examples of the other classes."
        )


_INTEGER = re.compile(r"^[+-]?[0-9]+$")


def _looks_like(labels: list[str]) -> str:
    """``integers`` when every label is a whole number, else ``names``."""
    return "integers" if labels and all(_INTEGER.match(x) for x in labels) else "names"


def _check_label_overlap(ev: pl.DataFrame, tr: pl.DataFrame, names: dict[str, str], cols: Columns,
                         caller: str) -> None:
    """Refuse eval gold labels that share almost nothing with the training labels.

    A few gold classes unseen in training are fine (reported as coverage gaps). Refused:
    fewer than half of the gold classes *and* fewer than half of the labelled eval rows
    are seen in training, and either two or more gold classes are unseen or the unseen
    ones are written differently (integers on one side, names on the other) -- the
    sign of two label encodings, not of out-of-scope classes.
    """
    gold = ev.get_column("label").drop_nulls()
    classes = sorted(set(gold.to_list()))
    learnt = sorted(set(tr.get_column("label").to_list()))
    unseen = [c for c in classes if c not in set(learnt)]
    forms = (_looks_like(unseen), _looks_like(learnt))
    if not unseen or 2 * (len(classes) - len(unseen)) >= len(classes) or 2 * gold.is_in(learnt).sum() >= gold.len():
        return
    if len(unseen) < 2 and forms[0] == forms[1]:
        return
    rows = ev.filter(pl.col("label").is_in(unseen)).get_column("id").to_list()
    raise InputError(
        f"{names['eval']}: the gold labels in column {cols.label!r} share {len(classes) - len(unseen)} of "
        f"{len(classes)} classes with the training labels of {names['train']}; expected the same label "
        f"names in both (a few gold classes unseen in training are fine). Found gold labels that look "
        f"like {forms[0]} ({format_examples(unseen)}; rows e.g. {rows[:5]}) and training labels that "
        f"look like {forms[1]} ({format_examples(learnt)}). {_overlap_fix(unseen, learnt, forms, names, cols, caller)}"
    )


def _overlap_fix(unseen: list[str], learnt: list[str], forms: tuple[str, str], names: dict[str, str],
                 cols: Columns, caller: str) -> str:
    """How to make the two label sets meet, in the caller's words."""
    if forms[0] == forms[1]:
        return ("Check that both tables use the same label names (spelling, case, language); if these "
                "classes are truly absent from training, every such row is a coverage gap by "
                "construction: add training examples of them or leave those rows out.")
    ints, words, side = (unseen, learnt, "eval") if forms[0] == "integers" else (learnt, unseen, "train")
    labels = [cols.label, cols.prediction] if side == "eval" else [cols.label]
    where = f"column(s) {labels} of {names[side]}"
    if caller == "cli":
        fix = f"Map the integers to names in {where} with your model's id-to-label table, then run again."
    else:
        picked = ", ".join(repr(c) for c in labels)
        fix = (f"Map the integers to names in {where} before calling, e.g. "
               f"frame.with_columns(pl.col({picked}).replace_strict(id2label)) in polars or "
               f"df[{labels[0]!r}] = df[{labels[0]!r}].map(id2label) in pandas, with your model's "
               "id-to-label table as id2label.")
    if sorted(int(i) for i in ints) == list(range(len(words))):
        guess = {str(i): w for i, w in enumerate(sorted(words))}
        fix += (" If the integers index the sorted names (sklearn's LabelEncoder and predict_proba "
                f"order), that table is {dict(list(guess.items())[:5])}{' ...' if len(guess) > 5 else ''}.")
    return fix


def _user_stacklevel() -> int:
    """``stacklevel`` for ``warnings.warn`` called by our caller that points at the first
    frame outside the ``diagnose`` package (the user's line), not at our internals."""
    package = str(Path(__file__).resolve().parent)
    frame, level = sys._getframe(2), 2
    while frame is not None and str(Path(frame.f_code.co_filename).resolve()).startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def _unseen_labels(ev: pl.DataFrame, tr: pl.DataFrame, name: str, cols: Columns) -> list[str]:
    seen = set(tr.get_column("label").to_list())
    unseen = sorted(set(ev.get_column("label").drop_nulls().to_list()) - seen)
    if unseen:
        warnings.warn(
            f"{name}: {len(unseen)} gold label(s) in column {cols.label!r} never appear in "
            f"training, e.g. {unseen[:5]}; their rows are reported as coverage gaps.",
            stacklevel=_user_stacklevel(),
        )
    return unseen
