"""One package per cause; each owns its analyzer, its evidence helpers and its report words.

Importing this package registers the built-in causes, in report order, with
:func:`diagnose.core.register`. Everything outside the cause packages iterates
the registry (:func:`diagnose.core.registered`) and names no cause. To add a
cause, write a package like these (an :class:`~diagnose.core.Analyzer` subclass
and a :class:`~diagnose.core.Cause` entry) and register its ``CAUSE`` here, or
from your own code with ``diagnose.core.register(CAUSE)``; see docs/architecture.md.
"""
from __future__ import annotations

from diagnose.causes import annotator_inconsistency, contradictory_context, coverage_gap, noisy_label
from diagnose.core import analyzer_classes, register

__all__ = ["REGISTRY"]

for _package in (coverage_gap, noisy_label, annotator_inconsistency, contradictory_context):
    register(_package.CAUSE)


def __getattr__(name: str):
    if name == "REGISTRY":  # compatibility: the analyzer classes of the registered causes
        return analyzer_classes()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
