"""Scenario families, before and after the calibration of verdicts (issue 14), in one table.

Reads the JSON files that ``python -m benchmarks.family`` wrote into
``benchmarks/results/`` (it computes nothing itself) and puts, per measure, the
median and the worst draw of the reporting seeds (100-123, never used to choose
a setting) before and after, plus the development seeds (0-9, where the
defaults were chosen) and the no-fault runs. Refresh the inputs with::

    python -m benchmarks.family --seeds report --out benchmarks/results/family_after_report.md --jobs 2
    python -m benchmarks.family --seeds dev --out benchmarks/results/family_after_dev.md --jobs 2
    python -m benchmarks.family --seeds report --no-fault --out benchmarks/results/family_after_report_nofault.md --jobs 2
    python -m benchmarks.family --seeds dev --no-fault --out benchmarks/results/family_after_dev_nofault.md --jobs 2

(the ``before`` files were made the same way on commit 84384cf, see their headers), the same draws with
``noisy_label``'s training side read by counterfactual::

    python -m benchmarks.family --truth counterfactual --seeds report --out benchmarks/results/family_truthcf_report.md --jobs 2
    python -m benchmarks.family --truth counterfactual --seeds dev --out benchmarks/results/family_truthcf_dev.md --jobs 2

and the same reporting
seeds with another user's model::

    python -m benchmarks.family --model knn --seeds report --out benchmarks/results/family_model_knn_report.md --jobs 2
    python -m benchmarks.family --model knn --seeds report --no-fault --out benchmarks/results/family_model_knn_report_nofault.md --jobs 2

(likewise ``flat``, ``sharp`` and ``nb``). The ``*_1a023b3`` files are the report, dev and 200-223 runs
as they stood on commit 1a023b3, before the gold_flip line, kept for the before/after table of that change.
"""
from __future__ import annotations

import json
from pathlib import Path

from benchmarks.family import MEASURES, summarise

HERE = Path(__file__).resolve().parent / "results"
#: (column title, file stem)
RUNS = (("report, before", "family_before_report"), ("report, after", "family_after_report"),
        ("dev, before", "family_before_dev"), ("dev, after", "family_after_dev"),
        ("report, after, counterfactual truth", "family_truthcf_report"),
        ("dev, after, counterfactual truth", "family_truthcf_dev"))
NO_FAULT = (("report, before", "family_before_report_nofault"), ("report, after", "family_after_report_nofault"),
            ("dev, after", "family_after_dev_nofault"))
TARGETS = {"coverage_gap.f1": "≥ 0.9 (worst ≥ 0.8)", "noisy_label.f1": "≥ 0.9 (worst ≥ 0.8)",
           "annotator_inconsistency.f1": "≥ 0.9 (worst ≥ 0.8)", "primary_accuracy": "≥ 0.9",
           "double_recall": "≥ 0.7", "gold_recall": "≥ 0.85", "gold_false_flag": "≤ 0.15",
           "no_fault_any_cause": "≤ 0.05", **{f"{c}.calibration_gap": "within ±0.1" for c in
                                               ("coverage_gap", "noisy_label", "annotator_inconsistency")}}


def _load(stem: str) -> dict | None:
    path = HERE / f"{stem}.json"
    return summarise(json.loads(path.read_text())["draws"]) if path.exists() else None


def _cell(summary: dict | None, key: str) -> str:
    if summary is None or key not in summary or summary[key].get("median") is None:
        return "–"
    s = summary[key]
    return f"{s['median']:.3f} / {s['worst']:.3f}"


def run() -> str:
    runs = [(title, _load(stem)) for title, stem in RUNS]
    lines = ["## Scenario families: verdicts on fault recipes drawn at random (issue 14)", "",
             "Command: `python -m benchmarks.family` (see `benchmarks/family_summary.py` for the four runs); "
             "each cell is **median / worst draw** over all datasets (BANKING77, CLINC150, TREC, SST-5). "
             "Reporting seeds 100-123 were never used to choose anything; the defaults were chosen on the "
             "dev seeds 0-9 and extra development draws (few classes with votes: 14, 19, 22, 30, 42, 47, 71, 74, 86, 98; "
             "2 votes: 12, 26, 31, 60, 65, 67, 79, 92; 200-223), results in `benchmarks/results/family_dev_extra_*`. "
             "A 2-vote flaw of the vote mixture was first seen on reporting seed 120, then reproduced and fixed on the "
             "2-vote dev draws, so seed 120 is not untouched by that choice. Before = commit 84384cf, after = the calibrated verdicts at the commit named in each "
             "`benchmarks/results/family_after_*.md` header. A weak spot found on the reporting seeds and reproduced on "
             "the extra dev draw 11 (SST-5 with one dominant class, no fault: most ordinary errors called noisy labels by "
             "the class-pair line, `--no-fault` worst draw 0.841 at 1d2a9ab) was fixed on dev draw 11 alone (0.855 -> 0) "
             "by comparing the pair's confusion counts (commit 0e757ad); the reporting runs below came after. "
             "Truth: the first four columns count an error as a training-label fault when planted flips moved at least "
             "5% (and 2 rows) of its true class to the predicted label; the counterfactual columns "
             "(`--truth counterfactual`, nothing chosen on them) when the same user's model trained without the planted "
             "flips gets the row right (eval gold flips count in both).", "",
             "| measure | target | " + " | ".join(t for t, _ in runs) + " |",
             "|---|---|" + "---:|" * len(runs)]
    for key, (label, _) in MEASURES.items():
        if key == "no_fault_any_cause" or not any(s and key in s for _, s in runs):
            continue
        lines.append(f"| {label} | {TARGETS.get(key, '')} | " + " | ".join(_cell(s, key) for _, s in runs) + " |")
    nofault = [(title, _load(stem)) for title, stem in NO_FAULT]
    lines += ["", "**No fault planted in any draw** (`--no-fault`; errors given any cause, target ≤ 0.05):", "",
              "| run | median / worst |", "|---|---:|"]
    lines += [f"| {title} | {_cell(s, 'no_fault_any_cause')} |" for title, s in nofault]
    return "\n".join(lines + _latest() + _votes_change() + _models()) + "\n"


#: the last change's before (files kept from commit 1a023b3) and after, per draw set
LATEST = (("report", "family_after_report"), ("dev 0-9", "family_after_dev"), ("dev 200-223", "family_dev_extra_200_223"))
LATEST_MEASURES = ("noisy_label.precision", "noisy_label.recall", "noisy_label.f1", "primary_accuracy", "gold_recall",
                   "gold_false_flag", "noisy_label.calibration_gap")


def _before_after(heading: str, rev: str, sets: tuple, measures: tuple) -> list[str]:
    """One change on the same draws: the files kept as ``*_<rev>.json`` (before) against the current ones."""
    runs = [(title, _load(f"{stem}_{rev}"), _load(stem)) for title, stem in sets]
    if any(b is None or a is None for _, b, a in runs):
        return []
    lines = ["", f"{heading}: the same draws before (files `*_{rev}.json`, made by the same commands on commit {rev}) "
             "and now:", "", "| measure | " + " | ".join(f"{t}, before | {t}, now" for t, _, _ in runs) + " |",
             "|---|" + "---:|" * (2 * len(runs))]
    for key in measures:
        lines.append(f"| {MEASURES[key][0]} | " + " | ".join(f"{_cell(b, key)} | {_cell(a, key)}" for _, b, a in runs) + " |")
    return lines


def _latest() -> list[str]:
    """The gold_flip line of ``noisy_label`` on the same draws: before (1a023b3) and now."""
    return _before_after("**The gold_flip line** (`noisy_label`: eval rows a held-out proxy rejects, scored against "
                         "simulated gold flips and ordinary errors on the training rows; chosen on the dev draws)",
                         "1a023b3", LATEST, LATEST_MEASURES)


#: the next change (coverage_gap's votes line, annotator_inconsistency's pair floor 1.5), per draw set
VOTES_CHANGE = (("report", "family_after_report"), ("dev 0-9", "family_after_dev"),
                ("few-class votes", "family_dev_extra_fewclass_votes"), ("2 votes", "family_dev_extra_two_votes"))
VOTES_MEASURES = ("coverage_gap.precision", "coverage_gap.recall", "coverage_gap.f1", "annotator_inconsistency.precision",
                  "annotator_inconsistency.recall", "annotator_inconsistency.f1", "double_recall",
                  "annotator_inconsistency.calibration_gap", "coverage_gap.calibration_gap")


def _votes_change() -> list[str]:
    """The coverage votes line and the pair floor 1.5 on the same draws: before (527cbb3) and now."""
    return _before_after("**coverage_gap's votes line and annotator_inconsistency's pair floor 1.5** (annotators naming "
                         "a class with no training rows; crossings 1.5 times what the annotators' error rates explain, "
                         "was 2; both chosen on the dev draws)", "527cbb3", VOTES_CHANGE, VOTES_MEASURES)


#: the user's models of ``python -m benchmarks.family --model`` (see ``benchmarks/_user_models.py``)
MODELS = (("logistic regression (the family's)", "family_after_report"), ("flat (p^0.3)", "family_model_flat_report"),
          ("sharp (p^3)", "family_model_sharp_report"), ("naive Bayes", "family_model_nb_report"),
          ("k-nearest neighbours", "family_model_knn_report"))
MODEL_MEASURES = ("coverage_gap.precision", "coverage_gap.f1", "noisy_label.precision", "noisy_label.f1",
                  "annotator_inconsistency.precision", "annotator_inconsistency.f1", "primary_accuracy",
                  "coverage_gap.calibration_gap", "noisy_label.calibration_gap", "annotator_inconsistency.calibration_gap")


def _models() -> list[str]:
    """The reporting seeds diagnosed with other user's models: the verdicts must not hinge on the proxy's kind."""
    runs = [(title, _load(stem), _load(f"{stem}_nofault")) for title, stem in MODELS]
    if sum(s is not None for _, s, _ in runs) < 2:
        return []
    lines = ["", "**The same reporting draws with another user's model** (`python -m benchmarks.family --model flat|sharp|nb|knn "
             "--seeds report [--no-fault]`; the models are in `benchmarks/_user_models.py`; nothing was chosen on these runs):", "",
             "| measure | " + " | ".join(t for t, _, _ in runs) + " |", "|---|" + "---:|" * len(runs)]
    for key in MODEL_MEASURES:
        lines.append(f"| {MEASURES[key][0]} | " + " | ".join(_cell(s, key) for _, s, _ in runs) + " |")
    lines.append("| no-fault draws: errors given any cause | " + " | ".join(_cell(n, "no_fault_any_cause") for _, _, n in runs) + " |")
    return lines


if __name__ == "__main__":
    print(run())
