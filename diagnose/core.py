"""Shared inputs of every analyzer, the analyzer contract and the cause registry.

Data flows one way: the pipeline validates the user's tables once, computes the
representation (embeddings, neighbours, out-of-sample probabilities) once, and
hands the same :class:`Prepared` bundle to every analyzer. An analyzer's
``fit`` learns from it and returns ``self``; ``score`` returns one row per eval
example keyed by ``id`` with ``score_<name>`` in [0, 1] (higher = stronger
evidence) and ``evidence_<name>`` (readable text, null when there is none).
"""
from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import polars as pl


@dataclass(frozen=True, eq=False)
class Neighbors:
    """k nearest neighbours of each query row, most similar first.

    ``indices[i, j]`` is the row number (in the searched table) of the j-th
    neighbour of query row ``i``; ``similarities[i, j]`` is its cosine
    similarity in [-1, 1].
    """

    indices: np.ndarray
    similarities: np.ndarray


@dataclass(frozen=True, eq=False)
class Prepared:
    """Validated inputs and the shared representation, computed once.

    Frames use string ids and these columns:

    * ``eval``: ``id``, ``text``, ``label`` (may be null), ``prediction``
      (may be null), ``is_error`` (bool, null when label or prediction is
      missing). Classification labels are strings.
    * ``train``: ``id``, ``text``, ``label``.
    * ``annotations``: ``id``, ``annotator``, ``label``.
    * ``contexts``: ``id``, ``passage_id``, ``passage``.

    ``classes`` is the sorted label set; probability matrices have one column
    per class in that order. Embeddings are L2-normalised float32 rows.
    ``eval_held_probs`` scores the eval rows as ``train_probs`` scores the
    training rows (each row by one cross-validation fold's model), so the two
    compare; None when neither was computed here.
    """

    task: str
    eval: pl.DataFrame
    train: pl.DataFrame | None = None
    annotations: pl.DataFrame | None = None
    contexts: pl.DataFrame | None = None
    classes: tuple[str, ...] = ()
    eval_probs: np.ndarray | None = None
    train_probs: np.ndarray | None = None
    eval_held_probs: np.ndarray | None = None
    eval_embeddings: np.ndarray | None = None
    train_embeddings: np.ndarray | None = None
    eval_neighbors: Neighbors | None = None
    train_neighbors: Neighbors | None = None
    seed: int = 0
    notes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class ScorePart:
    """One line of evidence for a cause, and what it is calibrated against.

    ``scores`` has one value per eval row (NaN: no evidence). ``reference``
    holds the same score on rows known or assumed *not* to have the cause
    (e.g. ordinary errors on training rows); None means the correctly
    predicted eval rows serve, which is right only when the score means the
    same on a correct row as on an error without the cause.
    ``reference_weights`` down-weights reference rows that may have the cause
    after all (e.g. training rows flagged as mislabelled). ``decide_at`` is a floor on the score
    itself, on top of the stated precision, where the reference is known to
    understate how common the evidence is among errors without the cause.
    ``precision_cap`` bounds the stated precision per row where the line itself
    knows a tighter bound (e.g. the share of a class pair's crossings that its
    annotators' error rates do not explain). ``explained_away_by`` names a
    cause that, when given to the same row, explains this line's evidence, so
    the line alone no longer gives its cause there. ``stated`` gives the
    precision per row directly where the line estimates it from the errors
    themselves (e.g. the share of a class pair's errors beyond its errors the
    other way); no reference is then needed. ``ungated`` holds the line's
    scores before an eval-side gate zeroed some rows (e.g. rows cleanlab does
    not flag): the gated scores meet an ungated reference, so the stated
    precision is also capped by the ungated scores' own calibration against
    that reference (both sides then scored alike). ``notes`` holds this
    line's own note per eval row (empty where none): a given cause's evidence
    then shows the notes of the lines that gave it, not every line's.
    """

    name: str
    scores: np.ndarray
    reference: np.ndarray | None = None
    reference_name: str = "correctly predicted eval rows"
    reference_weights: np.ndarray | None = None
    decide_at: float | None = None
    precision_cap: np.ndarray | None = None
    explained_away_by: str | None = None
    stated: np.ndarray | None = None
    ungated: np.ndarray | None = None
    notes: list[str] | None = None


class Analyzer:
    """Base class: one subclass per cause, named after it.

    Subclasses set ``name`` (the cause) and ``description`` (one plain
    paragraph), store keyword settings in ``__init__``, and implement
    ``skip_reason``, ``fit`` and ``score``. Learned state ends in ``_``.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""

    def skip_reason(self, data: Prepared) -> str | None:
        """Return why this analyzer cannot run on ``data``, or None."""
        return None

    def fit(self, data: Prepared) -> Analyzer:
        """Learn from the training side of ``data``; return ``self``."""
        return self

    def score(self, data: Prepared) -> pl.DataFrame:
        """Score every eval row: ``id``, ``score_<name>``, ``evidence_<name>``."""
        raise NotImplementedError

    def parts(self) -> tuple[ScorePart, ...]:
        """Lines of evidence behind ``score_<name>`` after ``score`` (empty: the score
        column itself, calibrated against correctly predicted eval rows)."""
        return ()

    def tables(self) -> dict[str, pl.DataFrame]:
        """Extra per-row tables this analyzer produced (e.g. ``train_issues``)."""
        return {}

    def summary(self) -> dict[str, Any]:
        """Dataset-level findings (JSON-serialisable) after ``fit``/``score``."""
        return {}

    def get_params(self) -> dict[str, Any]:
        """Settings given to ``__init__`` (scikit-learn habit)."""
        return {k: v for k, v in vars(self).items() if not k.endswith("_")}


def empty_scores(name: str, ids: pl.Series) -> pl.DataFrame:
    """A score frame with null scores and evidence for every id."""
    return pl.DataFrame(
        {
            "id": ids,
            f"score_{name}": pl.Series([None] * len(ids), dtype=pl.Float64),
            f"evidence_{name}": pl.Series([None] * len(ids), dtype=pl.Utf8),
        }
    )


def contrast_labels(data: Prepared) -> list[str | None]:
    """The wrong class each eval row is judged against.

    For an error it is the model's prediction (the mistake to explain). For a
    correctly predicted row it is the model's runner-up class, so scores of
    correct rows form the null distribution that thresholds are calibrated on
    ("how much evidence for the likeliest confusion does a correct row show").
    None where there is no prediction.
    """
    preds = data.eval.get_column("prediction").to_list()
    golds = data.eval.get_column("label").to_list()
    if data.eval_probs is None or not data.classes:
        return preds
    order = np.argsort(-data.eval_probs, axis=1, kind="stable")[:, :2]
    out: list[str | None] = []
    for i, (pred, gold) in enumerate(zip(preds, golds)):
        if pred is None or gold is None or pred != gold:
            out.append(pred)
            continue
        first, second = (data.classes[j] for j in order[i])
        out.append(second if first == pred else first)
    return out


# ----------------------------------------------------------------------------- the cause registry

_BUILTIN = "diagnose.causes"  # the package that registers the built-in causes when first asked


@dataclass(frozen=True, eq=False)
class Cause:
    """Everything the rest of the package knows about one cause, registered once.

    Parameters
    ----------
    analyzer
        The :class:`Analyzer` subclass; its ``name`` and ``description`` are the
        cause's name and meaning.
    label
        Title in reports and the dashboard (default: the name in words).
    details
        Kinds of per-example detail the report shows under each example, in
        order (``neighbors``, ``suspect_labels``, ``votes``, ``conflict``).
    action
        ``action(result, errors, description) -> dict`` writing the recommended
        action of the report section (default: the ``Fix:`` sentence of the
        description).
    colour
        Colour of the cause in charts (hex).
    page
        Dashboard page of its own (a :class:`Page`), or None.
    health
        ``health(result) -> {key: panel}``: panels this cause adds to the report's
        training-data health section (e.g. the annotators' agreement), or None.
    figures
        ``figures(result) -> [figure]``: share charts drawn in the cause's report
        section (HTML as inline SVG, Markdown as a table), or None. A figure is
        ``{"title", "caption", "rows": [{"label", "value" (a share in [0, 1]), "note"}]}``.

    Examples
    --------
    >>> class Toy(Analyzer):
    ...     name, description = "toy_cause", "A toy. Fix: nothing."
    >>> Cause(Toy).name, Cause(Toy).label
    ('toy_cause', 'Toy cause')
    """

    analyzer: type[Analyzer]
    label: str = ""
    details: tuple[str, ...] = ()
    action: Callable[..., dict[str, Any]] | None = None
    colour: str = "#7f7f7f"
    page: Page | None = None
    health: Callable[[Any], dict[str, Any]] | None = None
    figures: Callable[[Any], list[dict[str, Any]]] | None = None

    @property
    def name(self) -> str:
        return self.analyzer.name

    @property
    def description(self) -> str:
        return self.analyzer.description

    def __post_init__(self) -> None:
        if not self.label:
            words = self.name.replace("_", " ").strip()
            object.__setattr__(self, "label", words[:1].upper() + words[1:])


@dataclass(frozen=True, eq=False)
class Page:
    """A cause's page in the dashboard, drawn by a plain function.

    ``render(st, ui, dd, result, key)`` lays out the page: ``st`` is the streamlit module,
    ``ui`` and ``dd`` the dashboard's widget and data modules (``dash_components``,
    ``dash_data``), ``result`` the :class:`diagnose.Result` on display and ``key`` its cache key
    (for ``dd.cached(fn, key, *args)``). The dashboard passes them in, so a cause package
    never imports streamlit or the dashboard; ``render`` imports chart libraries (altair)
    inside its body. ``url_path`` is the page's address (``/<url_path>``), ``icon`` a
    streamlit icon (``":material/<name>:"`` or an emoji).

    Examples
    --------
    >>> Page(lambda st, ui, dd, result, key: None, title="Toy", url_path="toy").icon
    ':material/insights:'
    """

    render: Callable[..., None]
    title: str
    url_path: str
    icon: str = ":material/insights:"


_REGISTERED: dict[str, Cause] = {}
_LOADING: list[bool] = []


def register(cause: Cause) -> Cause:
    """Add ``cause`` to the registry (after those already there) and return it.

    Registering a name again replaces the earlier entry in place. Every layer
    (pipeline, attribution, report, dashboard) picks the cause up from here.
    """
    registered()  # the built-in causes come first
    _REGISTERED[cause.name] = cause
    return cause


def unregister(name: str) -> None:
    """Remove the cause ``name`` from the registry (tests, plug-ins that withdraw)."""
    registered()
    _REGISTERED.pop(name, None)


def registered() -> tuple[Cause, ...]:
    """The registered causes in report order; the built-in ones are loaded on first use."""
    if not _LOADING:
        _LOADING.append(True)
        importlib.import_module(_BUILTIN)
    return tuple(_REGISTERED.values())


def analyzer_classes() -> tuple[type[Analyzer], ...]:
    """The analyzer class of every registered cause, in order."""
    return tuple(c.analyzer for c in registered())


class _CauseNames(Sequence):
    """The registered cause names: a live, read-only tuple-like view."""

    def _names(self) -> tuple[str, ...]:
        return tuple(c.name for c in registered())

    def __getitem__(self, index):
        return self._names()[index]

    def __len__(self) -> int:
        return len(self._names())

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __eq__(self, other: object) -> bool:
        return tuple(self) == (tuple(other) if isinstance(other, (tuple, list, _CauseNames)) else other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._names())


CAUSES: Sequence[str] = _CauseNames()
"""Names of the registered causes in order (follows :func:`register`)."""
