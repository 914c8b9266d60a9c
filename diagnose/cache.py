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

A hit returns the stored arrays bit for bit, so a warm run gives exactly the
result of a cold one. The proxy model's cross-validated probabilities are not
cached: they depend on the labels, and relabelling even 1% of rows touches
every fold.

Files are NumPy ``.npy`` arrays (read with ``allow_pickle=False``; nothing is
pickled) and one ``diagnose-cache.json`` marker, each written to a temporary
name and renamed into place, so an interrupted run never leaves a torn entry.
The tool never deletes anything: remove the folder to clear the cache. A
folder that holds other files and no marker is refused, so the cache cannot be
pointed at, and mixed into, a folder of yours.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from diagnose._output import replace_atomically
from diagnose.errors import InputError

__all__ = ["ArrayCache", "content_key", "embedding_key", "cached_neighbors", "MARKER"]

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
        self._claim()
        folder = self.directory / kind / key
        folder.mkdir(parents=True, exist_ok=True)
        for name, value in arrays.items():
            array = np.asarray(value)
            replace_atomically(folder / f"{name}.npy", lambda stream: np.save(stream, array, allow_pickle=False))  # noqa: B023 (called at once)


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
