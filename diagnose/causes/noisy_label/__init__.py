"""Noisy label: a wrong gold label, or training labels that taught the mistake.

Everything about this cause lives in this folder: the analyzer and its evidence
helpers, and the report action; :data:`CAUSE` is its one registry entry.
"""
from __future__ import annotations

from diagnose.causes.noisy_label import report
from diagnose.causes.noisy_label.analyzer import NoisyLabel
from diagnose.core import Cause

__all__ = ["CAUSE", "NoisyLabel"]

CAUSE = Cause(NoisyLabel, details=("suspect_labels", "votes"), action=report.action, colour="#e45756", page="labels")
