"""What each CLI sub-command does (kept apart from argument parsing)."""
from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from diagnose._output import check_target, write_file
from diagnose.errors import InputError
from diagnose.sample import sample_paths
from diagnose.schema import ROLES, Columns, check_path

log = logging.getLogger("diagnose")

# The analysis stack (polars, scikit-learn, cleanlab) is imported inside the commands, after every
# check that needs none of it, so a wrong path or option is reported at once.


def _config(args: argparse.Namespace):
    from diagnose.pipeline import RunConfig

    given = {name: getattr(args, name) for name in ("min_precision", "neighbors", "engine")
             if getattr(args, name) is not None}  # the defaults live in RunConfig
    if getattr(args, "cache", None):
        given["cache_dir"] = args.cache
    return RunConfig(progress=args.progress, **given)


def run_command(args: argparse.Namespace) -> int:
    check_target(Path(args.out), force=args.force)
    sources = {role: getattr(args, role) for role in ROLES}
    for role, path in sources.items():
        if path is not None:
            check_path(Path(path), role)
    cols = Columns(**{f: getattr(args, f"col_{f}") for f in Columns.__dataclass_fields__})
    with _imports_frozen():
        _check_inputs(sources, cols, args.task)
        _import_analysis_stack()
    from diagnose.pipeline import run

    result = run(*sources.values(), task=args.task, seed=args.seed, columns=cols, config=_config(args), caller="cli")
    out = result.save(args.out, force=args.force, reports=not args.no_report)
    _print_verdict(result, out, args.quiet)
    return 0


#: what a default ``diagnose run`` imports (the analyzers import scikit-learn, scipy and cleanlab only when they
#: run, so that ``diagnose report`` and the dashboard stay light); a module missing here only costs time
_RUN_MODULES = ("diagnose.pipeline", "diagnose.cache", "diagnose.distributed", "diagnose.embed", "diagnose.neighbors",
                "diagnose.report", "sklearn.model_selection", "sklearn.cluster", "sklearn.isotonic", "scipy.optimize",
                "scipy.sparse", "scipy.special", "scipy.stats", "cleanlab.count", "cleanlab.filter", "cleanlab.rank",
                "cleanlab.multiannotator", "krippendorff")


@contextmanager
def _imports_frozen() -> Iterator[None]:
    """Pause the cyclic garbage collector while the inputs are checked and the analysis stack loads, then exempt
    what the imports made from collections.

    The imports create some 10^5 long-lived objects and almost no garbage; full collections while they
    load, and again during the run, would walk them all for nothing (about 0.4 s of a 1k-row run).
    ``gc.freeze`` moves them out of the collector's sight; later objects are collected as usual.
    Once per process (the command line runs one command). Results are unchanged.
    """
    import gc

    if _FROZEN:
        yield
        return
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        _FROZEN.append(True)
        gc.freeze()
        if paused:
            gc.enable()


_FROZEN: list[bool] = []


def _import_analysis_stack() -> None:
    """Import the registered analyzers and :data:`_RUN_MODULES` (inside :func:`_imports_frozen`)."""
    import importlib

    from diagnose.core import analyzer_classes

    with _without_datalab():
        analyzer_classes()
        for name in _RUN_MODULES:
            importlib.import_module(name)


@contextmanager
def _without_datalab() -> Iterator[None]:
    """Import cleanlab without its Datalab, which a diagnosis never uses.

    cleanlab's ``__init__`` imports Datalab, and Datalab imports Hugging Face ``datasets`` when it is
    installed (with httpx, trio and huggingface_hub: about 0.4 s of a command's start; the README's
    install has no ``datasets``). While the analysis stack loads, ``import datasets`` fails, so cleanlab
    marks Datalab unavailable in this process (the command line runs one command); afterwards ``datasets``
    imports as usual. Nothing else changes: the analyzers use ``cleanlab.count``, ``filter``, ``rank`` and
    ``multiannotator``.
    """
    if "datasets" in sys.modules or "cleanlab" in sys.modules:
        yield
        return
    sys.modules["datasets"] = None  # an import of it raises ImportError
    try:
        yield
    finally:
        if "datasets" in sys.modules and sys.modules["datasets"] is None:
            del sys.modules["datasets"]


def _check_inputs(sources: dict, cols: Columns, task: str | None) -> None:
    """Validate the tables before the analysis stack is imported, so a bad column is reported at once.

    The pipeline validates them again (cheap next to the analysis); its warnings are shown then.
    """
    from diagnose.validate import load_inputs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        load_inputs(*sources.values(), columns=cols, task=task, caller="cli")


def demo_command(args: argparse.Namespace) -> int:
    root = Path(args.out)
    check_target(root, force=args.force)
    paths = sample_paths()
    scenarios = {
        "intents": {"eval": paths["intents_eval"], "train": paths["intents_train"], "annotations": paths["intents_annotations"]},
        "rag": {"eval": paths["rag_eval"], "contexts": paths["rag_contexts"]},
    }
    with _imports_frozen():
        _import_analysis_stack()
    from diagnose.demo import save_demo
    from diagnose.pipeline import run

    results = {name: run(**kw, seed=args.seed, config=_config(args)) for name, kw in scenarios.items()}
    save_demo(results, root, force=args.force, reports=not args.no_report)
    for name, result in results.items():
        _print_verdict(result, root / name, args.quiet)
    return 0


def report_command(args: argparse.Namespace) -> int:
    from diagnose.result import load

    result = load(args.dir)
    text = {"html": result.to_html, "md": result.to_markdown, "json": result.to_json}[args.format]()
    if args.out:
        write_file(Path(args.out), text, force=args.force)
    else:
        sys.stdout.write(text)
    return 0


def dashboard_command(args: argparse.Namespace) -> int:
    try:
        import streamlit  # noqa: F401
    except ImportError as exc:
        raise InputError("the dashboard needs streamlit, which is not installed; run `pip install 'diagnose[dashboard]'`.") from exc
    if args.dir:
        from diagnose.result import read_summary

        read_summary(Path(args.dir))  # a clear error now rather than in the browser
    app = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
    if not app.exists():
        from importlib.resources import files

        app = Path(str(files("diagnose"))) / "dashboard_app" / "app.py"
    # The other settings (no Deploy button, no file watcher) are in dashboard/.streamlit/config.toml;
    # usage statistics are refused here too, as a flag outranks any config file or environment variable.
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.address", args.host,
           "--server.port", str(args.port), "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    if args.dir:
        cmd += ["--", "--result", str(Path(args.dir).resolve())]
    return _run_forwarding_signals(cmd)


def _run_forwarding_signals(cmd: list[str], *, grace: float = 10.0) -> int:
    """Run ``cmd`` and return its exit code; SIGTERM or SIGINT to us is passed on to it.

    After passing a signal on, wait up to ``grace`` seconds for the child to stop, then kill it,
    so stopping ``diagnose dashboard`` never leaves a server running without its parent.
    """
    import signal
    import threading
    import time

    child = subprocess.Popen(cmd)
    received: list[int] = []

    def forward(signum, frame) -> None:
        received.append(signum)
        if child.poll() is None:
            child.send_signal(signum)

    handled = (signal.SIGTERM, signal.SIGINT) if threading.current_thread() is threading.main_thread() else ()
    previous = {s: signal.signal(s, forward) for s in handled}
    try:
        deadline = None
        while child.poll() is None:
            if received and deadline is None:
                deadline = time.monotonic() + grace
            if deadline is not None and time.monotonic() > deadline:
                child.kill()
            try:
                child.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                pass
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if child.poll() is None:  # an exception of our own: do not leave the server behind
            child.kill()
            child.wait()
    if received:  # the CLI's convention: 130 after SIGINT, 143 after SIGTERM
        return 128 + received[0]
    return 128 - child.returncode if child.returncode < 0 else child.returncode


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
