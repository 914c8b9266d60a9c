"""Save several results under one demo directory, atomically."""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from diagnose.result import Result, _MARKER, _swap_into_place


def save_demo(results: dict[str, Result], root: Path, *, force: bool, reports: bool) -> Path:
    """Write each result to ``root/<name>`` and an index, all or nothing."""
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}.tmp-", dir=root.parent))
    try:
        for name, result in results.items():
            result.save(tmp / name, reports=reports)
        (tmp / _MARKER).write_text(json.dumps({"demo": sorted(results)}) + "\n", encoding="utf-8")
        _swap_into_place(tmp, root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return root
