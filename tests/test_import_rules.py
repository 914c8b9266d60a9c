"""Import rules of the layers: causes stay apart, and the core reaches them only through the registry.

* a cause package (``diagnose/causes/<cause>/``) never imports another cause package;
* the core (pipeline, attribution, result, report, dashboard, every other module of ``diagnose``)
  never imports a cause package or the compatibility package ``diagnose.analyzers``: it asks
  :func:`diagnose.core.registered`. Exempt: ``diagnose/causes/__init__.py`` (registers the built-in
  causes) and the compatibility re-exports ``diagnose/analyzers/`` and ``diagnose/judge.py``.
* the views (``dashboard/``, ``diagnose/report/``) do not even name a cause: no string literal
  (docstrings included) holds a cause's name; a cause's words, tables and page live in its package.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CAUSES_DIR = ROOT / "diagnose" / "causes"
CAUSE_NAMES = sorted(p.name for p in CAUSES_DIR.iterdir() if (p / "__init__.py").exists())
EXEMPT = {CAUSES_DIR / "__init__.py", ROOT / "diagnose" / "judge.py", *(ROOT / "diagnose" / "analyzers").rglob("*.py")}


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports (absolute names; ``from a import b`` gives ``a`` and ``a.b``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out.update(f"{node.module}.{alias.name}" for alias in node.names)
    return out


def cause_of(module: str) -> str | None:
    """The cause package a module name belongs to (``diagnose.causes.<cause>...``), if any."""
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[:2] == ["diagnose", "causes"] and parts[2] in CAUSE_NAMES else None


def test_there_are_cause_packages():
    assert len(CAUSE_NAMES) >= 4


@pytest.mark.parametrize("cause", CAUSE_NAMES)
def test_a_cause_imports_no_other_cause(cause):
    bad = {f"{path.relative_to(ROOT)}: {module}" for path in (CAUSES_DIR / cause).rglob("*.py")
           for module in imported_modules(path) if cause_of(module) not in (None, cause)}
    assert not bad, f"cause {cause} imports another cause: {sorted(bad)}"


def core_files() -> list[Path]:
    files = [*(ROOT / "diagnose").rglob("*.py"), *(ROOT / "dashboard").rglob("*.py")]
    return [p for p in files if CAUSES_DIR not in p.parents and p not in EXEMPT]


def test_the_core_names_no_cause_package():
    bad = {f"{path.relative_to(ROOT)}: {module}" for path in core_files() for module in imported_modules(path)
           if module in ("diagnose.causes", "diagnose.analyzers") or cause_of(module)
           or module.startswith("diagnose.analyzers.")}
    assert not bad, f"the core imports cause packages by name (use diagnose.core.registered()): {sorted(bad)}"


def test_the_rule_sees_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from diagnose.causes.noisy_label import NoisyLabel\nimport diagnose.causes.coverage_gap.regions\n")
    assert {cause_of(m) for m in imported_modules(bad)} >= {"noisy_label", "coverage_gap"}


VIEWS = ("dashboard", "diagnose/report")


def cause_literals(path: Path) -> set[str]:
    """``line: text`` of every string literal in ``path`` that holds a cause name (f-string parts too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return {f"{node.lineno}: {node.value[:60]!r}" for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and any(name in node.value for name in CAUSE_NAMES)}


@pytest.mark.parametrize("folder", VIEWS)
def test_the_views_name_no_cause(folder):
    files = sorted((ROOT / folder).rglob("*.py"))
    assert files, f"no Python files under {folder}"
    named = {f"{path.relative_to(ROOT)}:{hit}" for path in files for hit in cause_literals(path)}
    assert not named, f"{folder} names causes (move it into diagnose/causes/<cause>/): {sorted(named)}"
    imports = {f"{path.relative_to(ROOT)}: {module}" for path in files for module in imported_modules(path)
               if module == "diagnose.causes" or cause_of(module)}
    assert not imports, f"{folder} imports cause packages: {sorted(imports)}"


def test_the_literal_rule_sees_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('"""Shows noisy_label rows."""\ncol = f"score_{1}_coverage_gap"\nok = "labels"\n')
    assert len(cause_literals(bad)) == 2
