"""The registry of analyzers: one per cause. Everything else iterates it."""
from __future__ import annotations

from diagnose.analyzers.annotator_inconsistency import AnnotatorInconsistency
from diagnose.analyzers.base import CAUSES, Analyzer, Neighbors, Prepared
from diagnose.analyzers.contradictory_context import ContradictoryContext
from diagnose.analyzers.coverage_gap import CoverageGap
from diagnose.analyzers.noisy_label import NoisyLabel

__all__ = ["CAUSES", "REGISTRY", "Analyzer", "Neighbors", "Prepared", "AnnotatorInconsistency",
           "ContradictoryContext", "CoverageGap", "NoisyLabel"]

REGISTRY: tuple[type[Analyzer], ...] = (
    CoverageGap,
    NoisyLabel,
    AnnotatorInconsistency,
    ContradictoryContext,
)
