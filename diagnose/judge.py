"""Compatibility: the judges now live in :mod:`diagnose.causes.contradictory_context.judge`."""
from __future__ import annotations

from diagnose.causes.contradictory_context.judge import ChatJudge, ContradictionJudge, NLIJudge

__all__ = ["ChatJudge", "ContradictionJudge", "NLIJudge"]
