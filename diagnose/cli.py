"""Command line: ``diagnose run | demo | report | dashboard``."""
from __future__ import annotations

import argparse
import logging
import sys
import warnings

from diagnose.errors import DiagnoseError
from diagnose.schema import Columns

__all__ = ["main"]


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, default=0, help="seed of every random step (default 0)")
    p.add_argument("--task", choices=["classification", "generation"], help="inferred when omitted")
    p.add_argument("--force", action="store_true", help="replace an existing diagnose output directory")
    p.add_argument("--quiet", action="store_true", help="no progress bars or log lines")
    p.add_argument("--neighbors", choices=["auto", "exact", "faiss"], default="auto", help="neighbour search method")
    p.add_argument("--engine", choices=["local", "dask"], default="local", help="where heavy stages run")
    p.add_argument("--fpr", type=float, default=0.05, help="share of correct rows allowed past each cause threshold")
    p.add_argument("--no-report", action="store_true", help="do not write report.html / report.md")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="diagnose", description="Why did my model get these examples wrong?")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="diagnose a model's errors from your files")
    run.add_argument("--eval", required=True, help="eval table: id, text, [label, prediction, prob_<class>]")
    run.add_argument("--train", help="training table: id, text, label, [prob_<class>]")
    run.add_argument("--annotations", help="annotations (long): id, annotator, label")
    run.add_argument("--contexts", help="contexts (long): id, passage, [passage_id]")
    run.add_argument("--out", required=True, help="output directory (must not exist unless --force)")
    for field in Columns.__dataclass_fields__:
        flag = "--prob-prefix" if field == "prob_prefix" else f"--{field.replace('_', '-')}-col"
        run.add_argument(flag, dest=f"col_{field}", default=getattr(Columns(), field), help=f"name of the {field} column")
    _add_run_options(run)
    demo = sub.add_parser("demo", help="run the whole pipeline on the bundled sample data")
    demo.add_argument("--out", default="diagnose-demo", help="output directory (default ./diagnose-demo)")
    _add_run_options(demo)
    report = sub.add_parser("report", help="render a saved result as HTML, Markdown or JSON")
    report.add_argument("dir", help="a result directory")
    report.add_argument("--format", choices=["html", "md", "json"], default="html")
    report.add_argument("--out", help="file to write (default: print to standard output)")
    dash = sub.add_parser("dashboard", help="open the interactive dashboard")
    dash.add_argument("dir", nargs="?", help="a result directory (optional)")
    dash.add_argument("--port", type=int, default=8501)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``diagnose`` command; returns the exit code."""
    args = _parser().parse_args(argv)
    quiet = getattr(args, "quiet", False)
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(message)s", stream=sys.stderr)
    if quiet:
        warnings.simplefilter("ignore")
    try:
        return _dispatch(args)
    except DiagnoseError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2


def _dispatch(args: argparse.Namespace) -> int:
    from diagnose import commands

    return {"run": commands.run_command, "demo": commands.demo_command,
            "report": commands.report_command, "dashboard": commands.dashboard_command}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
