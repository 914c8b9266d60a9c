"""Markdown of the disagreement benchmarks (private helper of ``benchmarks.disagreement_*``)."""
from __future__ import annotations

import numpy as np

__all__ = ["render_cifar", "render_family"]


def _mw(values, worst=min) -> str:
    v = [x for x in values if x is not None and not (isinstance(x, float) and np.isnan(x))]
    return "–" if not v else f"{np.median(v):.3f} / {worst(v):.3f}"


def _head(title: str, command: str, meta: dict) -> list[str]:
    return [f"# {title}", "", f"`{command}` at commit `{meta['commit']}`; {meta['seconds']} s wall, one process "
            f"(load average {meta['load']:.1f} at the end; the 2 cores were shared with other sessions).", ""]


def render_cifar(results: list[dict], meta: dict) -> str:
    """Tables per k: median / worst over the vote-sampling seeds, ours against the baselines."""
    out = _head(f"Disagreement on CIFAR-10H ({meta['half']} half)",
                f"python -m benchmarks.disagreement_cifar10h --half {meta['half']}", meta)
    out += [f"Half `{meta['half']}` of the images (seeded split; defaults were chosen on the `dev` half only). "
            "Among the model's errors; cells are median / worst over the vote-sampling seeds "
            f"{sorted({r['seed'] for r in results})}. Truth: ambiguous = 51-vote top share < 0.7; wrong gold = "
            "MTurk-verified label error; else model mistake.", ""]
    for k in sorted({r["k"] for r in results}):
        rs = [r for r in results if r["k"] == k]
        out += [f"## {k} vote(s) per image ({rs[0]['errors']} errors: {rs[0]['n_ambiguous']} ambiguous by 51 votes, "
                f"{rs[0]['n_wrong_gold']} verified wrong gold)", "",
                "| measure | ours | " + " | ".join(b for b in rs[0]["auroc"] if b != "ours") + " |",
                "|---|---:|" + "---:|" * (len(rs[0]["auroc"]) - 1)]
        out.append("| ambiguity AUROC | " + " | ".join(_mw([r["auroc"][b] for r in rs]) for b in rs[0]["auroc"]) + " |")
        out += ["", "| wrong gold: recall at precision >= 0.7 | " + " | ".join(rs[0]["wrong_gold"]) + " |",
                "|---|" + "---:|" * len(rs[0]["wrong_gold"]),
                "| median / worst | " + " | ".join(_mw([r["wrong_gold"][b] for r in rs]) for b in rs[0]["wrong_gold"]) + " |",
                "| AUROC | " + " | ".join(_mw([r["wrong_gold_auroc"].get(b) for r in rs]) for b in rs[0]["wrong_gold"]) + " |",
                "", "| macro F1 over the three readings | " + " | ".join(rs[0]["macro_f1"]) + " |",
                "|---|" + "---:|" * len(rs[0]["macro_f1"]),
                "| median / worst | " + " | ".join(_mw([r["macro_f1"][b] for r in rs]) for b in rs[0]["macro_f1"]) + " |", ""]
        out += [f"- stated ambiguity vs 51-vote share of disagreement: mean |gap| {_mw([r['ambiguity_gap'] for r in rs], max)} "
                f"(median / worst), mean signed gap {_mw([r['ambiguity_bias'] for r in rs], max)}; "
                f"80% interval covers the 51-vote share on {_mw([r['interval_cover'] for r in rs])} of errors",
                f"- fitted (alpha, reliability, share): {sorted({(r['alpha'], r['reliability'], r.get('share')) for r in rs})}",
                f"- accuracy where people agree / disagree (ours, P(ambiguous) < 0.5): "
                f"{_mw([r['accuracy_agreed'] for r in rs])} / {_mw([r['accuracy_disagreed'] for r in rs])}; "
                f"by 51 votes: {rs[0]['accuracy_agreed_51']:.3f} / {rs[0]['accuracy_disagreed_51']:.3f}", ""]
        cal, amb = rs[0]["precision_calibration"], rs[0]["ambiguity_reliability"]
        out += [f"Reliability (seed {rs[0]['seed']}): stated precision of the reading vs share right; stated "
                "ambiguity vs 51-vote share (equal-count bins)", "",
                "| bin | stated precision | measured | n | stated ambiguity | 51-vote share | n |", "|---:|---:|---:|---:|---:|---:|---:|"]
        out += [f"| {i + 1} | {c[0]:.2f} | {c[1]:.2f} | {c[2]} | {a[0]:.2f} | {a[1]:.2f} | {a[2]} |" for i, (c, a) in enumerate(zip(cal, amb))]
        out.append("")
    return "\n".join(out)


def render_family(results: list[dict], meta: dict) -> str:
    """One table: median / worst over the draws, and one row per draw."""
    out = _head(f"Disagreement on the generated family ({meta['seeds']} draws)",
                f"python -m benchmarks.disagreement_family --seeds {meta['seeds']}", meta)
    keys = ("macro_f1", "model_only_f1", "majority_f1", "auroc", "vote_entropy_auroc")
    out += [f"{len(results)} draws; among the model's errors. Cells: median / worst.", "",
            "| " + " | ".join(keys) + " | stated - measured precision | ambiguity mean abs gap |",
            "|" + "---:|" * (len(keys) + 2),
            "| " + " | ".join(_mw([r[k] for r in results]) for k in keys)
            + f" | {_mw([r['stated_minus_measured'] for r in results], lambda v: max(v, key=abs))}"
            + f" | {_mw([r['ambiguity_gap'] for r in results], max)} |", "",
            "| seed | votes/item | errors | alpha | reliability | share | macro F1 | model-only F1 | majority F1 | AUROC | stated-measured |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    out += [f"| {r['seed']} | {r['votes']} | {r['errors']} | {r['alpha']} | {r['reliability']} | {r.get('share')} | "
            f"{r['macro_f1']:.3f} | {r['model_only_f1']:.3f} | {r['majority_f1']:.3f} | {r['auroc']:.3f} | "
            f"{r['stated_minus_measured']:+.3f} |" for r in results]
    return "\n".join(out) + "\n"
