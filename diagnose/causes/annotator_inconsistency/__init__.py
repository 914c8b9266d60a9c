"""The annotator_inconsistency cause: annotators who disagree on the row or on rows like it."""
from __future__ import annotations

from diagnose.causes.annotator_inconsistency.analyzer import AnnotatorInconsistency

__all__ = ["AnnotatorInconsistency"]
