"""``b24sync run --all`` order: a profile runs after the profiles its related_entity mappings read."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync_engine.demo import demo_profiles
from sync_engine.profiles.schema import Profile
from sync_engine.workspace import Workspace, WorkspaceError


def _ws(tmp_path: Path, profiles: list[Profile]) -> Workspace:
    ws = Workspace.open(f"sqlite:///{tmp_path / 'order.sqlite'}")
    ws.save_profiles(profiles)
    return ws


def test_related_profiles_run_first(tmp_path: Path) -> None:
    ws = _ws(tmp_path, demo_profiles())
    try:
        order = ws.run_order()
        assert sorted(order) == sorted(p.name for p in demo_profiles())
        assert order.index("companies") < order.index("purchase-requests")
        assert ws.run_order(["purchase-requests"]) == ["purchase-requests"]
    finally:
        ws.close()


def test_a_cycle_is_named(tmp_path: Path) -> None:
    def related(name: str, other: str) -> Profile:
        return Profile.model_validate({
            "name": name, "title": name, "jira": {"projects": ["CRM"]}, "bitrix24": {"entity": "company"},
            "mappings": [{"id": "x", "jira_field": "customfield_1", "bitrix24_field": "COMPANY_ID",
                          "transform": {"type": "related_entity", "profile": other, "jira_attribute": "summary"}}]})

    ws = _ws(tmp_path, [related("a-side", "b-side"), related("b-side", "a-side")])
    try:
        with pytest.raises(WorkspaceError, match="cycle: a-side → b-side → a-side"):
            ws.run_order()
    finally:
        ws.close()
