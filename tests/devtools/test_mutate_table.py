"""The table ./dev mutate reads: one entry per module, refused with a reason when wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from devtools.mutate import ROOT, TABLE, TableError, load_table, mutmut_config, score_line


def test_the_projects_table_names_existing_modules_and_tests() -> None:
    table = load_table()
    assert table.threshold == 85.0
    assert [t.name for t in table.targets][:4] == ["sync_engine.engine.merge", "sync_engine.engine.planner",
                                                   "sync_engine.mapping.transforms", "sync_engine.triggers"]
    assert all((ROOT / t.path).is_file() and t.tests for t in table.targets)


def test_each_module_is_mutated_alone_against_its_own_tests() -> None:
    target = load_table().targets[0]
    config = mutmut_config(target)
    assert "only_mutate = sync_engine/engine/merge.py" in config
    assert "    tests/engine/test_merge.py" in config and "test_planner" not in config


@pytest.mark.parametrize(("text", "problem"), [
    ("threshold = 85\n", "no [[module]] entries"),
    ("threshold = 120\n[[module]]\nname = 'x'\ntests = ['t']\n", "threshold must be a number of per cent"),
    ("[[module]]\nname = 'sync_engine.nothing'\ntests = ['tests/engine/test_merge.py']\n",
     "no such file sync_engine/nothing.py"),
    ("[[module]]\nname = 'sync_engine.triggers'\ntests = ['tests/nothing.py']\n", "no such test file tests/nothing.py"),
    ("[[module]]\nname = 'sync_engine.triggers'\ntests = []\n", "'tests' must be a non-empty list"),
    ("[[module]]\nname = 'sync_engine.triggers'\ntests = ['tests/triggers']\n" * 2, "listed twice"),
    ("[[module]\n", "mutation.toml"),
])
def test_a_wrong_table_is_refused_naming_the_problem(tmp_path: Path, text: str, problem: str) -> None:
    table = tmp_path / TABLE.name
    table.write_text(text, "utf-8")
    with pytest.raises(TableError, match=problem.replace("[", r"\[")):
        load_table(table, ROOT)


def test_the_score_line() -> None:
    assert score_line("sync_engine.triggers", 239, 243) == "mutation score sync_engine.triggers: 239/243 = 98.4 %"
    assert score_line("total", 0, 0) == "mutation score total: 0/0 = 100.0 %"
