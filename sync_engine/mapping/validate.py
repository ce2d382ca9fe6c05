"""Checking a profile against the live field metadata of both systems.

The schema already guarantees the profile's shape; this module answers whether it can work on
these particular portals: the fields exist, the types fit the chosen transform, nothing writes
into a read-only field, every required field of a side we create records in gets a value, and
value maps only name options that exist. Every issue names the fields involved, so the studio can
point at the mapping and a CLI user knows what to fix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from sync_engine.fieldtypes import FieldMeta, FieldType
from sync_engine.mapping.values import resolve_option
from sync_engine.profiles.schema import (
    ConstantTransform,
    EventTrigger,
    FieldMapping,
    MoneyTransform,
    MultiValueMapTransform,
    Profile,
    RelatedEntityTransform,
    TemplateTransform,
    ValueMapTransform,
)
from sync_engine.sides import SIDES, Side
from sync_engine.text_template import placeholders

Severity = Literal["error", "warning"]

# Fields the engine fills itself when creating (from the profile's scope), so no mapping must cover them.
IMPLIED_ON_CREATE: Mapping[Side, frozenset[str]] = MappingProxyType({
    Side.JIRA: frozenset({"project", "issuetype", "reporter"}),
    Side.BITRIX24: frozenset({"ID", "id", "CATEGORY_ID", "categoryId", "entityTypeId", "ENTITY_TYPE_ID"}),
})
SIDE_NAME: Mapping[Side, str] = MappingProxyType({s: s.title for s in SIDES})

_NUMERIC = frozenset({FieldType.NUMBER, FieldType.MONEY})
_TEMPORAL = frozenset({FieldType.DATE, FieldType.DATETIME})
_TO_TEXT = frozenset({
    FieldType.TEXT, FieldType.NUMBER, FieldType.DATE, FieldType.DATETIME, FieldType.BOOL,
    FieldType.ENUM, FieldType.MULTI_ENUM, FieldType.USER,
})
TRANSFORM_KINDS = (
    "copy", "value_map", "multi_value_map", "user_by_email", "date", "money", "related_entity",
    "template", "constant",
)


@dataclass(frozen=True, slots=True)
class ValidationIssue:
    severity: Severity
    code: str
    message: str
    path: str = ""
    fields: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.severity}: {self.path + ': ' if self.path else ''}{self.message}"


def describe(meta: FieldMeta) -> str:
    return f"{meta.id} ({meta.label}, {meta.type.value})" if meta.label else f"{meta.id} ({meta.type.value})"


def _is_uf_money(meta: FieldMeta) -> bool:
    return meta.type is FieldType.MONEY and meta.system_type == "money"


def transform_compatible(kind: str, source: FieldMeta | None, target: FieldMeta) -> tuple[bool, str]:
    """Can transform ``kind`` write ``source``'s values into ``target``? ``source`` is None for
    template/constant. The reason explains a refusal in terms a user can act on."""
    s = source.type if source is not None else None
    t = target.type
    if t is FieldType.UNKNOWN or s is FieldType.UNKNOWN:
        which = target if t is FieldType.UNKNOWN else source
        assert which is not None
        return False, f"the type of {which.id} is not supported ({which.system_type or 'unknown'})"
    if kind == "constant":
        return True, "writes a fixed value"
    if kind == "template":
        return (t is FieldType.TEXT, "a template writes text" if t is FieldType.TEXT
                else f"a template writes text, but {target.id} is {t.value}")
    if source is None or s is None:
        return False, f"a {kind} mapping needs a source field"
    if kind == "copy":
        if _is_uf_money(source) or _is_uf_money(target):
            return False, "money with a currency needs a money transform"
        if s is FieldType.ENUM and t is FieldType.ENUM:
            return False, "options differ between the systems: use a value map"
        if s in (FieldType.ENUM, FieldType.MULTI_ENUM) and t is FieldType.MULTI_ENUM:
            return False, "options differ between the systems: use a multi-value map"
        if s is FieldType.USER and t is FieldType.USER:
            return False, "users differ between the systems: use user by e-mail"
        if FieldType.REFERENCE in (s, t):
            return False, "references need a related-entity transform"
        if s is t:
            return True, "same type"
        if s in _NUMERIC and t in _NUMERIC:
            return True, "number to number"
        if s in _TEMPORAL and t in _TEMPORAL:
            return True, "date/time converted" + (" (the time of day is dropped)" if t is FieldType.DATE else "")
        if t is FieldType.TEXT and s in _TO_TEXT:
            return True, f"{s.value} written as text"
        if t is FieldType.ENUM and s is FieldType.TEXT:
            return False, "free text must be mapped to options: use a value map"
        return False, f"cannot copy {s.value} into {t.value}"
    if kind == "value_map":
        ok = FieldType.ENUM in (s, t) and s in (FieldType.ENUM, FieldType.TEXT, FieldType.BOOL) and t in (
            FieldType.ENUM, FieldType.TEXT, FieldType.BOOL)
        return ok, "maps values pair by pair" if ok else f"a value map needs an enum side, not {s.value} → {t.value}"
    if kind == "multi_value_map":
        ok = t is FieldType.MULTI_ENUM and s in (FieldType.MULTI_ENUM, FieldType.ENUM)
        return ok, "maps each selected value" if ok else (
            f"a multi-value map needs multi-select fields, not {s.value} → {t.value}")
    if kind == "user_by_email":
        ok = s is FieldType.USER and t is FieldType.USER
        return ok, "joins users by e-mail" if ok else f"user by e-mail needs user fields, not {s.value} → {t.value}"
    if kind == "date":
        ok = s in _TEMPORAL and t in _TEMPORAL
        return ok, "converts dates and time zones" if ok else f"a date transform needs dates, not {s.value} → {t.value}"
    if kind == "money":
        ok = s in _NUMERIC and t in _NUMERIC
        return ok, "amount with currency" if ok else f"a money transform needs numbers, not {s.value} → {t.value}"
    if kind == "related_entity":
        ok = FieldType.REFERENCE in (s, t) and s in (FieldType.REFERENCE, FieldType.TEXT) and t in (
            FieldType.REFERENCE, FieldType.TEXT)
        return ok, "follows the links of another profile" if ok else (
            f"a related entity needs a reference field, not {s.value} → {t.value}")
    return False, f"unknown transform {kind!r}"


def compatible(source: FieldMeta, target: FieldMeta) -> tuple[bool, str]:
    """Can ``source`` feed ``target`` with some transform? The reason names the transform to use."""
    if target.read_only:
        return False, f"{target.id} is read-only"
    refusals: list[str] = []
    for kind in TRANSFORM_KINDS[:7]:
        ok, reason = transform_compatible(kind, source, target)
        if ok:
            return True, f"{kind}: {reason}"
        if kind == "copy":
            refusals.append(reason)
    return False, refusals[0] if refusals else f"{source.type.value} does not fit {target.type.value}"


# ---------------------------------------------------------------------------------------- profile


class _Checker:
    def __init__(self, profile: Profile, jira_fields: Sequence[FieldMeta], b24_fields: Sequence[FieldMeta],
                 known_profiles: Iterable[str] | None) -> None:
        self.profile = profile
        self.fields: dict[Side, dict[str, FieldMeta]] = {
            Side.JIRA: {f.id: f for f in jira_fields},
            Side.BITRIX24: {f.id: f for f in b24_fields},
        }
        self.known_profiles = None if known_profiles is None else set(known_profiles)
        self.issues: list[ValidationIssue] = []

    def add(self, severity: Severity, code: str, message: str, path: str, *fields: str) -> None:
        self.issues.append(ValidationIssue(severity, code, message, path, tuple(fields)))

    def lookup(self, side: Side, field_id: str, path: str, role: str = "field") -> FieldMeta | None:
        meta = self.fields[side].get(field_id)
        if meta is None:
            self.add("error", "unknown_field",
                     f"{SIDE_NAME[side]} {role} {field_id!r} does not exist", path, field_id)
        return meta

    def run(self) -> list[ValidationIssue]:
        for i, mapping in enumerate(self.profile.mappings):
            self.mapping(i, mapping)
        self.duplicates()
        self.required()
        self.matching()
        self.deletion()
        self.triggers()
        return self.issues

    # -- one mapping
    def mapping(self, index: int, m: FieldMapping) -> None:
        path = f"mappings[{index}]"
        metas: dict[Side, FieldMeta | None] = {}
        missing = False
        pairs: tuple[tuple[Side, str | None], ...] = ((Side.JIRA, m.jira_field), (Side.BITRIX24, m.bitrix24_field))
        for side, fid in pairs:
            if fid is not None:
                metas[side] = self.lookup(side, fid, path)
                missing = missing or metas[side] is None
            else:
                metas[side] = None
        if missing:
            return
        first = True
        for target in SIDES:
            if not m.writes_to(target):
                continue
            source = target.other
            tmeta = metas[target]
            assert tmeta is not None  # the schema requires the target field
            smeta = metas[source]
            if tmeta.read_only:
                self.add("error", "read_only_target",
                         f"{SIDE_NAME[target]} field {describe(tmeta)} is read-only, but the mapping writes to it "
                         f"(direction {m.direction})", path, tmeta.id)
            ok, reason = transform_compatible(m.transform.type, smeta, tmeta)
            if not ok:
                src = describe(smeta) if smeta else "(no source)"
                self.add("error", "type_mismatch",
                         f"{m.transform.type} cannot write {SIDE_NAME[source]} {src} into "
                         f"{SIDE_NAME[target]} {describe(tmeta)}: {reason}",
                         path, *(f.id for f in (smeta, tmeta) if f))
            self.transform_details(path, m, source, smeta, tmeta, first)
            first = False

    def transform_details(self, path: str, m: FieldMapping, source: Side, smeta: FieldMeta | None,
                          tmeta: FieldMeta, first: bool) -> None:
        """Checks of the transform's settings; ``first`` is False on the second direction of a
        two-way mapping, where direction-independent checks were already made."""
        t = m.transform
        if isinstance(t, TemplateTransform):
            for name in placeholders(t.template):
                if name not in self.fields[source]:
                    self.add("error", "unknown_placeholder",
                             f"template placeholder {{{name}}} is not a {SIDE_NAME[source]} field",
                             f"{path}.transform.template", name)
        elif isinstance(t, MoneyTransform) and t.currency_field is not None and first:
            self.lookup(Side.JIRA, t.currency_field, f"{path}.transform.currency_field", "currency field")
        elif isinstance(t, RelatedEntityTransform) and first:
            if self.known_profiles is not None and t.profile not in self.known_profiles:
                self.add("error", "unknown_profile",
                         f"related_entity refers to profile {t.profile!r}, which does not exist",
                         f"{path}.transform.profile", t.profile)
        elif isinstance(t, ConstantTransform):
            if tmeta.type in (FieldType.ENUM, FieldType.MULTI_ENUM) and tmeta.options and t.value is not None:
                values = t.value if isinstance(t.value, list) else [t.value]
                for v in values:
                    if resolve_option(tmeta, str(v)) is None:
                        self.add("error", "unknown_option",
                                 f"constant {v!r} is not an option of {describe(tmeta)}",
                                 f"{path}.transform.value", tmeta.id)
        elif isinstance(t, ValueMapTransform | MultiValueMapTransform) and smeta is not None:
            self.value_map(path, t, source, smeta, tmeta, first)

    def value_map(self, path: str, t: ValueMapTransform | MultiValueMapTransform, source: Side,
                  smeta: FieldMeta, tmeta: FieldMeta, first: bool) -> None:
        target = source.other
        for j, pair in enumerate(t.pairs if first else ()):
            checks: tuple[tuple[Side, FieldMeta], ...] = ((source, smeta), (target, tmeta))
            for side, meta in checks:
                token = pair.jira if side == "jira" else pair.bitrix24
                if meta.options and resolve_option(meta, token) is None:
                    self.add("error", "unknown_option",
                             f"{token!r} is not an option of {SIDE_NAME[side]} field {describe(meta)}",
                             f"{path}.transform.pairs[{j}].{side}", meta.id)
        default = None
        if isinstance(t, ValueMapTransform):
            default = t.default_bitrix24 if target == "bitrix24" else t.default_jira
            if default is not None and tmeta.options and resolve_option(tmeta, default) is None:
                self.add("error", "unknown_option",
                         f"default {default!r} is not an option of {SIDE_NAME[target]} field {describe(tmeta)}",
                         f"{path}.transform.default_{target}", tmeta.id)
        if default is None and smeta.options:
            covered = {
                o.id for pair in t.pairs
                if (o := resolve_option(smeta, pair.jira if source == "jira" else pair.bitrix24)) is not None
            }
            uncovered = [o.label for o in smeta.options if o.id not in covered]
            if uncovered:
                self.add("warning", "value_map_incomplete",
                         f"values of {SIDE_NAME[source]} {describe(smeta)} without a pair and no default: "
                         + ", ".join(uncovered), f"{path}.transform.pairs", smeta.id)
        if t.auto_suggested and first:
            self.add("warning", "unreviewed_suggestion",
                     "the value map was suggested automatically; review it and clear auto_suggested",
                     f"{path}.transform", smeta.id, tmeta.id)

    # -- whole profile
    def duplicates(self) -> None:
        for side in SIDES:
            seen: dict[tuple[str, str], int] = {}
            for i, m in enumerate(self.profile.mappings):
                fid = m.target_field(side)
                if fid is None or not m.writes_to(side):
                    continue
                for when in ("create", "update"):
                    if not m.applies_on(when):
                        continue
                    first = seen.setdefault((fid, when), i)
                    if first != i:
                        self.add("error", "duplicate_target",
                                 f"{SIDE_NAME[side]} field {fid!r} is written by mappings[{first}] and "
                                 f"mappings[{i}] on {when}", f"mappings[{i}]", fid)
                        break

    def required(self) -> None:
        for side in SIDES:
            if not self.profile.may_create_in(side):
                continue
            covered = {m.target_field(side) for m in self.profile.mappings
                       if m.writes_to(side) and m.applies_on("create")}
            missing = [f for f in self.fields[side].values()
                       if f.required and not f.read_only and f.id not in covered
                       and f.id not in IMPLIED_ON_CREATE[side]]
            if missing:
                self.add("error", "required_not_covered",
                         f"records are created in {SIDE_NAME[side]}, but its required fields get no value on "
                         f"create: {', '.join(describe(f) for f in missing)}; map them or set a constant",
                         "mappings", *(f.id for f in missing))

    def matching(self) -> None:
        for i, rule in enumerate(self.profile.matching.rules):
            self.lookup(Side.JIRA, rule.jira_field, f"matching.rules[{i}].jira_field")
            self.lookup(Side.BITRIX24, rule.bitrix24_field, f"matching.rules[{i}].bitrix24_field")

    def deletion(self) -> None:
        d = self.profile.deletion
        if d.mark_in_jira is not None:
            self.lookup(Side.JIRA, d.mark_in_jira.field, "deletion.mark_in_jira.field")
        if d.mark_in_bitrix24 is not None:
            self.lookup(Side.BITRIX24, d.mark_in_bitrix24.field, "deletion.mark_in_bitrix24.field")

    def triggers(self) -> None:
        for i, trigger in enumerate(self.profile.triggers):
            if isinstance(trigger, EventTrigger):
                for j, cond in enumerate(trigger.conditions):
                    self.lookup(trigger.system, cond.field, f"triggers[{i}].conditions[{j}].field")


def validate_profile(profile: Profile, jira_fields: Sequence[FieldMeta], b24_fields: Sequence[FieldMeta],
                     known_profiles: Iterable[str] | None = None) -> list[ValidationIssue]:
    """All problems of ``profile`` against the live fields; errors block saving, warnings do not.

    ``known_profiles`` (names of all profiles) lets related_entity references be checked too.
    """
    return _Checker(profile, jira_fields, b24_fields, known_profiles).run()


def errors_only(issues: Iterable[ValidationIssue]) -> list[ValidationIssue]:
    return [i for i in issues if i.severity == "error"]
