"""YAML round trips, and errors that name the file, the path inside it and the line."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync_engine.profiles.schema import (
    Bitrix24Side,
    Condition,
    ConstantTransform,
    CopyTransform,
    DateTransform,
    Deletion,
    DeletionMark,
    EventTrigger,
    FieldMapping,
    JiraSide,
    ManualTrigger,
    Matching,
    MatchRule,
    MoneyTransform,
    MultiValueMapTransform,
    Profile,
    RelatedEntityTransform,
    ScheduleTrigger,
    TemplateTransform,
    UserByEmailTransform,
    ValueMapPair,
    ValueMapTransform,
)
from sync_engine.profiles.yaml_io import (
    ProfileFileErrors,
    dump_profiles,
    export_profiles,
    format_path,
    load_profiles,
    loads_profiles,
)

BROKEN_PAIR = """\
version: 1
profiles:
- name: purchase-requests
  title: Заявки
  jira: {projects: [PROC]}
  bitrix24: {entity: deal}
  mappings:
  - id: title
    jira_field: summary
    bitrix24_field: TITLE
  - id: a
    jira_field: customfield_10104
    bitrix24_field: CURRENCY_ID
  - id: b
    jira_field: customfield_10105
    bitrix24_field: UF_CRM_DEAL_KIND
  - id: stage
    jira_field: status
    bitrix24_field: STAGE_ID
    transform:
      type: value_map
      pairs:
      - {jira: Открыт, bitrix24: NEW}
      - {bitrix24: WON}
"""


def test_schema_error_names_file_path_and_line(tmp_path: Path) -> None:
    path = tmp_path / "profiles.yaml"
    path.write_text(BROKEN_PAIR, encoding="utf-8")
    with pytest.raises(ProfileFileErrors) as info:
        load_profiles(path)
    [err] = info.value.errors
    assert err.file == str(path)
    assert err.path == "profiles[0].mappings[3].transform.pairs[1].jira"
    assert err.line == 24  # the line of the pair that lacks "jira"
    assert "Field required" in err.message
    assert str(err).startswith(f"{path}:24:")


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("version: 1\nprofiles:\n- name: x\n  title: [unclosed\n  jira: {}\n", encoding="utf-8")
    with pytest.raises(ProfileFileErrors) as info:
        load_profiles(path)
    [err] = info.value.errors
    assert err.file == str(path)
    assert err.line is not None and err.line >= 4
    assert "YAML syntax error" in err.message


def test_unknown_key_and_bad_type_reported_together() -> None:
    text = BROKEN_PAIR.replace("      - {bitrix24: WON}", "      - {jira: Выполнен, bitrix24: WON}").replace(
        "  - id: a\n", "  - id: a\n    colour: red\n").replace("bitrix24: {entity: deal}", "bitrix24: {entity: lead}")
    with pytest.raises(ProfileFileErrors) as info:
        loads_profiles(text, "f.yaml")
    by_path = {e.path: e for e in info.value.errors}
    assert "profiles[0].mappings[1].colour" in by_path
    assert by_path["profiles[0].mappings[1].colour"].message == "unknown key 'colour'"
    assert by_path["profiles[0].mappings[1].colour"].line == 12
    assert "profiles[0].bitrix24.entity" in by_path
    assert by_path["profiles[0].bitrix24.entity"].line == 6


def test_unknown_transform_type_path_has_no_union_tag() -> None:
    text = BROKEN_PAIR.replace("      - {bitrix24: WON}", "      - {jira: Выполнен, bitrix24: WON}").replace(
        "type: value_map", "type: value_mapping")
    with pytest.raises(ProfileFileErrors) as info:
        loads_profiles(text, "f.yaml")
    [err] = info.value.errors
    assert err.path == "profiles[0].mappings[3].transform"
    assert "'value_mapping'" in err.message and "'value_map'" in err.message
    assert err.line == 21  # the "type:" line, where the transform mapping starts


def test_model_rule_error_points_at_the_model() -> None:
    text = BROKEN_PAIR.replace("      - {bitrix24: WON}", "      - {jira: Выполнен, bitrix24: WON}").replace(
        "    transform:\n      type: value_map",
        "    transform:\n      type: money\n      x_: 1\n      type2: value_map")
    with pytest.raises(ProfileFileErrors) as info:
        loads_profiles(text, "f.yaml")
    paths = [e.path for e in info.value.errors]
    assert all(p.startswith("profiles[0].mappings[3].transform") for p in paths)
    assert not any(".money" in p for p in paths)


def test_duplicate_keys_are_errors() -> None:
    text = ("version: 1\nprofiles:\n- name: a\n  name: b\n  title: x\n"
            "  jira: {projects: [P]}\n  bitrix24: {entity: deal}\n")
    with pytest.raises(ProfileFileErrors) as info:
        loads_profiles(text, "dup.yaml")
    [err] = info.value.errors
    assert err.path == "profiles[0].name" and err.line == 4 and "duplicate key" in err.message


def test_duplicate_profile_names_refused() -> None:
    one = "- name: a\n  title: x\n  jira: {projects: [P]}\n  bitrix24: {entity: deal}\n"
    with pytest.raises(ProfileFileErrors, match="used twice"):
        loads_profiles("version: 1\nprofiles:\n" + one + one, "f.yaml")


@pytest.mark.parametrize(("text", "needle"), [
    ("", "empty"),
    ("- 1\n- 2\n", "top level must be a mapping"),
    ("version: 2\nprofiles: []\n", "version"),
])
def test_bad_top_level(text: str, needle: str) -> None:
    with pytest.raises(ProfileFileErrors) as info:
        loads_profiles(text, "top.yaml")
    assert needle in str(info.value)
    assert str(info.value).startswith("top.yaml")


def test_alias_bomb_and_deep_nesting_fail_cleanly() -> None:
    lines = ["version: 1", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    lines.append("profiles: []")
    with pytest.raises(ProfileFileErrors, match="unknown key 'a0'"):
        loads_profiles("\n".join(lines) + "\n", "bomb.yaml")
    with pytest.raises(ProfileFileErrors, match="nested too deeply"):
        loads_profiles("profiles: " + "[" * 1200 + "]" * 1200 + "\n", "bomb2.yaml")


def test_missing_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(ProfileFileErrors, match="file not found"):
        load_profiles(tmp_path / "nope.yaml")
    bad = tmp_path / "cp1251.yaml"
    bad.write_bytes("title: Заявки".encode("cp1251"))
    with pytest.raises(ProfileFileErrors, match="not UTF-8"):
        load_profiles(bad)


def test_format_path() -> None:
    assert format_path(("profiles", 0, "mappings", 3, "transform", "pairs", 1, "jira")) == \
        "profiles[0].mappings[3].transform.pairs[1].jira"
    assert format_path(()) == ""


def test_dump_is_readable_and_keeps_cyrillic(tmp_path: Path) -> None:
    p = Profile(
        name="purchase-requests", title="Заявки на закупку",
        jira=JiraSide(projects=["PROC"]), bitrix24=Bitrix24Side(entity="deal"),
        mappings=[FieldMapping(id="title", jira_field="summary", bitrix24_field="TITLE")],
    )
    text = dump_profiles([p])
    assert "Заявки на закупку" in text and "\\u" not in text
    assert "transform" not in text  # defaults are left out
    out = tmp_path / "sub" / "out.yaml"
    export_profiles([p], out)
    assert load_profiles(out) == [p]
    assert out.stat().st_mode & 0o777 != 0o600


# --------------------------------------------------------------------------------------- round trip

_slug = st.from_regex(r"[a-z][a-z0-9-]{0,15}", fullmatch=True)
_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=20)
_field = st.sampled_from(["summary", "customfield_10100", "customfield_10101", "status", "TITLE", "STAGE_ID",
                          "UF_CRM_DISTRIBUTOR", "OPPORTUNITY", "да", "Y", "N", "null", "1e3", "on"])
_transform = st.one_of(
    st.builds(CopyTransform),
    st.builds(UserByEmailTransform),
    st.builds(MoneyTransform, currency=st.sampled_from(["RUB", "USD"])),
    st.builds(MoneyTransform, currency_field=st.just("customfield_10104")),
    st.builds(RelatedEntityTransform, profile=st.just("companies"),
              jira_attribute=st.sampled_from(["key", "summary"])),
    st.builds(MultiValueMapTransform,
              pairs=st.lists(st.builds(ValueMapPair, jira=_text, bitrix24=_text), min_size=1, max_size=3)),
    st.builds(DateTransform, jira_tz=st.sampled_from([None, "Europe/Moscow", "UTC"])),
    st.builds(ValueMapTransform,
              pairs=st.lists(st.builds(ValueMapPair, jira=_text, bitrix24=_text), min_size=1, max_size=3),
              default_jira=st.none() | _text, auto_suggested=st.booleans()),
)


@st.composite
def _mappings(draw: st.DrawFn) -> list[FieldMapping]:
    out = []
    for i in range(draw(st.integers(0, 4))):
        out.append(FieldMapping(id=f"m{i}", jira_field=draw(_field), bitrix24_field=draw(_field),
                                direction=draw(st.sampled_from(["to_bitrix24", "to_jira", "both"])),
                                apply_on=draw(st.sampled_from(["create", "update", "both"])),
                                transform=draw(_transform)))
    if draw(st.booleans()):
        out.append(FieldMapping(id="const", bitrix24_field="TYPE_ID", direction="to_bitrix24",
                                transform=ConstantTransform(value=draw(st.one_of(
                                    st.none(), st.booleans(), st.integers(), _text,
                                    st.floats(allow_nan=False, allow_infinity=False))))))
    if draw(st.booleans()):
        out.append(FieldMapping(id="tpl", jira_field="summary", direction="to_jira",
                                transform=TemplateTransform(template="{TITLE} — {{x}}")))
    return out


_profiles = st.builds(
    Profile,
    name=_slug,
    title=_text,
    description=st.just("") | _text,
    enabled=st.booleans(),
    jira=st.builds(JiraSide, projects=st.lists(st.sampled_from(["PROC", "CAT"]), min_size=1, max_size=2),
                   jql=st.just("") | _text),
    bitrix24=st.builds(Bitrix24Side, entity=st.just("deal"), category_id=st.none() | st.integers(0, 9),
                       filter=st.dictionaries(_text, st.one_of(_text, st.integers()), max_size=2)),
    create_in=st.sampled_from(["jira", "bitrix24", "both", "none"]),
    matching=st.builds(Matching, mode=st.just("match_only"),
                       rules=st.lists(st.builds(MatchRule, jira_field=_field, bitrix24_field=_field,
                                                normalise=st.sampled_from(["exact", "casefold", "digits"])),
                                      min_size=1, max_size=2)),
    deletion=st.one_of(
        st.builds(Deletion, policy=st.sampled_from(["ignore", "mirror"])),
        st.builds(Deletion, policy=st.just("mark"),
                  mark_in_bitrix24=st.builds(DeletionMark, field=_field,
                                             value=st.one_of(st.none(), st.booleans(), _text)))),
    conflict=st.sampled_from(["prefer_jira", "prefer_bitrix24", "newest_wins", "manual"]),
    mappings=_mappings(),
    triggers=st.lists(st.one_of(
        st.builds(ManualTrigger),
        st.builds(ScheduleTrigger, interval_seconds=st.integers(10, 10**6)),
        st.builds(ScheduleTrigger, cron=st.sampled_from(["*/5 * * * *", "0 9 * * 1-5"])),
        st.builds(EventTrigger, system=st.sampled_from(["jira", "bitrix24"]),
                  event=st.sampled_from(["created", "updated", "stage_changed"]),
                  conditions=st.lists(st.one_of(
                      st.builds(Condition, field=_field, op=st.sampled_from(["eq", "changed_to"]),
                                value=st.one_of(_text, st.integers(), st.booleans())),
                      st.builds(Condition, field=_field, op=st.just("in"), value=st.lists(_text, max_size=3)),
                      st.builds(Condition, field=_field, op=st.sampled_from(["changed", "empty"])),
                  ), max_size=2)),
    ), max_size=3),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_profiles, max_size=3, unique_by=lambda p: p.name))
def test_dump_load_round_trip(profiles: list[Profile]) -> None:
    assert loads_profiles(dump_profiles(profiles), "gen.yaml") == profiles
