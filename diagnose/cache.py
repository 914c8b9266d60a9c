"""Re-runs reuse what did not change: a folder of arrays keyed by content hashes.

With ``RunConfig(cache_dir=...)`` (CLI ``--cache DIR``) the pipeline stores
the embeddings and the neighbour tables of a run, each under a key hashed from
everything it depends on:

* **embeddings**: the embedder's class and settings, the seed, the code of
  :mod:`diagnose.embed`, and every training and eval text in order (labels are
  not part of it, so relabelling rows reuses the embeddings);
* **neighbours**: the bytes of the training and eval embeddings, ``k``, the
  search method the size resolves to, the seed, and the code of
  :mod:`diagnose.neighbors` (the index is only ever used for these tables).

* **the eval rows' vote posterior** (:func:`diagnose.votes.eval_posterior`, which
  the noisy_label and annotator_inconsistency analyzers read): the eval rows'
  ids, gold labels and predictions, the annotations, the eval probabilities,
  the classes, the seed, its settings and :func:`package_source`;
* **analyzer outputs that read no training label** (:func:`analyzer_key`,
  :data:`LABEL_FREE`; contradictory_context without a judge): the eval columns
  and passages it reads, its settings and :func:`package_source`.

A hit returns the stored values bit for bit, so a warm run gives exactly the
result of a cold one. The proxy model's cross-validated probabilities are not
cached: they depend on the labels, and relabelling even 1% of rows touches
every fold (a warm start from the last run's fold models was measured in
``benchmarks/results/rerun_warm_start.md``: no gain with these folds).

Files are NumPy ``.npy`` arrays (read with ``allow_pickle=False``; nothing is
pickled), Parquet tables, JSON and one ``diagnose-cache.json`` marker, each
written to a temporary name and renamed into place, so an interrupted run never
leaves a torn file; an entry whose files are missing or damaged is recomputed
(with a warning when damaged).
The tool never deletes anything: remove the folder to clear the cache. A
folder that holds other files and no marker is refused, so the cache cannot be
pointed at, and mixed into, a folder of yours.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from diagnose._output import replace_atomically
from diagnose.errors import InputError

__all__ = ["ArrayCache", "content_key", "embedding_key", "cached_neighbors", "frame_parts", "package_source",
           "analyzer_key", "cached_run", "cached_analyzer", "store_analyzer", "cached_posterior", "READ_VOTES", "LABEL_FREE", "MARKER"]

log = logging.getLogger(__name__)

#: file that marks a folder as a diagnose cache
MARKER = "diagnose-cache.json"
_FORMAT = 1


def content_key(*parts: Any) -> str:
    """A hex digest of ``parts``: arrays by dtype, shape and bytes; strings; lists of strings; JSON-able values.

    Examples
    --------
    >>> content_key("a", ["b"]) == content_key("a", ["b"]) != content_key("a", ["b", ""])
    True
    """
    digest = hashlib.blake2b(digest_size=20)
    for part in parts:
        if isinstance(part, np.ndarray):
            arr = np.ascontiguousarray(part)
            digest.update(f"array:{arr.dtype.str}:{arr.shape}".encode())
            digest.update(memoryview(arr).cast("B"))
        elif isinstance(part, (list, tuple)) and all(isinstance(v, str) for v in part):
            digest.update(f"strings:{len(part)}".encode())
            for value in part:  # length-prefixed, so ["ab"] and ["a", "b"] differ
                raw = value.encode("utf-8", "surrogatepass")
                digest.update(len(raw).to_bytes(8, "little"))
                digest.update(raw)
        else:
            digest.update(("json:" + json.dumps(part, sort_keys=True, default=repr)).encode())
    return digest.hexdigest()


def source_of(module: Any) -> bytes:
    """The source bytes of ``module`` (part of a key: a code change invalidates its entries)."""
    path = Path(getattr(module, "__file__", "") or "")
    return path.read_bytes() if path.is_file() else b""


def frame_parts(frame: Any, columns: list[str] | None = None) -> list:
    """Key parts of ``frame``'s ``columns`` (all when None; absent ones skipped): names, dtypes, nulls, values."""
    import polars as pl

    if frame is None:
        return ["frame:none"]
    names = [c for c in (frame.columns if columns is None else columns) if c in frame.columns]
    parts: list = [f"frame:{frame.height}", names]
    for name in names:
        column = frame.get_column(name)
        parts += [str(column.dtype), column.is_null().to_numpy()]
        if column.dtype.is_numeric() or column.dtype == pl.Boolean:
            parts.append(column.fill_null(0).to_numpy())
        elif column.dtype in (pl.Utf8, pl.Categorical, pl.Date, pl.Datetime):
            parts.append(column.cast(pl.Utf8).fill_null("").to_list())
        else:  # nested or other values: their reprs
            parts.append([repr(value) for value in column.to_list()])
    return parts


@lru_cache(maxsize=1)
def package_source() -> str:
    """A digest of every ``.py`` and ``.json`` file of the installed diagnose package (the code version of
    the cached analyzer outputs: any change to the code invalidates them)."""
    import diagnose

    root = Path(diagnose.__file__).parent
    files = sorted(p for p in root.rglob("*") if p.suffix in (".py", ".json") and "__pycache__" not in p.parts)
    return content_key([str(p.relative_to(root)) for p in files], *(np.frombuffer(p.read_bytes(), np.uint8) for p in files))


class ArrayCache:
    """Named groups of arrays under ``<directory>/<kind>/<key>/<name>.npy``.

    Parameters
    ----------
    directory
        The cache folder; created when missing.

    Examples
    --------
    >>> import tempfile
    >>> cache = ArrayCache(Path(tempfile.mkdtemp()) / "cache")
    >>> cache.put("demo", "k1", {"x": np.arange(3)})
    >>> cache.get("demo", "k1", ["x"])["x"].tolist()
    [0, 1, 2]
    >>> cache.get("demo", "k2", ["x"]) is None
    True
    """

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory).expanduser()
        self._claimed = False

    def _claim(self) -> None:
        """Create the folder with its marker, or check that an existing one is a diagnose cache."""
        if self._claimed:
            return
        marker = self.directory / MARKER
        if self.directory.exists():
            if not self.directory.is_dir():
                raise InputError(f"cache {self.directory}: is a file; expected a folder for the cache. "
                                 "Pass --cache with a new or existing cache folder.")
            if not marker.is_file() and any(self.directory.iterdir()):
                raise InputError(
                    f"cache {self.directory}: the folder holds files and is not a diagnose cache (no {MARKER}); "
                    "expected a new folder or one a previous run used as its cache. Pass a new folder, e.g. "
                    f"--cache {self.directory / 'diagnose-cache'}."
                )
        self.directory.mkdir(parents=True, exist_ok=True)
        if not marker.is_file():
            note = json.dumps({"format": _FORMAT, "written_by": "diagnose", "note": "delete this folder to clear the cache"})
            replace_atomically(marker, lambda stream: stream.write(note.encode()))
        self._claimed = True

    def get(self, kind: str, key: str, names: list[str]) -> dict[str, np.ndarray] | None:
        """The stored arrays of ``kind``/``key``, or None when any is missing or unreadable."""
        folder = self.directory / kind / key
        if not folder.is_dir():
            return None
        try:
            return {name: np.load(folder / f"{name}.npy", allow_pickle=False) for name in names}
        except (OSError, ValueError) as exc:  # a missing or damaged file: recompute (and rewrite) it
            log.warning("cache %s/%s not usable (%s); recomputing", kind, key, exc)
            return None

    def put(self, kind: str, key: str, arrays: dict[str, np.ndarray]) -> None:
        """Store ``arrays`` under ``kind``/``key`` (each file written atomically)."""
        for name, value in arrays.items():
            array = np.asarray(value)
            self.write(kind, key, f"{name}.npy", lambda stream: np.save(stream, array, allow_pickle=False))  # noqa: B023 (called at once)

    def write(self, kind: str, key: str, name: str, fill) -> None:
        """Write the file ``name`` of ``kind``/``key`` through ``fill(binary stream)``, atomically."""
        self._claim()
        folder = self.directory / kind / key
        folder.mkdir(parents=True, exist_ok=True)
        replace_atomically(folder / name, fill)


def embedding_key(embedder: Any, train_texts: list[str], eval_texts: list[str]) -> str | None:
    """The cache key of the embeddings, or None for an embedder whose settings are unknown (not cached)."""
    from diagnose import embed

    if isinstance(embedder, embed.TfidfSvdEmbedder):
        settings = {k: getattr(embedder, k) for k in ("n_components", "max_features", "seed", "fit_rows", "batch_size")}
    elif isinstance(embedder, embed.SentenceTransformerEmbedder):
        settings = {"model": str(embedder.model), "batch_size": embedder.batch_size, "device": embedder.device}
    else:
        return None
    return content_key(type(embedder).__name__, settings, source_of(embed), train_texts, eval_texts)


def cached_neighbors(train_emb, eval_emb, config: Any, seed: int, engine: Any, cache: Any, hits: dict):
    """Eval → train and train → train neighbours, from ``cache`` when the embeddings are unchanged."""
    from diagnose import neighbors as nbmod
    from diagnose.core import Neighbors

    if train_emb is None:
        return None, None
    index = nbmod.NeighborIndex(method=config.neighbors, seed=seed, progress=config.progress).fit(train_emb)
    key = None
    if cache is not None:
        methods = [index.resolve(len(eval_emb)), index.resolve(len(train_emb))]
        key = content_key(source_of(nbmod), train_emb, eval_emb, config.k, methods, seed, index.block_bytes)
        found = cache.get("neighbors", key, ["eval_idx", "eval_sim", "train_idx", "train_sim"])
        if found is not None:
            hits["neighbors"] = "hit"
            return (Neighbors(found["eval_idx"], found["eval_sim"]), Neighbors(found["train_idx"], found["train_sim"]))
    if engine:
        eval_nb = engine.search(index, eval_emb, k=config.k)
        train_nb = engine.search(index, None, k=config.k, exclude_self=True)
    else:
        eval_nb = index.search(eval_emb, k=config.k)
        train_nb = index.search(train_emb, k=config.k, exclude_self=True)
    if key is not None:
        cache.put("neighbors", key, {"eval_idx": eval_nb.indices, "eval_sim": eval_nb.similarities,
                                     "train_idx": train_nb.indices, "train_sim": train_nb.similarities})
        hits["neighbors"] = "stored"
    return eval_nb, train_nb


# ------------------------------------------------------------ analyzer outputs that do not depend on training labels
#: registered analyzers whose output reads no training row, embedding or probability, with the eval columns
#: and the passage columns each reads (their whole output is then keyed by those, their settings and the code)
LABEL_FREE = {"contradictory_context": (("id", "text", "label", "prediction"), ("id", "passage_id", "passage"))}


def analyzer_key(analyzer: Any, data: Any) -> str | None:
    """The cache key of an analyzer's whole output, or None when it is not cached.

    Only the registered class of a cause in :data:`LABEL_FREE` (not a subclass, which may read more) whose
    settings are all plain values is cached (an object such as a judge may answer differently another
    day); its key holds the eval and passage columns it reads, its settings and :func:`package_source`, so
    relabelling or adding training rows reuses it.
    """
    from diagnose._run_summary import _jsonable
    from diagnose.core import analyzer_classes

    reads = LABEL_FREE.get(analyzer.name)
    params = analyzer.get_params()
    if reads is None or type(analyzer) not in analyzer_classes() or \
            any(v is not None and not isinstance(v, (bool, int, float, str)) for v in params.values()):
        return None
    return content_key("analyzer", analyzer.name, _jsonable(params), package_source(),
                       *frame_parts(data.eval, list(reads[0])), *frame_parts(data.contexts, list(reads[1])))


def cached_run(analyzer: Any, data: Any, cache: ArrayCache | None, hits: dict, compute):
    """``compute(analyzer, data)`` (``(score frame, status, tables)``), or its stored output when ``cache``
    holds one for the same inputs (:func:`analyzer_key`); a fresh output is stored when the analyzer has
    no lines of evidence beyond its score (``parts()`` empty: only the score column is calibrated)."""
    key = analyzer_key(analyzer, data) if cache is not None and not analyzer.skip_reason(data) else None
    if key is None:
        return compute(analyzer, data)
    found = cached_analyzer(cache, analyzer.name, key)
    if found is not None:
        hits[analyzer.name] = "hit"
        return found
    out = compute(analyzer, data)
    if not analyzer.parts():
        store_analyzer(cache, analyzer.name, key, *out)
        hits[analyzer.name] = "stored"
    return out


def cached_analyzer(cache: ArrayCache, name: str, key: str):
    """``(score frame, status, tables)`` stored by :func:`store_analyzer`, or None (absent or unreadable)."""
    import polars as pl

    folder = cache.directory / "analyzers" / name / key
    if not (folder / "status.json").is_file():  # written last: without it the entry is absent or partial
        return None
    try:
        status = json.loads((folder / "status.json").read_text())
        tables = {table: pl.read_parquet(folder / f"table_{table}.parquet") for table in status.pop("_tables")}
        return pl.read_parquet(folder / "score.parquet"), status, tables
    except Exception as exc:  # noqa: BLE001 (any damaged file: recompute and rewrite it)
        log.warning("cache analyzers/%s/%s not usable (%s); recomputing", name, key, exc)
        return None


def store_analyzer(cache: ArrayCache, name: str, key: str, frame: Any, status: dict, tables: dict) -> None:
    """Store an analyzer's output as Parquet and JSON (the status last, so a torn entry is never read)."""
    kind = f"analyzers/{name}"
    for table, value in tables.items():
        cache.write(kind, key, f"table_{table}.parquet", value.write_parquet)
    cache.write(kind, key, "score.parquet", frame.write_parquet)
    text = json.dumps({**status, "_tables": sorted(tables)})
    cache.write(kind, key, "status.json", lambda stream: stream.write(text.encode()))


# ------------------------------------------------------------ the eval rows' ambiguity posterior (from votes)
_POST_LISTS = ("classes", "spread")
#: analyzers that read the eval rows' vote posterior (:func:`diagnose.votes.eval_posterior`)
READ_VOTES = ("noisy_label", "annotator_inconsistency", "coverage_gap")


def cached_posterior(data: Any, cache: ArrayCache, hits: dict) -> None:
    """Compute :func:`diagnose.votes.eval_posterior` of ``data`` once before the analyzers, from ``cache``
    when the eval rows, their votes and probabilities and the classes are unchanged.

    It depends on the eval ``id``, ``label`` and ``prediction``, the annotations, ``eval_probs``,
    ``classes`` and ``seed``, not on training rows, so a relabelling round with given eval probabilities
    reuses it. A hit is handed to ``eval_posterior``'s memo, which the analyzers of :data:`READ_VOTES` read; if that memo does not
    take it, ``eval_posterior`` recomputes it (the same result, only slower).
    """
    from diagnose import votes

    if data.task != "classification" or data.annotations is None or not data.annotations.height:
        return  # its readers need class labels (they are skipped otherwise)
    defaults = votes.eval_posterior.__kwdefaults__
    settings = {**defaults, "noise": defaults.get("noise") or votes.NOISE, "prior": votes.RELIABILITY_PRIOR}
    key = content_key("eval_posterior", settings, package_source(), *frame_parts(data.eval, ["id", "label", "prediction"]),
                      *frame_parts(data.annotations, ["id", "annotator", "label"]),
                      data.eval_probs if data.eval_probs is not None else "none", list(data.classes), data.seed)
    found = _read_posterior(cache, key)
    if found is not None:
        votes._LAST.update(inputs=(data.eval, data.annotations, data.eval_probs, data.classes, data.seed,
                                   defaults["floor"], defaults["min_votes_for_weight"], settings["noise"]), post=found)
        if votes.eval_posterior(data) is found:
            hits["eval_posterior"] = "hit"
            return
    post = votes.eval_posterior(data)
    if post is None or any(not (isinstance(v, np.ndarray) or k in _POST_LISTS or v is None) for k, v in post.items()):
        return  # e.g. class-conditional noise (tuples of arrays): not stored
    arrays = {k: v for k, v in post.items() if isinstance(v, np.ndarray)}
    text = json.dumps({"lists": {k: list(post[k]) for k in _POST_LISTS}, "arrays": sorted(arrays),
                       "keys": list(post)})
    cache.put("eval_posterior", key, arrays)
    cache.write("eval_posterior", key, "post.json", lambda stream: stream.write(text.encode()))
    hits["eval_posterior"] = "stored"


def _read_posterior(cache: ArrayCache, key: str) -> dict | None:
    folder = cache.directory / "eval_posterior" / key
    if not (folder / "post.json").is_file():  # written last
        return None
    try:
        meta = json.loads((folder / "post.json").read_text())
    except (OSError, ValueError) as exc:
        log.warning("cache eval_posterior/%s not usable (%s); recomputing", key, exc)
        return None
    arrays = cache.get("eval_posterior", key, meta["arrays"])
    if arrays is None:
        return None
    lists = {"classes": meta["lists"]["classes"], "spread": tuple(meta["lists"]["spread"])}
    return {k: arrays[k] if k in arrays else lists.get(k) for k in meta["keys"]}
