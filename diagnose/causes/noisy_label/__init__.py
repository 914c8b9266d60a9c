"""Noisy label: a wrong gold label, or training labels that taught the mistake.

Everything about this cause lives in this folder: the analyzer and its evidence
helpers, the report action, its dashboard page and the tables that page shows;
:data:`CAUSE` is its one registry entry.
"""
from __future__ import annotations

from diagnose.causes.noisy_label import dashboard, report
from diagnose.causes.noisy_label.analyzer import NoisyLabel
from diagnose.core import Cause, Page

__all__ = ["CAUSE", "NoisyLabel"]

CAUSE = Cause(NoisyLabel, details=("suspect_labels", "votes"), action=report.action, colour="#e45756",
              page=Page(dashboard.page, title="Labels", url_path="labels", icon=":material/label:"))
