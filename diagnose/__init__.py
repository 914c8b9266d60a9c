"""diagnose: why did my model get these examples wrong?

>>> import diagnose
>>> sorted(diagnose.CAUSES)
['annotator_inconsistency', 'contradictory_context', 'coverage_gap', 'noisy_label']
"""
import warnings as _warnings

with _warnings.catch_warnings():  # cleanlab's datalab runs warnings.filterwarnings("ignore") at import: keep the user's filters
    from diagnose.analyzers import CAUSES, REGISTRY
from diagnose.errors import DiagnoseError
from diagnose.pipeline import RunConfig, prepare, run
from diagnose.result import Result, load
from diagnose.schema import Columns
from diagnose.validate import load_inputs

__version__ = "0.1.0"

__all__ = ["CAUSES", "REGISTRY", "Columns", "DiagnoseError", "Result", "RunConfig",
           "load", "load_inputs", "prepare", "run", "__version__"]
