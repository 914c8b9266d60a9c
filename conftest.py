"""Collection settings for the whole repository (the doctests under ``diagnose/`` included).

The Hugging Face ``evaluate`` module imports ``datasets`` and ``evaluate`` at the top,
as that library requires; with only the core install its doctests are left out
rather than failing to import.
"""
from __future__ import annotations

import importlib.util

collect_ignore: list[str] = []
if any(importlib.util.find_spec(name) is None for name in ("datasets", "evaluate")):
    collect_ignore.append("diagnose/evaluate_module/diagnose_causes.py")
