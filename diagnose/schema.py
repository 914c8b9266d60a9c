"""The input contract: column names, roles and task names, in one place."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from diagnose.errors import InputError

TASKS = ("classification", "generation")
ROLES = ("eval", "train", "annotations", "contexts")
SUFFIXES = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}


@dataclass(frozen=True)
class Columns:
    """Names of the input columns; change them when your files differ.

    Examples
    --------
    >>> Columns(text="utterance").text
    'utterance'
    """

    id: str = "id"
    text: str = "text"
    label: str = "label"
    prediction: str = "prediction"
    correct: str = "correct"
    annotator: str = "annotator"
    passage: str = "passage"
    passage_id: str = "passage_id"
    prob_prefix: str = "prob_"

    def required(self, role: str) -> tuple[str, ...]:
        """Columns that must be present in a table of the given role."""
        return {
            "eval": (self.id, self.text),
            "train": (self.id, self.text, self.label),
            "annotations": (self.id, self.annotator, self.label),
            "contexts": (self.id, self.passage),
        }[role]

    def flag(self, column: str) -> str:
        """The CLI option that renames ``column`` (for error messages)."""
        for name, value in vars(self).items():
            if value == column:
                return "--" + name.replace("_", "-") + "-col"
        return "--" + column + "-col"


def check_path(path: Path, role: str) -> None:
    """Raise unless ``path`` names an existing file in one of the accepted formats.

    Needs no table library, so the command line reports a wrong path at once.

    Examples
    --------
    >>> check_path(Path("no/such/eval.csv"), "eval")
    Traceback (most recent call last):
    ...
    diagnose.errors.InputError: no/such/eval.csv: file not found (given as the eval table); ...
    """
    if not path.exists():
        raise InputError(
            f"{path}: file not found (given as the {role} table); expected an existing "
            f"CSV, Parquet or JSON Lines file. Found no file at {path.resolve()}. "
            "Check the path or the working directory."
        )
    if path.is_dir():
        raise InputError(
            f"{path}: is a directory, not a file (given as the {role} table). "
            "Pass the path of a CSV, Parquet or JSON Lines file."
        )
    if path.suffix.lower() not in SUFFIXES:
        raise InputError(
            f"{path}: unknown file extension {path.suffix!r} for the {role} table; "
            f"expected one of {sorted(SUFFIXES)}. Rename the file or convert it."
        )
