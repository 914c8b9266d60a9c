"""Contradictory context: retrieved passages that disagree about the answer.

Everything about this cause lives in this folder: the analyzer and its evidence
helpers, and the report action; :data:`CAUSE` is its one registry entry.
"""
from __future__ import annotations

from diagnose.causes.contradictory_context import report
from diagnose.causes.contradictory_context.analyzer import ContradictoryContext
from diagnose.causes.contradictory_context.judge import ChatJudge, NLIJudge
from diagnose.core import Cause

__all__ = ["CAUSE", "ChatJudge", "ContradictoryContext", "NLIJudge"]

CAUSE = Cause(ContradictoryContext, details=("conflict",), action=report.action, colour="#f58518", page="context")
