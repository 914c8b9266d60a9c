"""Answer normalisation for generative QA (SQuAD-style exact match)."""
from __future__ import annotations

import re
import string

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCT = str.maketrans("", "", string.punctuation)


def normalize_answer(text: str) -> str:
    """Lower-case, drop punctuation and articles, and collapse whitespace.

    Examples
    --------
    >>> normalize_answer("  The Eiffel-Tower! ")
    'eiffeltower'
    >>> normalize_answer("An apple") == normalize_answer("apple")
    True
    """
    text = text.lower().translate(_PUNCT)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())
