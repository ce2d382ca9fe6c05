"""The package table of docs/architecture.md is a rule the code keeps (and the check does catch a break)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from architecture_rules import check, parse_rules

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "architecture.md"


def test_the_code_keeps_the_import_rules_of_the_architecture_document() -> None:
    rules = parse_rules(DOC.read_text(encoding="utf-8"))
    assert len(rules.rows) >= 25 and "sync_engine/sides.py" in rules.foundation
    report = check(ROOT, rules)
    assert report.violations == []
    assert report.row_cycles == [], "packages import each other in a cycle"
    assert report.module_cycles == [], "modules import each other in a cycle when imported"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the project's packages, to break on purpose."""
    for package in ("sync_engine", "models", "studio", "widgets", "resources"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "*.qm"))
    return tmp_path


def _add(tree: Path, rel: str, text: str) -> None:
    path = tree / rel
    path.write_text(path.read_text(encoding="utf-8") + "\n" + text + "\n", encoding="utf-8")


def test_qt_below_the_studio_is_caught(tree: Path) -> None:
    _add(tree, "sync_engine/engine/planner.py", "from PySide6.QtCore import QObject  # noqa")
    report = check(tree, parse_rules(DOC.read_text(encoding="utf-8")))
    assert any("sync_engine/engine/planner.py" in v and "Qt" in v for v in report.violations), report.violations


def test_an_import_the_table_does_not_allow_is_caught(tree: Path) -> None:
    _add(tree, "sync_engine/mapping/values.py",
         "def _x() -> None:\n    from sync_engine.workspace import Workspace  # noqa")
    report = check(tree, parse_rules(DOC.read_text(encoding="utf-8")))
    assert any("sync_engine/mapping/values.py" in v and "sync_engine/workspace.py" in v for v in report.violations)


def test_a_cycle_between_packages_is_caught(tree: Path) -> None:
    _add(tree, "sync_engine/profiles/schema.py", "if False:\n    import sync_engine.mapping.values  # noqa")
    text = DOC.read_text(encoding="utf-8").replace(
        "| `sync_engine/profiles/` | ", "| `sync_engine/profiles/` | (allowed here, to make the cycle) ")
    rules = parse_rules(text)
    profiles = next(r for r in rules.rows if r.path == "sync_engine/profiles/")
    rules.rows[rules.rows.index(profiles)] = type(profiles)(profiles.path, frozenset({"sync_engine/mapping/"}), False)
    report = check(tree, rules)
    assert ["sync_engine/mapping/", "sync_engine/profiles/"] in report.row_cycles


def test_a_file_no_row_covers_is_caught(tree: Path) -> None:
    (tree / "sync_engine" / "stray.py").write_text('"""A module nobody put in the table."""\n', encoding="utf-8")
    report = check(tree, parse_rules(DOC.read_text(encoding="utf-8")))
    assert any(v.startswith("sync_engine/stray.py: no row") for v in report.violations)


def test_a_cycle_at_import_time_is_caught(tree: Path) -> None:
    _add(tree, "sync_engine/engine/plan.py", "import sync_engine.engine.runner  # noqa")
    report = check(tree, parse_rules(DOC.read_text(encoding="utf-8")))
    assert any("sync_engine/engine/plan.py" in c for c in report.module_cycles), report.module_cycles
