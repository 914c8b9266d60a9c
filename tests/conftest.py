"""Shared fixtures: small synthetic tables that follow the input contract."""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest

TEMPLATES = {
    "card_lost": ["i lost my card {x}", "my card was stolen {x}", "cannot find my bank card {x}", "card is missing {x}"],
    "top_up": ["top up failed {x}", "my top up did not work {x}", "add money to account {x}", "topping up is broken {x}"],
    "refund": ["where is my refund {x}", "refund not received {x}", "merchant refund missing {x}", "still waiting for a refund {x}"],
    "exchange": ["exchange rate is wrong {x}", "bad exchange rate applied {x}", "currency conversion rate {x}", "fx rate too high {x}"],
}
FILLERS = ["today", "yesterday", "please help", "again", "urgent", "this week", "on monday", "now", "asap", "thanks"]


def _rows(n_per_class: int, prefix: str, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for label, temps in TEMPLATES.items():
        for i in range(n_per_class):
            text = temps[i % len(temps)].format(x=FILLERS[rng.integers(len(FILLERS))])
            rows.append({"id": f"{prefix}{len(rows):04d}", "text": text, "label": label})
    return pl.DataFrame(rows)


@pytest.fixture(scope="session")
def toy_train() -> pl.DataFrame:
    return _rows(30, "tr-", 0)


@pytest.fixture(scope="session")
def toy_eval() -> pl.DataFrame:
    ev = _rows(8, "ev-", 1)
    pred = ev.get_column("label").to_list()
    for i in (0, 9, 17):  # three model errors
        pred[i] = "refund" if pred[i] != "refund" else "top_up"
    return ev.with_columns(pl.Series("prediction", pred))


@pytest.fixture()
def toy_files(tmp_path, toy_train, toy_eval):
    paths = {"train": tmp_path / "train.csv", "eval": tmp_path / "eval.csv"}
    toy_train.write_csv(paths["train"])
    toy_eval.write_csv(paths["eval"])
    return paths
