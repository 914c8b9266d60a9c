"""Describe under-covered regions: clusters of isolated eval rows and their top terms."""
from __future__ import annotations

import re
from collections import Counter
from functools import cache

import numpy as np
import polars as pl

_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*", re.UNICODE)
_EXTRA_STOP = ("aren couldn didn doesn don hadn hasn haven isn mightn mustn needn shan shouldn wasn weren won wouldn "
               "dont doesnt didnt isnt wasnt cant couldnt wouldnt shouldnt havent hasnt wont taken took got gotten")


@cache
def _stop_words() -> frozenset[str]:
    """scikit-learn's English stop words and the negated contractions its list lacks (imported when first needed)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return ENGLISH_STOP_WORDS | frozenset(_EXTRA_STOP.split())


def describe_regions(data, pct: np.ndarray, *, cutoff: float = 0.95, max_regions: int = 8, seed: int = 0) -> pl.DataFrame:
    """Cluster eval rows more isolated than ``cutoff`` of training rows.

    Returns one row per region: ``region``, ``n_rows``, ``n_errors``,
    ``top_terms`` (words over-represented in the region) and ``example_ids``.
    """
    empty = pl.DataFrame(schema={"region": pl.Int64, "n_rows": pl.Int64, "n_errors": pl.Int64,
                                 "top_terms": pl.List(pl.Utf8), "example_ids": pl.List(pl.Utf8)})
    rows = np.flatnonzero(pct >= cutoff)
    if len(rows) < 2 or data.eval_embeddings is None:
        return empty
    from sklearn.cluster import KMeans

    n_clusters = int(min(max_regions, max(1, len(rows) // 5)))
    labels = KMeans(n_clusters=n_clusters, n_init=4, random_state=seed).fit_predict(data.eval_embeddings[rows])
    texts = data.eval.get_column("text").to_list()
    ids = data.eval.get_column("id").to_list()
    errors = data.eval.get_column("is_error").fill_null(False).to_list()
    background = _counts(texts)
    out = []
    for c in range(n_clusters):
        members = rows[labels == c]
        terms = _top_terms(_counts([texts[i] for i in members]), background)
        out.append({"region": c, "n_rows": len(members), "n_errors": int(sum(errors[i] for i in members)),
                    "top_terms": terms, "example_ids": [ids[i] for i in members[:5]]})
    frame = pl.DataFrame(out, schema=empty.schema)
    return frame.sort("n_rows", descending=True).with_columns(pl.int_range(pl.len()).cast(pl.Int64).alias("region"))


def keywords(text: str) -> set[str]:
    """The words of ``text`` a region may be described by.

    Stop words (scikit-learn's English list, negated contractions), words
    shorter than three characters and numbers are left out; a contraction
    counts as the word before its apostrophe.

    Examples
    --------
    >>> sorted(keywords("Why wouldn't my card's PIN work without 1234? It was taken."))
    ['card', 'pin', 'work']
    """
    words = (w.replace("\u2019", "'").split("'")[0] for w in _WORD.findall(text.lower()))
    stop = _stop_words()
    return {w for w in words if len(w) >= 3 and not w.isdigit() and w not in stop}


def _counts(texts: list[str]) -> Counter:
    counts: Counter = Counter()
    for text in texts:
        counts.update(keywords(text))
    return counts


def _top_terms(local: Counter, background: Counter, n: int = 5) -> list[str]:
    total_local = sum(local.values()) or 1
    total_bg = sum(background.values()) or 1
    ranked = sorted(local, key=lambda w: (-(local[w] / total_local) / ((background[w] + 1) / total_bg) * np.log1p(local[w]), w))
    return ranked[:n]
