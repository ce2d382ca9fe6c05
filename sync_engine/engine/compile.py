"""Compile a validated :class:`Profile` against live field metadata into a :class:`SyncSpec`.

This is where the profile's declarative transforms become the planner's plain callables, and where
normalised values are made JSON-stable (dates as ISO text, sets as sorted lists) so that a value
computed now compares equal to the same value read back from a stored shadow.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from sync_engine.connectors.base import EntityScope
from sync_engine.engine.merge import ConflictPolicy, Direction
from sync_engine.engine.spec import Deferred, FieldRule, MatchRule, SyncSpec
from sync_engine.fieldtypes import FieldMeta
from sync_engine.mapping.transforms import (
    LinksResolver,
    TransformContext,
    UnresolvedReference,
    UserDirectory,
    normalise_for_compare,
    to_bitrix24,
    to_jira,
)
from sync_engine.mapping.validate import ValidationIssue, validate_profile
from sync_engine.profiles.schema import FieldMapping, Profile
from sync_engine.sides import Side


class ProfileInvalidError(ValueError):
    """The profile cannot run against these systems; ``issues`` name every field at fault."""

    def __init__(self, profile: str, issues: Sequence[ValidationIssue]) -> None:
        self.profile = profile
        self.issues = list(issues)
        lines = "\n".join(f"  - {issue}" for issue in self.issues)
        super().__init__(f"profile {profile!r} is not valid against the connected systems:\n{lines}")


def canonical(value: Any) -> Any:
    """A JSON-stable form of a normalised value (what the shadow column will give back)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, frozenset | set):
        return sorted(canonical(v) for v in value)
    if isinstance(value, tuple | list):
        return [canonical(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return json.loads(json.dumps(value, default=str))


@dataclass(frozen=True)
class Environment:
    """What transforms need from outside the profile."""

    users: UserDirectory | None = None
    links: LinksResolver | None = None
    jira_tz: tzinfo = UTC
    bitrix24_tz: tzinfo = UTC


def scopes(profile: Profile) -> tuple[EntityScope, EntityScope]:
    j, b = profile.jira, profile.bitrix24
    jira_scope = EntityScope(entity=j.entity, projects=tuple(j.projects), issue_types=tuple(j.issue_types),
                             query=j.jql)
    b24_scope = EntityScope(entity=b.entity, entity_type_id=b.entity_type_id, category_id=b.category_id,
                            filter=dict(b.filter))
    return jira_scope, b24_scope


def _deferring(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn "not resolvable yet" into :class:`Deferred` so only that field waits."""

    def call(*args: Any) -> Any:
        try:
            return fn(*args)
        except UnresolvedReference as exc:
            raise Deferred(str(exc)) from exc

    return call


def _normaliser(meta: FieldMeta | None, tz: tzinfo) -> Callable[[Any], Any]:
    def norm(value: Any) -> Any:
        return canonical(normalise_for_compare(value, meta, tz))

    return norm


def _rule(m: FieldMapping, jmeta: FieldMeta | None, bmeta: FieldMeta | None, env: Environment,
          jira_fields: Mapping[str, FieldMeta], b24_fields: Mapping[str, FieldMeta]) -> FieldRule:
    spec = m.transform

    def ctx(record: Mapping[str, Any], fields: Mapping[str, FieldMeta]) -> TransformContext:
        return TransformContext(jira_meta=jmeta, bitrix24_meta=bmeta, users=env.users, links=env.links,
                                jira_tz=env.jira_tz, bitrix24_tz=env.bitrix24_tz, source_record=record,
                                source_fields=fields)

    sourceless = spec.type in ("template", "constant")
    if sourceless:
        # One-way computed value: the "source" value is the rendered text / the constant itself.
        if m.direction == "to_bitrix24":
            def read_jira(f: Mapping[str, Any]) -> Any:
                return to_bitrix24(spec, None, ctx(f, jira_fields))

            def read_b24(f: Mapping[str, Any]) -> Any:
                return f.get(m.bitrix24_field or "")

            return FieldRule(m.id, m.id, Direction.TO_BITRIX24, None, m.bitrix24_field, _deferring(read_jira), read_b24,
                             norm_jira=_normaliser(bmeta, env.bitrix24_tz),
                             norm_bitrix24=_normaliser(bmeta, env.bitrix24_tz),
                             on_create=m.applies_on("create"), on_update=m.applies_on("update"))

        def read_jira2(f: Mapping[str, Any]) -> Any:
            return f.get(m.jira_field or "")

        def read_b242(f: Mapping[str, Any]) -> Any:
            return to_jira(spec, None, ctx(f, b24_fields))

        return FieldRule(m.id, m.id, Direction.TO_JIRA, m.jira_field, None, read_jira2, _deferring(read_b242),
                         norm_jira=_normaliser(jmeta, env.jira_tz), norm_bitrix24=_normaliser(jmeta, env.jira_tz),
                         on_create=m.applies_on("create"), on_update=m.applies_on("update"))

    jf, bf = m.jira_field or "", m.bitrix24_field or ""

    def write_b24(value: Any, record: Mapping[str, Any]) -> Any:
        return to_bitrix24(spec, value, ctx(record, jira_fields))

    def write_jira(value: Any, record: Mapping[str, Any]) -> Any:
        return to_jira(spec, value, ctx(record, b24_fields))

    label = f"{jmeta.label if jmeta else jf} ↔ {bmeta.label if bmeta else bf}"
    return FieldRule(
        m.id,
        label,
        Direction(m.direction),
        m.jira_field,
        m.bitrix24_field,
        lambda f: f.get(jf),
        lambda f: f.get(bf),
        to_bitrix24=_deferring(write_b24),
        to_jira=_deferring(write_jira),
        norm_jira=_normaliser(jmeta, env.jira_tz),
        norm_bitrix24=_normaliser(bmeta, env.bitrix24_tz),
        on_create=m.applies_on("create"),
        on_update=m.applies_on("update"),
    )


_NORMALISE: dict[str, Callable[[Any], Any]] = {
    "exact": lambda v: "" if v is None else str(v).strip(),
    "casefold": lambda v: " ".join(str(v or "").casefold().split()),
    "digits": lambda v: "".join(ch for ch in str(v or "") if ch.isdigit()),
}


def _match_value(raw: Any) -> Any:
    """The comparable text of a match field (multifield lists give their first VALUE)."""
    if isinstance(raw, list) and raw and isinstance(raw[0], Mapping):
        return raw[0].get("VALUE")
    if isinstance(raw, Mapping):
        return raw.get("value", raw.get("name", raw.get("VALUE")))
    return raw


def compile_profile(
    profile: Profile,
    jira_fields: Sequence[FieldMeta],
    bitrix24_fields: Sequence[FieldMeta],
    env: Environment | None = None,
) -> SyncSpec:
    """Validate against live metadata (refusing on any error) and build the planner's spec."""
    errors = [i for i in validate_profile(profile, jira_fields, bitrix24_fields) if i.severity == "error"]
    if errors:
        raise ProfileInvalidError(profile.name, errors)
    env = env or Environment()
    jmap = {f.id: f for f in jira_fields}
    bmap = {f.id: f for f in bitrix24_fields}
    rules = tuple(
        _rule(m, jmap.get(m.jira_field or ""), bmap.get(m.bitrix24_field or ""), env, jmap, bmap)
        for m in profile.mappings
    )
    # A rule pairing a side's own identity (JIRA key/id, Bitrix24 ID) with a field of the other side
    # names where that identity is stamped: that is what makes creates findable after a crash.
    matches: list[MatchRule] = []
    stamp_jira: str | None = None
    stamp_b24: str | None = None
    for rule in profile.matching.rules if profile.matching.mode != "create_only" else []:
        if rule.bitrix24_field in ("ID", "id") and stamp_jira is None:
            stamp_jira = rule.jira_field
        elif rule.jira_field in ("key", "id") and stamp_b24 is None:
            stamp_b24 = rule.bitrix24_field
        else:
            normalise = _NORMALISE[rule.normalise]
            matches.append(MatchRule(rule.jira_field, rule.bitrix24_field,
                                     lambda v, n=normalise: n(_match_value(v))))  # type: ignore[misc]
    create_in = {
        "both": frozenset({Side.JIRA, Side.BITRIX24}),
        "jira": frozenset({Side.JIRA}),
        "bitrix24": frozenset({Side.BITRIX24}),
        "none": frozenset(),
    }[profile.create_in]
    if profile.matching.mode == "match_only":
        create_in = frozenset()
    constants: dict[Side, dict[str, Any]] = {Side.JIRA: {}, Side.BITRIX24: {}}
    if profile.jira.entity == "issue" and profile.jira.projects:
        constants[Side.JIRA]["project"] = {"key": profile.jira.projects[0]}
        if profile.jira.issue_types:
            constants[Side.JIRA]["issuetype"] = {"name": profile.jira.issue_types[0]}
    if profile.bitrix24.category_id is not None:
        key = "categoryId" if profile.bitrix24.entity == "item" else "CATEGORY_ID"
        constants[Side.BITRIX24][key] = profile.bitrix24.category_id
    marks: dict[Side, tuple[str, Any]] = {}
    if profile.deletion.mark_in_jira is not None:
        marks[Side.JIRA] = (profile.deletion.mark_in_jira.field, profile.deletion.mark_in_jira.value)
    if profile.deletion.mark_in_bitrix24 is not None:
        marks[Side.BITRIX24] = (profile.deletion.mark_in_bitrix24.field, profile.deletion.mark_in_bitrix24.value)
    return SyncSpec(
        profile=profile.name,
        deletion=profile.deletion.policy,
        deletion_marks=marks,
        rules=rules,
        create_in=create_in,
        policy=ConflictPolicy(profile.conflict),
        matches=tuple(matches),
        match_only=profile.matching.mode == "match_only",
        stamp_jira_field=stamp_jira,
        stamp_bitrix24_field=stamp_b24,
        constants=constants,
    )
