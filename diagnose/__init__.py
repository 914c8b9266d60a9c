"""diagnose: why did my model get these examples wrong?

Public names are imported on first use, so ``import diagnose`` and the
command line's ``--help`` stay fast; the analysis stack (polars,
scikit-learn, cleanlab) loads when a diagnosis needs it.

>>> import diagnose
>>> sorted(diagnose.CAUSES)
['annotator_inconsistency', 'contradictory_context', 'coverage_gap', 'noisy_label']
"""
from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
import warnings as _warnings

__version__ = "0.1.0"

_HOMES = {
    "CAUSES": "diagnose.core", "REGISTRY": "diagnose.causes", "Columns": "diagnose.schema",
    "DiagnoseError": "diagnose.errors", "Result": "diagnose.result", "load": "diagnose.result",
    "RunConfig": "diagnose.pipeline", "prepare": "diagnose.pipeline", "run": "diagnose.pipeline",
    "load_inputs": "diagnose.validate",
}

__all__ = ["CAUSES", "REGISTRY", "Columns", "DiagnoseError", "Result", "RunConfig", "__version__",
           "load", "load_inputs", "prepare", "run"]


def __getattr__(name: str):
    """Import a public name (or a submodule such as ``diagnose.analyzers``) on first use."""
    if name in _HOMES:
        value = getattr(importlib.import_module(_HOMES[name]), name)
        if name != "REGISTRY":  # REGISTRY follows diagnose.core.register
            globals()[name] = value
        return value
    if not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _KeepWarningFilters:
    """Import ``cleanlab`` without letting it run ``warnings.filterwarnings("ignore")`` for the whole process.

    Whichever diagnose module imports cleanlab first, the user's warning filters survive.
    """

    def find_spec(self, name, path=None, target=None):
        if name != "cleanlab":
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _FilterKeepingLoader(spec.loader)
        return spec


class _FilterKeepingLoader:
    def __init__(self, loader):
        self._loader = loader

    def __getattr__(self, name):  # resources, source and the rest come from the real loader
        return getattr(self._loader, name)

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        with _warnings.catch_warnings():
            self._loader.exec_module(module)


if "cleanlab" not in sys.modules and not any(isinstance(f, _KeepWarningFilters) for f in sys.meta_path):
    sys.meta_path.insert(0, _KeepWarningFilters())
