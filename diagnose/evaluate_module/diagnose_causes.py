"""A Hugging Face ``evaluate`` module: accuracy plus why the wrong predictions are wrong.

Load it from this file (no Hub access needed)::

    import evaluate
    metric = evaluate.load("path/to/diagnose/evaluate_module/diagnose_causes.py",
                           train_texts=train_texts, train_labels=train_labels)
    scores = metric.compute(predictions=preds, references=refs, texts=texts)
    evaluate.save("results/", **scores)

Training data (and annotations) can be given when loading (init kwargs) or to
``compute``; ``compute`` wins. Without training data only accuracy and the
``unexplained`` count are meaningful, because every analyzer needs something
to compare the eval rows against.
"""
from __future__ import annotations

from typing import Any

import datasets
import evaluate
import polars as pl

import diagnose

_CITATION = """\
@software{diagnose,
  title = {diagnose: why did my model get these examples wrong?},
  author = {The diagnose developers},
  license = {AGPL-3.0-or-later}
}
"""

_DESCRIPTION = """\
Accuracy of the predictions, plus the number of wrong predictions each cause
explains: coverage_gap (no similar training data), noisy_label (wrong labels
taught the mistake, or the gold label is wrong), annotator_inconsistency
(the labellers disagree), contradictory_context (the passages given to the
model disagree), their combinations, and unexplained errors.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (list of str or int): the model's predicted labels.
    references (list of str or int): the gold labels.
    texts (list of str, optional): the eval input texts; without them no analyzer runs
        and every error is counted as unexplained.
    ids (list of str, optional): eval row ids; row numbers when omitted.
    train_texts, train_labels (lists, optional): the training data; overrides the init kwargs.
    train_ids (list of str, optional): training row ids.
    annotations (dict of lists or polars/pandas frame, optional): id, annotator, label.
    contexts (dict of lists or frame, optional): id, passage_id, passage (generation tasks).
    seed (int, optional): seed of every random step.
Returns:
    accuracy (float), n_labelled, n_errors, errors_<cause> (int, one per cause),
    unexplained (int), combinations (dict "cause + cause" -> errors),
    primary (dict cause -> errors whose primary cause it is), skipped (dict analyzer -> reason).
Examples:
    >>> metric = evaluate.load("diagnose/evaluate_module/diagnose_causes.py")  # doctest: +SKIP
    >>> metric.compute(predictions=["a", "b"], references=["a", "a"], texts=["x y", "z w"])["accuracy"]  # doctest: +SKIP
    0.5
"""

_DATA_KEYS = ("train_texts", "train_labels", "train_ids", "annotations", "contexts")


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class DiagnoseCauses(evaluate.Metric):
    """Accuracy and the per-cause breakdown of the errors, computed by ``diagnose``."""

    def __init__(self, *args: Any, train_texts=None, train_labels=None, train_ids=None, annotations=None,
                 contexts=None, seed: int = 0, min_precision: float | None = None, **kwargs: Any):
        self.data_kwargs = {"train_texts": train_texts, "train_labels": train_labels, "train_ids": train_ids,
                            "annotations": annotations, "contexts": contexts}
        self.diagnose_seed = seed
        self.min_precision = min_precision  # None: diagnose.RunConfig's default
        super().__init__(*args, **kwargs)

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=[datasets.Features({"predictions": datasets.Value("string"), "references": datasets.Value("string")}),
                      datasets.Features({"predictions": datasets.Value("int64"), "references": datasets.Value("int64")})],
            reference_urls=["https://github.com/huggingface/evaluate"],
        )

    def _compute(self, predictions, references, texts=None, ids=None, seed=None, **data: Any) -> dict[str, Any]:
        given = {**self.data_kwargs, **{k: v for k, v in data.items() if k in _DATA_KEYS and v is not None}}
        unknown = sorted(set(data) - set(_DATA_KEYS))
        if unknown:
            raise ValueError(f"diagnose_causes: unknown arguments {unknown}; expected some of {list(_DATA_KEYS)} "
                             "plus predictions, references, texts, ids, seed.")
        n = len(predictions)
        if texts is None:
            return _accuracy_only([str(p) for p in predictions], [str(r) for r in references])
        eval_frame = pl.DataFrame({
            "id": [str(i) for i in ids] if ids is not None else [f"row-{i}" for i in range(n)],
            "text": [str(t) for t in texts],
            "label": [str(r) for r in references],
            "prediction": [str(p) for p in predictions],
        })
        result = diagnose.run(eval_frame, _train(given), _frame(given["annotations"]), _frame(given["contexts"]),
                              seed=self.diagnose_seed if seed is None else seed,
                              config=_config(self.min_precision))
        return _scores(result.summary)


def _config(min_precision: float | None) -> diagnose.RunConfig:
    """The run settings: every default comes from :class:`diagnose.RunConfig`."""
    given = {} if min_precision is None else {"min_precision": min_precision}
    return diagnose.RunConfig(progress=False, **given)


def _accuracy_only(predictions: list[str], references: list[str]) -> dict[str, Any]:
    """Without texts no analyzer can run: every error is unexplained."""
    n_err = sum(p != r for p, r in zip(predictions, references))
    reason = "no eval texts were given (pass texts= to compute)"
    return {
        "accuracy": None if not references else round(1 - n_err / len(references), 6),
        "n_labelled": len(references),
        "n_errors": n_err,
        **{f"errors_{cause}": 0 for cause in diagnose.CAUSES},
        "unexplained": n_err,
        "combinations": {"unexplained": n_err} if n_err else {},
        "primary": {"unexplained": n_err} if n_err else {},
        "skipped": {cls.name: reason for cls in diagnose.REGISTRY},
    }


def _train(given: dict[str, Any]) -> pl.DataFrame | None:
    if given["train_texts"] is None or given["train_labels"] is None:
        return None
    texts = [str(t) for t in given["train_texts"]]
    ids = given["train_ids"] if given["train_ids"] is not None else [f"train-{i}" for i in range(len(texts))]
    return pl.DataFrame({"id": [str(i) for i in ids], "text": texts, "label": [str(x) for x in given["train_labels"]]})


def _frame(value: Any) -> Any:
    """A dict of lists becomes a polars frame; frames pass through unchanged."""
    return pl.DataFrame({k: [str(x) for x in v] for k, v in value.items()}) if isinstance(value, dict) else value


def _scores(summary: dict[str, Any]) -> dict[str, Any]:
    counts = summary["counts"]
    return {
        "accuracy": summary["accuracy"],
        "n_labelled": summary["n_labelled"],
        "n_errors": summary["n_errors"],
        **{f"errors_{cause}": int(n) for cause, n in counts["per_cause"].items()},
        "unexplained": counts["unexplained"],
        "combinations": dict(counts["combinations"]),
        "primary": dict(counts["primary"]),
        "skipped": {name: info.get("reason") for name, info in summary["analyzers"].items() if info.get("status") != "ran"},
    }
