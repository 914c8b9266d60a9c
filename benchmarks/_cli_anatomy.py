"""Run ``diagnose`` (the command line) and report where its wall time went, for ``benchmarks/small_scale.py``.

Usage: ``python benchmarks/_cli_anatomy.py REPORT.json ARGS...`` with the ``diagnose``
to measure on ``PYTHONPATH``. Runs ``diagnose.cli.main(ARGS)`` in this process and writes
to REPORT.json: when ``main`` started and ended (``time.time()``, so the parent can
add the interpreter's start and shutdown), the cyclic garbage collector's time and
passes inside ``main`` (``gc.callbacks``) and the time spent writing the output
folder (``Result.save``). Nothing else is changed.
"""
from __future__ import annotations

import gc
import json
import sys
import time

START = time.time()


def main() -> int:
    report, argv = sys.argv[1], sys.argv[2:]
    passes, spent, began = [0, 0, 0], [0.0], [0.0]

    def watch(phase: str, info: dict) -> None:
        if phase == "start":
            began[0] = time.perf_counter()
        else:
            passes[info["generation"]] += 1
            spent[0] += time.perf_counter() - began[0]

    import diagnose.result

    save = diagnose.result.Result.save
    saving = [0.0]

    def timed_save(self, *args, **kwargs):
        t = time.perf_counter()
        try:
            return save(self, *args, **kwargs)
        finally:
            saving[0] += time.perf_counter() - t

    diagnose.result.Result.save = timed_save
    from diagnose.cli import main as cli_main

    gc.callbacks.append(watch)
    entered = time.time()
    status = cli_main(argv)
    ended = time.time()
    gc.callbacks.remove(watch)
    with open(report, "w", encoding="utf-8") as fh:
        json.dump({"start": START, "main_start": entered, "main_end": ended, "gc_s": spent[0], "gc_passes": passes,
                   "save_s": saving[0], "status": status}, fh)
    return status


if __name__ == "__main__":
    sys.exit(main())
