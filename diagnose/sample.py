"""Locate the bundled sample data (shipped inside the package)."""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path

NAMES = ("intents_train", "intents_eval", "intents_annotations", "rag_eval", "rag_contexts")


def sample_paths() -> dict[str, Path]:
    """Paths of the bundled sample files, by name.

    >>> sorted(sample_paths())[:2]
    ['intents_annotations', 'intents_eval']
    """
    try:
        root = Path(str(files("diagnose.sample_data")))
    except ModuleNotFoundError:
        root = Path(__file__).resolve().parent.parent / "sample_data"
    return {name: root / f"{name}.csv" for name in NAMES}
