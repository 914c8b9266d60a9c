"""The coverage_gap cause: eval rows from regions the training data barely covers."""
from __future__ import annotations

from diagnose.causes.coverage_gap.analyzer import CoverageGap

__all__ = ["CoverageGap"]
