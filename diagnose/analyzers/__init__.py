"""The registry of analyzers: one per cause. Everything else iterates it."""
from __future__ import annotations

from diagnose.analyzers.base import CAUSES, Analyzer, Neighbors, Prepared

__all__ = ["CAUSES", "REGISTRY", "Analyzer", "Neighbors", "Prepared", "CoverageGap", "NoisyLabel"]

from diagnose.analyzers.coverage_gap import CoverageGap
from diagnose.analyzers.noisy_label import NoisyLabel

REGISTRY: tuple[type[Analyzer], ...] = (
    CoverageGap,
    NoisyLabel,
)
