"""Compatibility: the analyzer classes, now at home in :mod:`diagnose.causes`.

``diagnose.analyzers.CoverageGap`` and friends keep working; new code imports
from :mod:`diagnose.causes` (the registry) or :mod:`diagnose.core` (shared types).
"""
from __future__ import annotations

from diagnose.causes.annotator_inconsistency import AnnotatorInconsistency
from diagnose.causes.contradictory_context import ContradictoryContext
from diagnose.causes.coverage_gap import CoverageGap
from diagnose.causes.noisy_label import NoisyLabel
from diagnose.core import CAUSES, Analyzer, Neighbors, Prepared

__all__ = ["CAUSES", "REGISTRY", "Analyzer", "Neighbors", "Prepared", "AnnotatorInconsistency",
           "ContradictoryContext", "CoverageGap", "NoisyLabel"]


def __getattr__(name: str):
    if name == "REGISTRY":  # the analyzer classes of the registered causes, in order
        from diagnose.core import analyzer_classes

        return analyzer_classes()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
