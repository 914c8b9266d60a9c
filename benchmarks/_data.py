"""Where the benchmarks find their public datasets.

One place: ``$DIAGNOSE_DATA`` if set, else ``<repository root>/../shared/data``
(the folder next to the checkout). Never an absolute path of one machine.
"""
from __future__ import annotations

import os
from pathlib import Path

__all__ = ["data_dir"]


def data_dir() -> Path:
    """``$DIAGNOSE_DATA`` if set, else ``<repo root>/../shared/data``."""
    env = os.environ.get("DIAGNOSE_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared" / "data"
