"""What a run writes besides the per-row verdicts: shared tables, the 2-D map and ``summary.json``.

Private helper of :mod:`diagnose.pipeline` (one immutable result feeds every output).
"""
from __future__ import annotations

import platform
import re
from dataclasses import asdict
from typing import Any

import numpy as np
import polars as pl

from diagnose.attribution import count_causes, threshold_view
from diagnose.core import Prepared

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _shared_tables(data: Prepared, show: int = 5) -> dict[str, pl.DataFrame]:
    out: dict[str, pl.DataFrame] = {}
    if data.train is not None:
        out["train"] = data.train
    if data.eval_neighbors is not None:
        k = min(show, data.eval_neighbors.indices.shape[1])
        train_ids = data.train.get_column("id").to_numpy()
        out["neighbors"] = pl.DataFrame({
            "id": np.repeat(data.eval.get_column("id").to_numpy(), k),
            "rank": np.tile(np.arange(1, k + 1), data.eval.height),
            "train_id": train_ids[data.eval_neighbors.indices[:, :k].ravel()],
            "similarity": data.eval_neighbors.similarities[:, :k].ravel().astype(float),
        })
    if data.eval_embeddings is not None:
        out["embedding_map"] = _map_2d(data)
    if data.contexts is not None:
        out["contexts"] = data.contexts
    if data.annotations is not None:
        out["annotations"] = data.annotations
    return out


def _map_2d(data: Prepared, max_train: int = 20_000) -> pl.DataFrame:
    """A 2-D projection (top two principal axes) of eval rows and a sample of training rows."""
    ev = data.eval_embeddings
    rng = np.random.default_rng(data.seed)
    parts, ids, split = [ev], [data.eval.get_column("id").to_list()], [["eval"] * len(ev)]
    if data.train_embeddings is not None:
        rows = np.sort(rng.choice(len(data.train_embeddings), size=min(max_train, len(data.train_embeddings)), replace=False))
        parts.append(data.train_embeddings[rows])
        ids.append(data.train.get_column("id").gather(rows).to_list())
        split.append(["train"] * len(rows))
    mat = np.vstack(parts).astype(np.float64)
    mat = mat - mat.mean(axis=0)
    _, _, vt = np.linalg.svd(mat[rng.choice(len(mat), size=min(len(mat), 5000), replace=False)], full_matrices=False)
    xy = mat @ vt[:2].T if vt.shape[0] >= 2 else np.zeros((len(mat), 2))
    xy = xy * np.sign(vt[:2].sum(axis=1) + 1e-12) if vt.shape[0] >= 2 else xy
    return pl.DataFrame({"id": sum(ids, []), "split": sum(split, []), "x": xy[:, 0], "y": xy[:, 1]})


def _summary(examples, data, inputs, status, thresholds, config, times, attribution) -> dict[str, Any]:
    labelled = examples.filter(pl.col("is_error").is_not_null())
    n_err = int(labelled.get_column("is_error").sum())
    return {
        "task": data.task,
        "n_eval": examples.height,
        "n_labelled": labelled.height,
        "n_errors": n_err,
        "accuracy": None if labelled.height == 0 else round(1 - n_err / labelled.height, 6),
        "counts": count_causes(examples),
        "calibration": thresholds,
        "thresholds": threshold_view(thresholds, attribution),
        "analyzers": status,
        "inputs": inputs.sources,
        "notes": _jsonable(data.notes),
        "classes": list(data.classes),
        "seed": data.seed,
        "config": {k: v for k, v in asdict(config).items() if k != "cache_dir"},  # where a cache lives is not a result
        "timings_seconds": times,
        "versions": _versions(),
    }


def _peak_rss_gib() -> float:
    """Peak resident memory of this process so far, in GiB (0 where not measurable)."""
    try:
        import resource
    except ImportError:  # not on Windows
        return 0.0
    scale = 1 if platform.system() == "Darwin" else 1024
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**30, 3)


def _versions() -> dict[str, str]:
    import cleanlab
    import sklearn

    import diagnose

    return {"diagnose": diagnose.__version__, "python": platform.python_version(), "polars": pl.__version__,
            "numpy": np.__version__, "scikit-learn": sklearn.__version__, "cleanlab": cleanlab.__version__}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return _ADDRESS.sub("", repr(value))  # "<X object at 0x7f..>" would differ between runs
