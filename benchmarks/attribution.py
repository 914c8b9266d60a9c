"""Measurement 4: cause attribution end to end on planted-fault scenarios.

Scenarios come from ``benchmarks/scenarios.py`` (``make_intent_scenario`` on
BANKING77 and CLINC150 with several seeds and strengths; subsampled per
class to keep the suite short, sizes in ``CONFIGS``). Each runs
``diagnose.run(eval, train, annotations)`` with default settings, and the
baseline ``benchmarks.baseline_pipeline.baseline_attribute`` on the same
frames. The analyzers' settings were chosen on the dev splits of the other
measurements, with one exception: annotator_inconsistency's 10-class limit on
clear-item error rates (``clear_accuracy``) was set after the BANKING77
scenarios here showed its failure, so this benchmark's annotator figures are
not held out for that setting.

Scored rows: eval rows that are errors (given gold ≠ prediction). For each
cause, a true positive is an error whose planted causes and assigned causes
both contain it; errors with nothing planted ("natural" errors) count as
false positives for every cause assigned to them. Primary-cause accuracy:
share of errors with at least one planted cause whose ``primary_cause`` is
one of them. Double-cause: errors with two planted causes that get both.
"""
from __future__ import annotations

import logging
from collections import defaultdict

import polars as pl

log = logging.getLogger("benchmarks")

#: (source, seed, strength, n_classes, train_per_class, eval_per_class)
CONFIGS = (
    ("banking77", 0, 1.0, None, 60, 20),
    ("clinc150", 0, 1.0, 60, 60, 20),
    ("banking77", 1, 0.6, None, 60, 20),
)
INTENT_CAUSES = ("coverage_gap", "noisy_label", "annotator_inconsistency")


def _ours(sc) -> pl.DataFrame:
    import diagnose

    result = diagnose.run(sc.eval, sc.train, sc.annotations, seed=0, config=diagnose.RunConfig(progress=False))
    return result.examples.select("id", "causes", "primary_cause")


def _baseline(sc) -> pl.DataFrame:
    from benchmarks.baseline_pipeline import baseline_attribute

    return baseline_attribute(sc.train, sc.eval, sc.annotations).with_columns(primary_cause=pl.lit(None, pl.Utf8))


def tally(sc, assigned: pl.DataFrame, counts: dict) -> None:
    """Add one scenario's per-cause counts to ``counts``."""
    frame = sc.eval.select("id", "label", "prediction").join(sc.truth, on="id").join(assigned, on="id", how="left")
    frame = frame.filter(pl.col("label").is_not_null() & (pl.col("label") != pl.col("prediction")))
    for planted, causes, primary, gold, true in frame.select("planted", "causes", "primary_cause", "label",
                                                              "true_label").iter_rows():
        planted, causes = set(planted or []), set(causes or [])
        for c in INTENT_CAUSES:
            counts[c]["tp"] += int(c in planted and c in causes)
            counts[c]["fp"] += int(c not in planted and c in causes)
            counts[c]["fn"] += int(c in planted and c not in causes)
            counts[c]["fp_planted"] += int(bool(planted) and c not in planted and c in causes)
        if planted:
            counts["primary"]["n"] += 1
            counts["primary"]["hit"] += int(primary in planted)
        if len(planted) >= 2:
            for key in ("double", "double_gold" if gold != true else "double_train"):
                counts[key]["n"] += 1
                counts[key]["hit"] += int(planted <= causes)


def _f(c: dict, *, natural: bool = True) -> tuple[float, float, float]:
    p = c["tp"] / max(c["tp"] + (c["fp"] if natural else c["fp_planted"]), 1)
    r = c["tp"] / max(c["tp"] + c["fn"], 1)
    return p, r, 2 * p * r / max(p + r, 1e-12)


def measure(configs=CONFIGS) -> dict[str, dict]:
    from benchmarks.scenarios import make_intent_scenario

    out: dict[str, dict] = {}
    for source, seed, strength, n_classes, tpc, epc in configs:
        log.info("attribution: %s seed %d strength %.1f", source, seed, strength)
        sc = make_intent_scenario(source, seed=seed, strength=strength, n_classes=n_classes,
                                  train_per_class=tpc, eval_per_class=epc)
        for method, fn in (("ours", _ours), ("baseline", _baseline)):
            assigned = fn(sc)
            for data in (source, "all"):
                tally(sc, assigned, out.setdefault(f"{data}|{method}", defaultdict(lambda: defaultdict(int))))
    return out


def run() -> str:
    m = measure()
    lines = ["## attribution: planted-fault scenarios, end to end (`diagnose.run`)", "",
             "Scenarios: " + "; ".join(f"{s} seed {sd} strength {st} ({'all' if n is None else n} classes, "
                                       f"{t}/class train, {e}/class eval)" for s, sd, st, n, t, e in CONFIGS) + ". "
             "Per-cause precision/recall/F1 over error rows; baseline = `baseline_attribute` (kNN + cleanlab + "
             "vote counting) on the same frames. Targets: per-cause F1 ≥ 0.9 (≥ 0.85 on BANKING77); both causes "
             "for ≥ 0.7 of double-cause errors. No published number exists (no other tool attributes causes). "
             "Not held out for one setting: annotator_inconsistency's 10-class limit on clear-item error rates was "
             "set after these BANKING77 scenarios showed annotators' confusion of similar intents read as splits.", "",
             "| data | cause | P ours | R ours | F1 ours | F1 ours, planted errors only | P base | R base | F1 base | target | met | met, planted only |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|:--:|:--:|"]
    for data in ("banking77", "clinc150", "all"):
        ours, base = m.get(f"{data}|ours"), m.get(f"{data}|baseline")
        if ours is None:
            continue
        target = 0.85 if data == "banking77" else 0.9
        for c in INTENT_CAUSES:
            po, ro, fo = _f(ours[c])
            pb, rb, fb = _f(base[c])
            fp_only = _f(ours[c], natural=False)[2]
            lines.append(f"| {data} | {c} | {po:.3f} | {ro:.3f} | **{fo:.3f}** | {fp_only:.3f} | {pb:.3f} | {rb:.3f} | {fb:.3f} "
                         f"| ≥ {target} | {'yes' if fo >= target else 'no'} | {'yes' if fp_only >= target else 'no'} |")
        pr = ours["primary"]
        db, dbb = ours["double"], base["double"]
        lines.append(f"| {data} | primary-cause accuracy | | | {pr['hit'] / max(pr['n'], 1):.3f} (n={pr['n']}) | | | | – | – | | |")
        lines.append(f"| {data} | double-cause errors with both | | | {db['hit'] / max(db['n'], 1):.3f} (n={db['n']}) | | | | "
                     f"{dbb['hit'] / max(dbb['n'], 1):.3f} | ≥ 0.7 | {'yes' if db['hit'] >= 0.7 * max(db['n'], 1) else 'no'} | |")
    ours = m["all|ours"]
    cov = ours["coverage_gap"]
    gold, train = ours["double_gold"], ours["double_train"]
    lines += ["", ("Double-cause errors by kind (all scenarios, ours): split class whose eval gold is also wrong "
                   f"{gold['hit']}/{gold['n']}; split class whose training labels were also flipped (gold right) "
                   f"{train['hit']}/{train['n']}. In the second kind the annotators split the gold with a class other than "
                   "the one the model predicts (the flipped-to class), so annotator_inconsistency, which scores an "
                   "error by disagreement between its gold and predicted labels, does not claim it by design.")]
    lines += ["", ("\"Planted errors only\" leaves out errors with nothing planted (natural errors), which the "
                   f"headline F1 counts as false positives: over all scenarios, {cov['fp'] - cov['fp_planted']} of the "
                   f"{cov['fp']} coverage_gap false positives are natural errors (nothing planted; some are real phrasing gaps "
                   "the scenario does not label, e.g. a gold intent whose nearest training example is far); the "
                   "rest are planted errors of another cause."),
              "", ("Coverage of labelled errors (`CoverageGap(outcome_reference=..., gold_reference=...)`): an "
                   "error's novelty is averaged with how far it is from the nearest training row carrying its gold "
                   "label; the pair of references was chosen on dev scenarios and a labelled CLINC150 dev check only, "
                   "by `python -m benchmarks.coverage_reference` (its table is appended below). Every planted gap "
                   "here is a gold intent absent from training (score 1 under any reference), so this table cannot "
                   "see subtle gaps a narrow reference loses; the check can."), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    print(run())
