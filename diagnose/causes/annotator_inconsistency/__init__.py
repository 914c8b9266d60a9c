"""Annotator inconsistency: annotators who disagree on the row or on rows like it.

Everything about this cause lives in this folder: the analyzer and its evidence
helpers, its report action and health panel, its dashboard page and the tables that page
shows; :data:`CAUSE` is its one registry entry.
"""
from __future__ import annotations

from diagnose.causes.annotator_inconsistency import dashboard, report
from diagnose.causes.annotator_inconsistency.analyzer import AnnotatorInconsistency
from diagnose.core import Cause, Page

__all__ = ["CAUSE", "AnnotatorInconsistency"]

CAUSE = Cause(AnnotatorInconsistency, details=("votes", "neighbors"), action=report.action, colour="#b279a2",
              page=Page(dashboard.page, title="Annotators", url_path="annotators", icon=":material/groups:"),
              health=report.health, figures=report.figures)
