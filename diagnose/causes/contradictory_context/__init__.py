"""The contradictory_context cause: retrieved passages that disagree about the answer."""
from __future__ import annotations

from diagnose.causes.contradictory_context.analyzer import ContradictoryContext
from diagnose.causes.contradictory_context.judge import ChatJudge, NLIJudge

__all__ = ["ChatJudge", "ContradictoryContext", "NLIJudge"]
