"""The Hugging Face ``evaluate`` module loads from its file offline and reports the breakdown."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import diagnose

evaluate = pytest.importorskip("evaluate", reason="the evaluate extra is not installed (pip install 'diagnose[evaluate]')")

MODULE = Path(diagnose.__file__).resolve().parent / "evaluate_module" / "diagnose_causes.py"
CLASSES = {"card": ["lost my card", "card stolen yesterday", "my card is missing", "cannot find my card", "card was stolen"],
           "topup": ["top up failed", "my top up did not work", "topup is pending", "top up not showing", "cannot top up"],
           "fee": ["why a fee", "charged a fee on transfer", "extra fee charged", "what is this fee", "fee for payment"]}


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_EVALUATE_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setattr("evaluate.saving._git_commit_hash", lambda: None)  # evaluate.save would shell out to git


def _train() -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for label, phrases in CLASSES.items():
        for i in range(8):
            texts.append(f"{phrases[i % 5]} {['please', 'help', 'today', 'now'][i % 4]}")
            labels.append(label)
    return texts, labels


def _eval() -> dict[str, list]:
    texts = ["lost my card today", "top up failed now", "why a fee please", "card stolen help", "quantum entanglement of llamas"]
    return {"texts": texts, "references": ["card", "topup", "fee", "card", "fee"],
            "predictions": ["card", "topup", "card", "topup", "card"], "ids": [f"e{i}" for i in range(5)]}


def test_loads_from_file_and_reports_breakdown(tmp_path):
    texts, labels = _train()
    metric = evaluate.load(str(MODULE), train_texts=texts, train_labels=labels, cache_dir=str(tmp_path))
    out = metric.compute(**_eval())
    assert out["accuracy"] == pytest.approx(0.4) and out["n_errors"] == 3
    assert {f"errors_{c}" for c in diagnose.CAUSES} <= set(out)
    assert out["unexplained"] + sum(n for k, n in out["primary"].items() if k != "unexplained") == out["n_errors"]
    assert sum(out["combinations"].values()) == out["n_errors"]
    assert "contradictory_context" in out["skipped"]


def test_compute_kwargs_override_and_save(tmp_path):
    texts, labels = _train()
    metric = evaluate.load(str(MODULE), cache_dir=str(tmp_path))
    out = metric.compute(**_eval(), train_texts=texts, train_labels=labels)
    assert "coverage_gap" not in out["skipped"]
    saved = evaluate.save(str(tmp_path / "result.json"), **out)
    data = json.loads(Path(saved).read_text())
    assert data["n_errors"] == 3 and data["errors_coverage_gap"] == out["errors_coverage_gap"]


def test_without_texts_counts_accuracy_only(tmp_path):
    metric = evaluate.load(str(MODULE), cache_dir=str(tmp_path))
    out = metric.compute(predictions=[1, 0, 1, 1], references=[1, 1, 1, 0])
    assert out["accuracy"] == 0.5 and out["unexplained"] == 2
    assert set(out["skipped"]) == {cls.name for cls in diagnose.REGISTRY}


def test_unknown_argument_is_an_error(tmp_path):
    metric = evaluate.load(str(MODULE), cache_dir=str(tmp_path))
    with pytest.raises(ValueError, match="unknown arguments"):
        metric.compute(**_eval(), train_txts=["x"])
