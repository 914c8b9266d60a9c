"""One package per cause; each owns its analyzer and its private evidence helpers.

:data:`REGISTRY` lists the analyzer classes in report order. Everything outside
the cause packages iterates it and names no cause.
"""
from __future__ import annotations

from diagnose.causes.annotator_inconsistency import AnnotatorInconsistency
from diagnose.causes.contradictory_context import ContradictoryContext
from diagnose.causes.coverage_gap import CoverageGap
from diagnose.causes.noisy_label import NoisyLabel
from diagnose.core import Analyzer

__all__ = ["REGISTRY"]

REGISTRY: tuple[type[Analyzer], ...] = (
    CoverageGap,
    NoisyLabel,
    AnnotatorInconsistency,
    ContradictoryContext,
)
