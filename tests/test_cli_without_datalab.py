"""A CLI run loads cleanlab without Datalab (and so without Hugging Face datasets); datasets still imports after."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = """
import sys
from diagnose import commands
commands._import_analysis_stack()
import cleanlab.count, cleanlab.multiannotator
print("loaded" if "datasets" in sys.modules else "absent")
import datasets
print("imports" if hasattr(datasets, "Dataset") else "broken")
"""


@pytest.mark.skipif(importlib.util.find_spec("datasets") is None, reason="Hugging Face datasets is not installed")
def test_analysis_stack_skips_datalab_and_leaves_datasets_importable():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.split() == ["absent", "imports"]
