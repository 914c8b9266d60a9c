"""Markdown of ``benchmarks.disagreement_rte`` (private helper)."""
from __future__ import annotations

import numpy as np

from benchmarks._disagreement_report import _head, _mw

__all__ = ["render_rte"]

_NOTE = ("`ours` = the readings in `result.examples` of `diagnose.run(eval, train=None, annotations=k sampled votes "
         "with worker ids)`; `ours_anonymous` = the same posterior (`diagnose.votes`, via "
         "`benchmarks._disagreement_eval.run_model`, as in the CIFAR-10H benchmark) on the votes without worker ids; "
         "`model_only` = that posterior with no votes; `majority_rule` = top share of the k votes < 0.7 is ambiguous, "
         "else majority vs gold. Dawid-Skene and CROWDLAB get the worker ids (CROWDLAB refuses one vote per item).")


def _med(values, fmt: str = ".3f") -> str:
    v = [x for x in values if x is not None]
    return "–" if not v else format(float(np.median(v)), fmt)


def _table(title: str, block: dict, rs: list[dict], key: str, worst=min) -> list[str]:
    names = list(block)
    return [f"| {title} | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names),
            "| median / worst | " + " | ".join(_mw([r[key].get(b) for r in rs], worst) for b in names) + " |"]


def _flags(rs: list[dict]) -> list[str]:
    names = list(rs[0]["wrong_gold_flags"])
    out = ["| wrong gold flagged | precision | recall | flagged (median) |", "|---|---:|---:|---:|"]
    for b in names:
        cells = [_mw([r["wrong_gold_flags"][b][m] for r in rs]) for m in ("precision", "recall")]
        out.append(f"| {b} | {cells[0]} | {cells[1]} | {_med([r['wrong_gold_flags'][b]['flagged'] for r in rs], '.0f')} |")
    return out


def _section(rs: list[dict]) -> list[str]:
    r0 = rs[0]
    out = [f"## {r0['k']} vote(s) per item ({r0['errors']} errors: {r0['n_ambiguous']} ambiguous by 10 votes, "
           f"{r0['n_wrong_gold']} wrong gold by 10 votes)", ""]
    out += _table("ambiguity AUROC", r0["auroc"], rs, "auroc") + [""]
    out += _table("wrong gold: recall at precision >= 0.7", r0["wrong_gold"], rs, "wrong_gold")
    out.append("| AUROC | " + " | ".join(_mw([r["wrong_gold_auroc"].get(b) for r in rs]) for b in r0["wrong_gold"]) + " |")
    out += [""] + _flags(rs) + [""]
    out += _table("macro F1 over the three readings", r0["macro_f1"], rs, "macro_f1") + [""]
    out += ["- readings given to the errors (median over seeds): "
            + ", ".join(f"{v} {_med([r['readings'][v] for r in rs], '.0f')}" for v in r0["readings"]),
            f"- stated ambiguity vs 10-vote share of disagreement: mean |gap| {_mw([r['ambiguity_gap'] for r in rs], max)} "
            f"(median / worst), mean signed gap {_mw([r['ambiguity_bias'] for r in rs], max)}; anonymous posterior "
            f"|gap| {_mw([r['ambiguity_gap_anonymous'] for r in rs], max)}; 80% interval covers the 10-vote share on "
            f"{_mw([r['interval_cover'] for r in rs])} of errors",
            f"- largest P(ambiguous) among the errors {_mw([r['p_ambiguous_max'] for r in rs], max)} (median / highest); "
            f"mean stated ambiguity on errors ambiguous / clear by 10 votes (medians) "
            f"{_med([r['ambiguity_mean']['ambiguous_10'] for r in rs])} / {_med([r['ambiguity_mean']['clear_10'] for r in rs])}",
            f"- fitted (alpha, reliability, share) of the posterior: in `diagnose.run` "
            f"{sorted({tuple(r['spread_library'] or ()) for r in rs})}, anonymous {sorted({tuple(r['spread_anonymous']) for r in rs})}; "
            f"share of the sampled votes that `diagnose.run` weighs below 0.5 (median): {_med([r['low_weight_votes'] for r in rs])}",
            f"- accuracy where people agree / disagree (ours, P(ambiguous) < 0.5; medians): "
            f"{_med([r['accuracy_agreed'] for r in rs])} / {_med([r['accuracy_disagreed'] for r in rs])}; by 10 votes: {r0['accuracy_agreed_10']:.3f} / "
            f"{r0['accuracy_disagreed_10']:.3f}", ""]
    out += [f"Reliability (seed {r0['seed']}): stated precision of the reading vs share right; stated ambiguity vs "
            "10-vote share of disagreement (equal-count bins)", "",
            "| bin | stated precision | measured | n | stated ambiguity | 10-vote share | n |",
            "|---:|---:|---:|---:|---:|---:|---:|"]
    out += [f"| {i + 1} | {c[0]:.2f} | {c[1]:.2f} | {c[2]} | {a[0]:.2f} | {a[1]:.2f} | {a[2]} |"
            for i, (c, a) in enumerate(zip(r0["precision_calibration"], r0["ambiguity_reliability"]))]
    return out + [""]


def render_rte(results: list[dict], meta: dict) -> str:
    """Tables per k: median / worst over the vote-sampling seeds, ours against the baselines."""
    out = _head(f"Disagreement on Snow et al. (2008) RTE ({meta['half']} half)",
                f"python -m benchmarks.disagreement_rte --half {meta['half']}", meta)
    out += [f"Half `{meta['half']}` ({meta['items']} of the 800 items, seeded split). One library default was chosen on the "
            "`dev` half (`diagnose.votes.RELIABILITY_PRIOR` = 100 pseudo-votes, over 0 and 20); the `report` half was "
            "looked at only to report. Model: TF-IDF "
            "(word 1-2 grams of premise || hypothesis) + 3 overlap features + logistic regression, out-of-fold "
            "(seeded 5-fold CV over the 800 items, trained on the other folds' gold); accuracy "
            f"{meta['model_accuracy_all']:.3f} on all 800, {results[0]['model_accuracy']:.3f} on this half. "
            "Among the model's errors; cells are median / worst over the vote-sampling seeds "
            f"{sorted({r['seed'] for r in results})}. Truth from all 10 votes: ambiguous = top share < 0.7; wrong gold = "
            "gold differs from a 10-vote majority of >= 0.7; else model mistake. The k sampled votes are among those 10.",
            "", _NOTE, ""]
    for k in sorted({r["k"] for r in results}):
        out += _section([r for r in results if r["k"] == k])
    return "\n".join(out)
