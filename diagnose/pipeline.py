"""The diagnosis, end to end: validate → represent → analyze → attribute → result."""
from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from tqdm.auto import tqdm

from diagnose._represent import _embed, _probabilities, _side_by_side
from diagnose._run_summary import _jsonable, _peak_rss_gib, _shared_tables, _summary
from diagnose.attribution import AttributionConfig, attribute, calibrate, explainers, line_notes
from diagnose.cache import READ_VOTES, ArrayCache, cached_neighbors, cached_posterior, cached_run
from diagnose.core import CAUSES, Analyzer, Prepared, analyzer_classes, empty_scores
from diagnose.result import Result
from diagnose.schema import Columns
from diagnose.validate import Inputs, load_inputs

__all__ = ["RunConfig", "run", "prepare"]

log = logging.getLogger("diagnose")
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


@dataclass(frozen=True)
class RunConfig:
    """Settings of a run beyond the inputs.

    Parameters
    ----------
    k
        Training neighbours found per row.
    min_precision
        Stated precision a verdict needs: a cause is given to an error only
        when errors with evidence this strong had the cause at least this
        often in calibration (see :mod:`diagnose.attribution`).
    min_reference
        Reference rows a line of evidence needs to be calibrated.
    fallback
        Score a line needs when it cannot be calibrated (no precision is then stated).
    blas_threads
        BLAS threads during the run (None: the libraries' default, one per core). One thread was
        1.8x faster end to end on the bundled sample on 2 cores: the many small solver calls
        spend more on thread hand-offs than they gain (``benchmarks/RESULTS.md``).
    neighbors
        ``auto`` (exact search up to 2·10⁸ query × row pairs, else ``ivf``), ``exact``, ``ivf``
        (approximate, numpy only) or ``faiss`` (extra ``diagnose[ann]``).
    embed_dim
        Dimension of the default TF-IDF + SVD embedding.
    cv_folds
        Folds of the proxy model's cross-validation.
    engine
        ``local`` or ``dask`` (heavy stages on a Dask cluster).
    progress
        Show progress bars (off by default; the command line turns them on
        when standard error is a terminal).
    cache_dir
        A folder where embeddings, neighbour tables and the outputs that read no
        training label (the eval rows' vote posterior, contradictory_context) are
        kept between runs, keyed by content hashes (see :mod:`diagnose.cache`), or
        None (default: no cache). A re-run after relabelling or adding rows reuses
        them and gives exactly the cold result. Delete the folder to clear it.
    """

    k: int = 10
    min_precision: float = AttributionConfig.min_precision  # the defaults live in one place
    min_reference: int = AttributionConfig.min_reference
    fallback: float = AttributionConfig.fallback
    blas_threads: int | None = 1
    neighbors: str = "auto"
    embed_dim: int = 256
    cv_folds: int = 5
    engine: str = "local"
    progress: bool = False
    cache_dir: str | None = None


class _Stages:
    """Times each stage and drives one progress bar."""

    def __init__(self, total: int, enabled: bool):
        self.cache: dict[str, str] = {}  # stage -> "hit" / "stored" when a cache folder is used
        self.times: dict[str, float] = {}
        self.peak_rss_gib: dict[str, float] = {}
        self.bar = tqdm(total=total, desc="diagnose", unit="stage", disable=not enabled, leave=False)

    @contextmanager
    def stage(self, name: str):
        self.bar.set_postfix_str(name)
        log.debug("stage %s", name)
        start = time.perf_counter()
        try:
            yield
        except BaseException:
            self.bar.close()  # clear the bar so the error message starts on a clean line
            raise
        self.times[name] = round(time.perf_counter() - start, 3)
        self.peak_rss_gib[name] = _peak_rss_gib()
        self.bar.update(1)


def run(eval: Any, train: Any = None, annotations: Any = None, contexts: Any = None, *,
        task: str | None = None, seed: int = 0, columns: Columns | None = None,
        config: RunConfig | None = None, embedder: Any = None,
        analyzers: Sequence[Analyzer] = (), caller: str = "python") -> Result:
    """Diagnose why the model got eval rows wrong.

    Parameters
    ----------
    eval, train, annotations, contexts
        Paths (CSV, Parquet, JSON Lines) or polars/pandas frames following
        the input contract in the README. Only ``eval`` is required.
    task
        ``classification`` or ``generation``; inferred when None.
    seed
        Seed of every random step; the same inputs and seed give the same result.
    columns
        Column names when yours differ from the defaults.
    config
        A :class:`RunConfig`.
    embedder
        An object with ``fit(texts)`` and ``transform(texts)``; defaults to
        :class:`~diagnose.embed.TfidfSvdEmbedder`.
    analyzers
        Configured analyzers that replace the default one of the same cause,
        e.g. ``[ContradictoryContext(judge=NLIJudge("path/to/nli-model"))]``.
    caller
        Whose words input errors use: ``"python"`` (``columns=Columns(...)``) or
        ``"cli"`` (``--text-col``); the command line passes ``"cli"``.

    Examples
    --------
    >>> import diagnose
    >>> ev = pl.DataFrame({"id": ["e1", "e2"], "text": ["lost my card", "top up failed"],
    ...                    "label": ["card", "topup"], "prediction": ["card", "card"]})
    >>> tr = pl.DataFrame({"id": ["t1", "t2", "t3", "t4"], "text": ["card lost", "my card is lost",
    ...                    "top up fail", "topup did not work"], "label": ["card", "card", "topup", "topup"]})
    >>> result = diagnose.run(ev, tr, config=diagnose.RunConfig(progress=False))
    >>> result.errors.get_column("id").to_list()
    ['e2']
    """
    config = check_config(config or RunConfig())
    with _blas_threads(config.blas_threads), _switch_interval(SWITCH_INTERVAL):
        return _run(eval, train, annotations, contexts, task=task, seed=seed, columns=columns, config=config,
                    embedder=embedder, analyzers=analyzers, caller=caller)


#: the interpreter's thread switch interval during a run (Python's default is 5 ms): a thread that finishes
#: a BLAS product waits for the GIL at most this long while another thread runs Python (n-grams, the crowd
#: model), instead of up to 5 ms after every product (a proxy fit beside a busy Python thread took 2.4x its
#: time alone at 5 ms)
SWITCH_INTERVAL = 2e-4


@contextmanager
def _switch_interval(seconds: float):
    """Set ``sys.setswitchinterval`` for the run and restore the caller's value after it."""
    import sys

    previous = sys.getswitchinterval()
    sys.setswitchinterval(seconds)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


@contextmanager
def _blas_threads(limit: int | None):
    """Cap the BLAS threads of numpy, scikit-learn and cleanlab for the run (None: leave them as they are)."""
    if limit is None:
        yield
        return
    import scipy.linalg  # noqa: F401 (loads scipy's own BLAS now: a library loaded inside the limit is not limited, and
    from threadpoolctl import threadpool_limits  # the first run of a process then computed with more threads than later ones)

    with threadpool_limits(limits=limit, user_api="blas"):
        yield


def _run(eval, train, annotations, contexts, *, task, seed, columns, config, embedder, analyzers, caller) -> Result:
    chosen = _chosen_analyzers(analyzers)
    stages = _Stages(total=5 + len(chosen), enabled=config.progress)  # validate, embed, neighbors, probabilities, analyzers, attribute
    with stages.stage("validate"):
        inputs = load_inputs(eval, train, annotations, contexts, columns=columns or Columns(), task=task,
                             caller=caller, text_required=not hasattr(embedder, "embed_ids"))
    for analyzer in chosen:  # text-only features start now, beside the BLAS-bound shared stages
        if hasattr(analyzer, "prefetch"):
            analyzer.prefetch(inputs.train, seed)
    from diagnose.votes import posterior_ahead

    ahead = posterior_ahead(inputs, seed) if config.cache_dir is None and any(a.name in READ_VOTES for a in chosen) else None
    data = prepare(inputs, seed=seed, config=config, embedder=embedder, stages=stages, beside=ahead)
    cache = ArrayCache(config.cache_dir) if config.cache_dir is not None else None
    if cache is not None and any(a.name in READ_VOTES for a in chosen):
        with stages.stage("eval_posterior"):
            cached_posterior(data, cache, stages.cache)
    frames, status, tables, parts = [], {}, {}, {}
    for analyzer, (frame, status[analyzer.name], extra) in zip(chosen, _run_analyzers(chosen, data, stages, cache)):
        frames.append(frame)
        tables.update(extra)
        parts[analyzer.name] = analyzer.parts() if status[analyzer.name]["status"] == "ran" else ()
    with stages.stage("attribute"):
        examples, summary, tables = _assemble(data, inputs, frames, status, tables, parts, config, stages.times)
    stages.bar.close()
    extra = {"cache": stages.cache} if config.cache_dir is not None else {}
    return Result(examples, {**summary, "peak_rss_gib_after_stage": stages.peak_rss_gib, **extra}, tables)


def prepare(inputs: Inputs, *, seed: int = 0, config: RunConfig | None = None, embedder: Any = None, stages: _Stages | None = None,
            beside: Any = None) -> Prepared:
    """Compute the shared representation once: embeddings, neighbours, probabilities (``beside``, a task of
    the analyzers that needs none of them, runs after the search on its thread when there is one)."""
    from diagnose import distributed

    config = check_config(config or RunConfig())
    stages = stages or _Stages(total=3, enabled=False)
    cache = ArrayCache(config.cache_dir) if config.cache_dir is not None else None
    with distributed.session(config.engine, progress=config.progress, blas_threads=config.blas_threads) as engine:
        with stages.stage("embed"):
            train_emb, eval_emb = _embed(inputs, embedder, config, seed, engine, cache, stages.cache)
        search = lambda: cached_neighbors(train_emb, eval_emb, config, seed, engine, cache, stages.cache)  # noqa: E731
        probabilities = lambda: _probabilities(inputs, train_emb, eval_emb, config, seed, engine)  # noqa: E731
        if engine is None and inputs.train is not None and inputs.train.height <= SIDE_BY_SIDE_ROWS:
            (eval_nb, train_nb), (train_probs, eval_probs, eval_held, notes) = _side_by_side(stages, search, probabilities, beside)
        else:
            with stages.stage("neighbors"):
                eval_nb, train_nb = search()
            with stages.stage("probabilities"):
                train_probs, eval_probs, eval_held, notes = probabilities()
    return Prepared(
        task=inputs.task, eval=inputs.eval, train=inputs.train, annotations=inputs.annotations,
        contexts=inputs.contexts, classes=inputs.classes, eval_probs=eval_probs, train_probs=train_probs,
        eval_held_probs=eval_held,
        eval_embeddings=eval_emb, train_embeddings=train_emb, eval_neighbors=eval_nb,
        train_neighbors=train_nb, seed=seed, notes={**inputs.notes, **notes},
    )


#: training rows up to which the neighbour search runs on a thread beside the proxy's cross-validation: both
#: are BLAS-bound and independent, and the search fills the core the folds leave idle when their number is odd
#: (above it, the search's blocks and the folds' temporaries side by side would raise the peak memory)
SIDE_BY_SIDE_ROWS = 50_000


def _attribution_config(config: RunConfig) -> AttributionConfig:
    return AttributionConfig(min_precision=config.min_precision, min_reference=config.min_reference,
                             fallback=config.fallback)


def check_config(config: RunConfig) -> RunConfig:
    """Return ``config`` if every setting is usable; raise a clear error otherwise."""
    import importlib.util

    from diagnose.errors import InputError, OptionalDependencyError
    from diagnose.neighbors import METHODS

    problems = []
    if not 0.0 < config.min_precision < 1.0:
        problems.append(f"min_precision={config.min_precision!r} (expected a share strictly between 0 and 1, e.g. 0.7)")
    if not 0.0 < config.fallback <= 1.0:
        problems.append(f"fallback={config.fallback!r} (expected a score in (0, 1], e.g. 0.9)")
    if config.blas_threads is not None and (not isinstance(config.blas_threads, (int, np.integer)) or config.blas_threads < 1):
        problems.append(f"blas_threads={config.blas_threads!r} (expected None or an integer >= 1)")
    if config.cache_dir is not None and not isinstance(config.cache_dir, (str, os.PathLike)):
        problems.append(f"cache_dir={config.cache_dir!r} (expected None or a folder path)")
    for name, low in (("k", 1), ("embed_dim", 2), ("cv_folds", 2), ("min_reference", 1)):
        if not isinstance(getattr(config, name), (int, np.integer)) or getattr(config, name) < low:
            problems.append(f"{name}={getattr(config, name)!r} (expected an integer >= {low})")
    for name, allowed in (("neighbors", METHODS), ("engine", ("local", "dask"))):
        if getattr(config, name) not in allowed:
            problems.append(f"{name}={getattr(config, name)!r} (expected one of {list(allowed)})")
    if problems:
        raise InputError(f"run settings not usable: {'; '.join(problems)}. Fix these options.")
    if config.neighbors == "faiss" and importlib.util.find_spec("faiss") is None:
        raise OptionalDependencyError(
            "neighbors='faiss' needs faiss, which is not installed; install it with "
            "`pip install 'diagnose[ann]'` or use --neighbors auto or ivf (approximate search without faiss)."
        )
    return config


def _chosen_analyzers(given: Sequence[Analyzer]) -> list[Analyzer]:
    """The registry's analyzers in order, each replaced by the given one of its cause."""
    from diagnose.errors import InputError

    classes = analyzer_classes()
    by_name: dict[str, Analyzer] = {}
    for item in [given] if isinstance(given, (Analyzer, str)) else given:
        if not isinstance(item, classes):
            raise InputError(
                f"analyzers: expected configured analyzer objects, one per cause, such as "
                f"ContradictoryContext(judge=...); found {item!r}. Pass instances of "
                f"{', '.join(cls.__name__ for cls in classes)}."
            )
        if item.name in by_name:
            raise InputError(
                f"analyzers: expected at most one analyzer per cause; found two for {item.name!r}. "
                "Keep one of them."
            )
        by_name[item.name] = item
    return [by_name[cls.name] if cls.name in by_name else cls() for cls in classes]


#: analyzers run on a thread beside the others while they refit the proxy (BLAS and numpy, which release the
#: GIL) and the others run mostly Python (coverage_gap's character n-grams, the crowd model, passage text):
#: noisy_label, up to its ``refit_max_rows`` training rows. Above it, it is Python- and numpy-bound like the
#: others and runs in turn (side by side they only took turns on the GIL: 100k rows, analyzers 14 s vs 10.5 s)
BACKGROUND = ("noisy_label",)


def _run_analyzers(chosen: list[Analyzer], data: Prepared, stages: _Stages, cache: Any = None) -> list:
    """``_run_analyzer`` of every analyzer, in order; those named in :data:`BACKGROUND` run on a thread
    (up to their ``refit_max_rows``) while the others run one after the other. Analyzers only read
    ``data``, none of them uses a global random state the others touch, and each computes alone, so the
    results are those of a sequential run."""
    from concurrent.futures import ThreadPoolExecutor

    def one(analyzer: Analyzer):
        with stages.stage(analyzer.name):
            return cached_run(analyzer, data, cache, stages.cache, _run_analyzer)

    def timed(analyzer: Analyzer):  # on the thread: no log record or progress (the caller's handlers may
        start = time.perf_counter()  # write to a UI bound to the calling thread, as the dashboard's does)
        return _run_analyzer(analyzer, data), round(time.perf_counter() - start, 3)

    rows = data.train.height if data.train is not None else 0
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = {id(a): (a.name, pool.submit(timed, a)) for a in chosen
                   if a.name in BACKGROUND and rows <= getattr(a, "refit_max_rows", 0)}
        done = {id(a): one(a) for a in chosen if id(a) not in pending}
        for key, (name, future) in pending.items():
            with stages.stage(name):  # logged and counted here, on the calling thread, while it is awaited
                done[key], seconds = future.result()
            stages.times[name] = seconds  # its own time on the thread
    return [done[id(a)] for a in chosen]


def _run_analyzer(analyzer: Analyzer, data: Prepared):
    reason = analyzer.skip_reason(data)
    if reason:
        return empty_scores(analyzer.name, data.eval.get_column("id")), {"status": "skipped", "reason": reason}, {}
    frame = analyzer.fit(data).score(data)
    status = {"status": "ran", "settings": _jsonable(analyzer.get_params()), "findings": analyzer.summary()}
    return frame, status, analyzer.tables()


def _assemble(data: Prepared, inputs: Inputs, frames, status, tables, parts, config: RunConfig, times):
    """The examples table, the summary and the side tables of the result (built once, by :func:`run`)."""
    base = data.eval.select("id", "text", "label", "prediction", "is_error")
    for frame in frames:
        base = base.join(frame, on="id", how="left", maintain_order="left")
    for cause in CAUSES:
        if f"score_{cause}" not in base.columns:
            base = base.with_columns(pl.lit(None, pl.Float64).alias(f"score_{cause}"), pl.lit(None, pl.Utf8).alias(f"evidence_{cause}"))
    skipped = {name: s["reason"] for name, s in status.items() if s["status"] == "skipped"}
    skipped.update({c: "no analyzer of this cause ran" for c in CAUSES if c not in status})
    attribution = _attribution_config(config)
    thresholds, precisions = calibrate(base, parts, attribution, skipped)
    examples = attribute(base, precisions, attribution, explainers(parts), line_notes(parts))
    order = ["id", "is_error", *[f"score_{c}" for c in CAUSES], "causes", "primary_cause",
             *[f"precision_{c}" for c in CAUSES], "evidence",
             "text", "label", "prediction", *[f"evidence_{c}" for c in CAUSES]]
    # columns an analyzer adds beyond score and evidence, named <cause>_<what>, follow the fixed ones
    extra = [c for c in examples.columns if c not in order and any(c.startswith(f"{cause}_") for cause in CAUSES)]
    examples = examples.select(order + extra)
    tables = {**tables, **_shared_tables(data)}
    summary = _summary(examples, data, inputs, status, thresholds, config, times, attribution)
    return examples, summary, tables
