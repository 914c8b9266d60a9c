"""Contradictory context: retrieved passages that disagree about the answer.

Everything about this cause lives in this folder: the analyzer and its evidence
helpers, the report action, its dashboard page and the tables that page shows;
:data:`CAUSE` is its one registry entry.
"""
from __future__ import annotations

from diagnose.causes.contradictory_context import dashboard, report
from diagnose.causes.contradictory_context.analyzer import ContradictoryContext
from diagnose.causes.contradictory_context.judge import ChatJudge, NLIJudge
from diagnose.core import Cause, Page

__all__ = ["CAUSE", "ChatJudge", "ContradictoryContext", "NLIJudge"]

CAUSE = Cause(ContradictoryContext, details=("conflict",), action=report.action, colour="#f58518",
              page=Page(dashboard.page, title="Context", url_path="context", icon=":material/article:"))
