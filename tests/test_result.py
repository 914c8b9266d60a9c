"""The saved result: loading an incomplete folder."""
from __future__ import annotations

import pytest
from tiny_inputs import (
    QUIET,
)

import diagnose
import diagnose.cli
from diagnose.errors import InputError


def test_incomplete_result_is_a_clear_error(tmp_path, toy_train, toy_eval):
    diagnose.run(toy_eval, toy_train, config=QUIET).save(tmp_path / "out", reports=False)
    (tmp_path / "out" / "neighbors.parquet").unlink()
    with pytest.raises(InputError, match=r"incomplete.*neighbors\.parquet"):
        diagnose.load(tmp_path / "out")
