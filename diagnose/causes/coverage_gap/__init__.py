"""Coverage gap: eval rows from regions the training data barely covers.

Everything about this cause lives in this folder: the analyzer and its evidence
helpers, the report action, its dashboard page and the tables that page shows;
:data:`CAUSE` is its one registry entry.
"""
from __future__ import annotations

from diagnose.causes.coverage_gap import dashboard, report
from diagnose.causes.coverage_gap.analyzer import CoverageGap
from diagnose.core import Cause, Page

__all__ = ["CAUSE", "CoverageGap"]

CAUSE = Cause(CoverageGap, details=("neighbors",), action=report.action, colour="#4c78a8",
              page=Page(dashboard.page, title="Coverage", url_path="coverage", icon=":material/scatter_plot:"))
