"""The shipped demo profiles load, and the published JSON Schema matches the models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sync_engine.profiles.schema import RelatedEntityTransform, profile_json_schema
from sync_engine.profiles.yaml_io import SCHEMA_PATH, json_schema_text, load_profiles, write_json_schema
from sync_engine.sandbox.seed_catalog import DEAL_STAGES, PURCHASE_STATUSES

DEMO = Path(__file__).resolve().parents[2] / "resources" / "profiles" / "demo"
DEMO_FILES = sorted(DEMO.glob("*.yaml"))


def test_demo_files_exist() -> None:
    names = {p.name for p in DEMO_FILES}
    assert {"purchase-requests.yaml", "products.yaml", "contacts.yaml", "projects.yaml"} <= names


@pytest.mark.parametrize("path", DEMO_FILES, ids=lambda p: p.name)
def test_demo_file_validates(path: Path) -> None:
    profiles = load_profiles(path)
    assert [p.name for p in profiles] == [path.stem]


def test_demo_related_entities_point_at_demo_profiles() -> None:
    names = {p.name for f in DEMO_FILES for p in load_profiles(f)}
    for f in DEMO_FILES:
        for p in load_profiles(f):
            for m in p.mappings:
                if isinstance(m.transform, RelatedEntityTransform):
                    assert m.transform.profile in names, (f.name, m.id)


def test_purchase_stage_map_covers_the_seeded_workflow() -> None:
    [profile] = load_profiles(DEMO / "purchase-requests.yaml")
    stage = next(m for m in profile.mappings if m.id == "stage")
    assert stage.transform.type == "value_map"
    pairs = stage.transform.pairs
    assert {p.jira for p in pairs} == {name for name, _ in PURCHASE_STATUSES}
    assert {p.bitrix24 for p in pairs} == {sid for sid, _, _ in DEAL_STAGES}


def test_projects_profile_targets_the_projects_smart_process() -> None:
    [profile] = load_profiles(DEMO / "projects.yaml")
    assert profile.jira.entity == "project"
    assert (profile.bitrix24.entity, profile.bitrix24.entity_type_id) == ("item", 1032)
    assert profile.create_in == "bitrix24"


def test_committed_json_schema_is_current() -> None:
    committed = SCHEMA_PATH.read_text(encoding="utf-8")
    assert committed == json_schema_text(), "run sync_engine.profiles.yaml_io.write_json_schema()"


def test_json_schema_describes_the_document(tmp_path: Path) -> None:
    schema = profile_json_schema()
    assert schema["$schema"].endswith("2020-12/schema")
    assert set(schema["properties"]) == {"version", "profiles"}
    assert schema["additionalProperties"] is False
    defs = schema["$defs"]
    assert defs["FieldMapping"]["properties"]["transform"]["discriminator"]["propertyName"] == "type"
    assert "value_map" in defs["FieldMapping"]["properties"]["transform"]["discriminator"]["mapping"]
    out = write_json_schema(tmp_path / "s.json")
    assert json.loads(out.read_text(encoding="utf-8")) == schema
