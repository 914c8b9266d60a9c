"""Save several results under one demo directory, atomically."""
from __future__ import annotations

import json
from pathlib import Path

from diagnose._output import write_folder, write_manifest
from diagnose.result import _MARKER, Result


def save_demo(results: dict[str, Result], root: Path, *, force: bool, reports: bool) -> Path:
    """Write each result to ``root/<name>`` and an index, all or nothing.

    Each result folder gets its own manifest and the root one listing every
    file, so ``--force`` can replace the whole demo or one of its results.
    """
    def fill(folder: Path) -> None:
        for name, result in results.items():
            (folder / name).mkdir()
            result._write(folder / name, reports)
            write_manifest(folder / name)
        (folder / _MARKER).write_text(json.dumps({"demo": sorted(results)}) + "\n", encoding="utf-8")

    return write_folder(Path(root), fill, force=force)
