"""The default embedder on texts without words."""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from tiny_inputs import (
    _eval,
    _run,
    _train,
)

from diagnose.embed import TfidfSvdEmbedder


@pytest.mark.parametrize("text", ["x", "🙂🙂"])
def test_texts_without_words_are_embedded(text):
    # identical one-letter or emoji-only texts used to fail ("empty vocabulary", "1 feature")
    result = _run(_eval(wrong=[0]).with_columns(pl.lit(text).alias("text")),
                  _train().with_columns(pl.lit(text).alias("text")))
    assert result.errors.height == 1
    emb = TfidfSvdEmbedder(n_components=4).fit(["x", "x", "y"]).transform(["x", "z"])
    assert emb.shape[0] == 2 and np.isfinite(emb).all()
