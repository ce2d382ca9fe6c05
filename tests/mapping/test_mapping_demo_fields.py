"""Every demo profile validates against the fields the twins are expected to offer."""

from __future__ import annotations

import pytest
from mapping_demo_fields import DEMO, FIELDS

from sync_engine.mapping.validate import errors_only, validate_profile
from sync_engine.profiles.yaml_io import load_profiles


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_demo_profile_has_no_errors_against_twin_fields(name: str) -> None:
    [profile] = load_profiles(DEMO / f"{name}.yaml")
    jira, b24 = FIELDS[name]
    issues = validate_profile(profile, jira, b24, known_profiles=FIELDS)
    assert errors_only(issues) == [], [str(i) for i in issues]
