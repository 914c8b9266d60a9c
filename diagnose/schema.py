"""The input contract: column names, roles and task names, in one place."""
from __future__ import annotations

from dataclasses import dataclass

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
