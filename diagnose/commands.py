"""What each CLI sub-command does (kept apart from argument parsing)."""
from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
from pathlib import Path

from diagnose.errors import InputError, OutputExistsError
from diagnose.pipeline import RunConfig, run
from diagnose.result import _check_target, load, read_summary
from diagnose.sample import sample_paths
from diagnose.schema import Columns

log = logging.getLogger("diagnose")


def _config(args: argparse.Namespace) -> RunConfig:
    return RunConfig(neighbors=args.neighbors, engine=args.engine, fpr=args.fpr, progress=not args.quiet)


def run_command(args: argparse.Namespace) -> int:
    _check_target(Path(args.out), args.force)
    cols = Columns(**{f: getattr(args, f"col_{f}") for f in Columns.__dataclass_fields__})
    result = run(args.eval, args.train, args.annotations, args.contexts, task=args.task,
                 seed=args.seed, columns=cols, config=_config(args))
    out = result.save(args.out, force=args.force, reports=not args.no_report)
    _print_verdict(result, out, args.quiet)
    return 0


def demo_command(args: argparse.Namespace) -> int:
    root = Path(args.out)
    _check_target(root, args.force)
    paths = sample_paths()
    scenarios = {
        "intents": dict(eval=paths["intents_eval"], train=paths["intents_train"], annotations=paths["intents_annotations"]),
        "rag": dict(eval=paths["rag_eval"], contexts=paths["rag_contexts"]),
    }
    results = {name: run(**kw, seed=args.seed, config=_config(args)) for name, kw in scenarios.items()}
    from diagnose.demo import save_demo

    save_demo(results, root, force=args.force, reports=not args.no_report)
    for name, result in results.items():
        _print_verdict(result, root / name, args.quiet)
    return 0


def report_command(args: argparse.Namespace) -> int:
    result = load(args.dir)
    text = {"html": result.to_html, "md": result.to_markdown, "json": result.to_json}[args.format]()
    if args.out:
        _write_file(Path(args.out), text, args.force)
    else:
        sys.stdout.write(text)
    return 0


def _write_file(target: Path, text: str, force: bool) -> None:
    """Write ``text`` to ``target`` atomically; an existing file is replaced only with ``force``."""
    if target.is_dir():
        raise OutputExistsError(f"{target}: is a directory; expected a file name for the report. Pass --out DIR/report.html.")
    if target.exists() and not force:
        raise OutputExistsError(f"{target}: file already exists; expected a new file. Pass --force to replace it, or choose another --out.")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)  # left only when writing failed (e.g. a full disk)


def dashboard_command(args: argparse.Namespace) -> int:
    try:
        import streamlit  # noqa: F401
    except ImportError as exc:
        raise InputError("the dashboard needs streamlit, which is not installed; run `pip install 'diagnose[dashboard]'`.") from exc
    if args.dir:
        read_summary(Path(args.dir))  # a clear error now rather than in the browser
    app = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
    if not app.exists():
        from importlib.resources import files

        app = Path(str(files("diagnose"))) / "dashboard_app" / "app.py"
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(args.port), "--server.headless", "true",
           "--browser.gatherUsageStats", "false"]  # streamlit would otherwise send usage statistics
    if args.dir:
        cmd += ["--", "--result", str(Path(args.dir).resolve())]
    return subprocess.call(cmd)


def _print_verdict(result, out: Path, quiet: bool) -> None:
    if quiet:
        return
    s = result.summary
    acc = "n/a" if s["accuracy"] is None else f"{s['accuracy']:.1%}"
    lines = [f"{out}: {s['n_errors']} errors in {s['n_labelled']} labelled rows (accuracy {acc})"]
    if s["n_labelled"] == 0:
        lines.append("  no row has both a gold label and a prediction, so no errors can be counted; every row "
                     "was still scored (see examples.parquet)")
    else:
        lines.append("  errors per cause (an error can have several):")
        for cause, n in s["counts"]["per_cause"].items():
            lines.append(f"    {cause:<24} {n}")
        lines.append(f"    {'unexplained':<24} {s['counts']['unexplained']}")
    for name, status in s.get("analyzers", {}).items():
        if status.get("status") == "skipped":
            lines.append(f"  not run: {name}: {status.get('reason')}")
    report = out / "report.html"
    lines.append(f"  report: {report}" if report.exists() else f"  result: {out} (read it with diagnose.load)")
    sys.stdout.write("\n".join(lines) + "\n")
