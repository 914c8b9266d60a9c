"""Command line: ``diagnose run | demo | report | dashboard``."""
from __future__ import annotations

import argparse
import logging
import signal
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from diagnose.errors import DiagnoseError
from diagnose.schema import Columns

__all__ = ["main"]


_COLUMN_HELP = {
    "id": "id column of every table", "text": "input text column (eval, train)",
    "label": "gold label column (eval, train, annotations)", "prediction": "model prediction column (eval)",
    "correct": "optional boolean column of the eval table that overrides the match",
    "annotator": "annotator column (annotations)", "passage": "passage text column (contexts)",
    "passage_id": "passage id column (contexts)",
}


def _share(value: str) -> float:
    """An argparse type: a float strictly between 0 and 1."""
    try:
        share = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number; expected a share such as 0.5") from None
    if not 0.0 < share < 1.0:
        raise argparse.ArgumentTypeError(f"{value} is not strictly between 0 and 1; expected a share such as 0.5")
    return share


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, default=0, metavar="N", help="seed of every random step (default 0)")
    p.add_argument("--force", action="store_true",
                   help="replace the output directory only if it holds nothing but an unchanged previous diagnose "
                        "output (never files you added or changed)")
    p.add_argument("--quiet", action="store_true", help="no progress bars, log lines, warnings or summary (errors still shown)")
    p.add_argument("--progress", action="store_true",
                   help="show progress bars even when standard error is not a terminal (default: only on a terminal)")
    p.add_argument("--neighbors", choices=["auto", "exact", "ivf", "faiss"], default=None,
                   help="neighbour search: exact, ivf (approximate), faiss (extra 'ann') or auto by size: exact up to 2e8 query x row pairs, else ivf (default)")
    p.add_argument("--engine", choices=["local", "dask"], default=None,
                   help="where heavy stages run; dask needs the 'distributed' extra (default: the library's, local)")
    p.add_argument("--min-precision", type=_share, default=None, metavar="SHARE",
                   help="stated precision a verdict needs, in (0, 1): a cause is given only when errors with "
                        "evidence this strong had it at least this often in calibration (default: the library's, 0.7)")
    p.add_argument("--no-report", action="store_true", help="do not write report.html / report.md")
    p.add_argument("--cache", metavar="DIR", default=None,
                   help="keep embeddings, neighbour tables and the outputs that read no training label in DIR, "
                        "keyed by content hashes, so a re-run after relabelling or adding rows reuses them (same "
                        "result as without it; delete DIR to clear it; default: no cache)")


def _parser() -> argparse.ArgumentParser:
    from diagnose import __version__

    parser = argparse.ArgumentParser(prog="diagnose", description="Why did my model get these examples wrong?",
                                     epilog="Start with `diagnose demo`; `diagnose COMMAND --help` describes each command.")
    parser.add_argument("--version", action="version", version=f"diagnose {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser("run", help="diagnose a model's errors from your files",
                         description="Attribute every wrong prediction in EVAL to its causes and write the result to OUT.",
                         epilog="Files are CSV, Parquet or JSON Lines (by extension). Example: diagnose run "
                                "--eval eval.csv --train train.csv --out out/")
    run.add_argument("--eval", required=True, metavar="FILE", help="eval table: id, text, [label, prediction, prob_<class>, correct]")
    run.add_argument("--train", metavar="FILE", help="training table: id, text, label, [prob_<class>]")
    run.add_argument("--annotations", metavar="FILE", help="annotations (long): id, annotator, label")
    run.add_argument("--contexts", metavar="FILE", help="contexts (long): id, passage, [passage_id]")
    run.add_argument("--out", required=True, metavar="DIR", help="output directory (must not exist, see --force)")
    run.add_argument("--task", choices=["classification", "generation"], help="inferred from the inputs when omitted")
    for field in Columns.__dataclass_fields__:
        default = getattr(Columns(), field)
        if field == "prob_prefix":
            run.add_argument("--prob-prefix", dest="col_prob_prefix", default=default, metavar="PREFIX",
                             help=f"prefix of the per-class probability columns (default {default!r})")
        else:
            run.add_argument(f"--{field.replace('_', '-')}-col", dest=f"col_{field}", default=default, metavar="NAME",
                             help=f"name of the {_COLUMN_HELP[field]} (default {default!r})")
    _add_run_options(run)
    demo = sub.add_parser("demo", help="run the whole pipeline on the bundled sample data",
                          description="Diagnose the bundled BANKING77 intents and RAMDocs RAG samples into OUT/intents and OUT/rag.")
    demo.add_argument("--out", default="diagnose-demo", metavar="DIR", help="output directory (default ./diagnose-demo)")
    _add_run_options(demo)
    report = sub.add_parser("report", help="render a saved result as HTML, Markdown or JSON")
    report.add_argument("dir", metavar="DIR", help="a result directory written by `diagnose run` (e.g. diagnose-demo/intents)")
    report.add_argument("--format", choices=["html", "md", "json"], default="html", help="report format (default html)")
    report.add_argument("--out", metavar="FILE", help="file to write (default: print to standard output)")
    report.add_argument("--force", action="store_true", help="replace FILE if it exists")
    dash = sub.add_parser("dashboard", help="open the interactive dashboard (extra 'dashboard')")
    dash.add_argument("dir", nargs="?", metavar="DIR", help="a result directory (optional: without it, upload files or load the sample)")
    dash.add_argument("--port", type=int, default=8501, help="local port of the dashboard (default 8501)")
    dash.add_argument("--host", default="127.0.0.1",
                      help="address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 lets anyone "
                           "on the network open the dashboard and its data)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``diagnose`` command; returns the exit code.

    Exit codes: 0 done, 2 bad input or options, 1 refused by the system,
    130 interrupted by Ctrl-C (SIGINT), 143 stopped by SIGTERM.
    """
    args = _parser().parse_args(argv)
    _quick_exit()
    quiet = getattr(args, "quiet", False)
    if hasattr(args, "progress"):  # bars only on a terminal, unless asked for
        args.progress = not quiet and (args.progress or sys.stderr.isatty())
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        with _interruptible(), _console(quiet):
            return _dispatch(args)
    except DiagnoseError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    except OSError as exc:  # e.g. a full disk or a directory without write permission
        sys.stderr.write(f"error: {exc}\n")
        return 1
    except KeyboardInterrupt as exc:  # temporary output is already removed by the writer
        sys.stderr.write("interrupted\n")
        return 143 if isinstance(exc, _Terminated) else 130


def _quick_exit() -> None:
    """At interpreter exit, spare the garbage collector the objects that are left (once per process).

    Python's shutdown runs full collections over every object the imports created, about half a
    second after scikit-learn and cleanlab; freezing them first skips that work (``gc.freeze``).
    Everything is written and closed by then; atexit handlers registered later still run.
    """
    import atexit
    import gc

    if gc.freeze not in _AT_EXIT:
        _AT_EXIT.append(gc.freeze)
        atexit.register(gc.freeze)


_AT_EXIT: list = []


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so every ``finally`` (temporary output removal) runs."""


def _terminate(signum, frame) -> None:
    raise _Terminated()


@contextmanager
def _interruptible() -> Iterator[None]:
    """Turn SIGTERM into an exception for the duration of a command (SIGINT already is one)."""
    from threading import current_thread, main_thread

    if current_thread() is not main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def _console(quiet: bool) -> Iterator[None]:
    """Warnings and log lines go through tqdm, so they never land inside a progress bar's line."""
    from tqdm.contrib.logging import logging_redirect_tqdm

    with warnings.catch_warnings(), logging_redirect_tqdm():
        if quiet:
            warnings.simplefilter("ignore")
        warnings.showwarning = _show_warning
        yield


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Print a warning as one plain line: the user cannot act on our source location."""
    from tqdm import tqdm

    tqdm.write(f"warning: {message}", file=sys.stderr)


def _dispatch(args: argparse.Namespace) -> int:
    from diagnose import commands

    return {"run": commands.run_command, "demo": commands.demo_command,
            "report": commands.report_command, "dashboard": commands.dashboard_command}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
