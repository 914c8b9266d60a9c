"""The registry of analyzers: one per cause. Everything else iterates it."""
from __future__ import annotations

from diagnose.analyzers.base import CAUSES, Analyzer, Neighbors, Prepared

__all__ = ["CAUSES", "REGISTRY", "Analyzer", "Neighbors", "Prepared"]

REGISTRY: tuple[type[Analyzer], ...] = ()
