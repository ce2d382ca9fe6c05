"""Sync profiles as pydantic models: the one definition behind YAML files, the JSON Schema and the studio.

Everything here is checkable without either system: shapes, enumerations, cron syntax, time zone
names, template syntax and the rules that tie fields of one profile together. Whether the field ids
exist and their types fit is checked against live metadata by :mod:`sync_engine.mapping.validate`.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Annotated, Any, Literal

from croniter import croniter
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    field_validator,
    model_serializer,
    model_validator,
)

from sync_engine.sides import Side
from sync_engine.text_template import TemplateSyntaxError, tokenize

SCHEMA_VERSION: Literal[1] = 1

Slug = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$"),
    Field(description="lower-case letters, digits, '-' and '_', up to 63 characters, e.g. purchase-requests"),
]
FieldId = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Scalar = str | int | float | bool | None
ConstantValue = Scalar | list[str | int | float | bool]

_CURRENCY = re.compile(r"^[A-Z]{3}$")


def _check_tz(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r} (use an IANA name such as 'Europe/Moscow')") from exc
    return value


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True, use_enum_values=True)


class _Tagged(StrictModel):
    """Base of discriminated unions: keeps ``type`` in dumps even when defaults are left out."""

    @model_serializer(mode="wrap")
    def _keep_type(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data = handler(self)
        return {"type": getattr(self, "type"), **{k: v for k, v in data.items() if k != "type"}}  # noqa: B009


# --------------------------------------------------------------------------------------------- sides


class JiraSide(StrictModel):
    connection: str = Field("default", min_length=1, description="name of a saved JIRA connection")
    entity: Literal["issue", "project"] = Field(
        "issue", description="'issue' (scoped by projects/issue_types/jql) or 'project' (JIRA projects)"
    )
    projects: list[str] = Field(default_factory=list, description="project keys, e.g. [PROC]")
    issue_types: list[str] = Field(default_factory=list, description="issue type names, e.g. ['Purchase request']")
    jql: str = Field("", description="extra JQL ANDed to the project/issue type scope")

    @model_validator(mode="after")
    def _issue_scope(self) -> JiraSide:
        if self.entity == "issue" and not self.projects:
            raise ValueError("an issue profile needs at least one project key in 'projects'")
        if self.entity == "project" and (self.issue_types or self.jql):
            raise ValueError("'issue_types' and 'jql' only apply when entity is 'issue'")
        return self


_B24_FIXED_TYPE_IDS: Mapping[str, int] = MappingProxyType({"deal": 2, "contact": 3, "company": 4})


class Bitrix24Side(StrictModel):
    connection: str = Field("default", min_length=1, description="name of a saved Bitrix24 connection")
    entity: Literal["deal", "contact", "company", "product", "item"]
    entity_type_id: int | None = Field(
        None, description="smart-process entityTypeId (required for entity 'item', e.g. 1032)"
    )
    category_id: int | None = Field(None, ge=0, description="pipeline (category) id; none means all")
    filter: dict[str, Any] = Field(default_factory=dict, description="Bitrix24 list filter, e.g. {'=TYPE_ID': 'SALE'}")

    @model_validator(mode="after")
    def _type_id(self) -> Bitrix24Side:
        if self.entity == "item":
            if self.entity_type_id is None:
                raise ValueError("entity 'item' needs entity_type_id (the smart process's entityTypeId)")
            if self.entity_type_id < 128:
                raise ValueError(f"entity_type_id {self.entity_type_id} is not a smart process (those are >= 128)")
        elif self.entity_type_id is not None and self.entity_type_id != _B24_FIXED_TYPE_IDS.get(self.entity):
            raise ValueError(f"entity_type_id is only set for entity 'item' (got {self.entity_type_id} for "
                             f"{self.entity!r})")
        if self.category_id is not None and self.entity not in ("deal", "item"):
            raise ValueError(f"category_id only applies to deals and smart-process items, not {self.entity!r}")
        return self


# ------------------------------------------------------------------------------------------ matching


class MatchRule(StrictModel):
    jira_field: FieldId
    bitrix24_field: FieldId
    normalise: Literal["exact", "casefold", "digits"] = Field(
        "exact", description="casefold: case/space-insensitive (e-mails, names); digits: keep digits only (INN, phones)"
    )


class Matching(StrictModel):
    mode: Literal["create_only", "match_then_create", "match_only"] = "match_then_create"
    rules: list[MatchRule] = Field(
        default_factory=list, description="tried in order after the link table; the first hit wins"
    )

    @model_validator(mode="after")
    def _rules_needed(self) -> Matching:
        if self.mode == "match_only" and not self.rules:
            raise ValueError("mode 'match_only' needs at least one rule in 'rules'")
        if self.mode == "create_only" and self.rules:
            raise ValueError("mode 'create_only' never matches, so 'rules' must be empty")
        return self


class DeletionMark(StrictModel):
    field: FieldId
    value: ConstantValue


class Deletion(StrictModel):
    policy: Literal["ignore", "mirror", "mark"] = "ignore"
    mark_in_jira: DeletionMark | None = Field(None, description="set on the JIRA issue when its partner is deleted")
    mark_in_bitrix24: DeletionMark | None = Field(
        None, description="set on the Bitrix24 record when its partner is deleted"
    )

    @model_validator(mode="after")
    def _marks(self) -> Deletion:
        has_mark = self.mark_in_jira is not None or self.mark_in_bitrix24 is not None
        if self.policy == "mark" and not has_mark:
            raise ValueError("policy 'mark' needs mark_in_jira and/or mark_in_bitrix24")
        if self.policy != "mark" and has_mark:
            raise ValueError(f"mark_in_jira/mark_in_bitrix24 only apply to policy 'mark', not {self.policy!r}")
        return self


# ---------------------------------------------------------------------------------------- transforms


class ValueMapPair(StrictModel):
    jira: str = Field(min_length=1, description="JIRA option/status: id or label")
    bitrix24: str = Field(min_length=1, description="Bitrix24 enumeration item / stage / status: id or label")


class CopyTransform(_Tagged):
    type: Literal["copy"] = "copy"


class ValueMapTransform(_Tagged):
    type: Literal["value_map"] = "value_map"
    pairs: list[ValueMapPair] = Field(min_length=1)
    default_jira: str | None = Field(None, description="written to JIRA when no pair matches")
    default_bitrix24: str | None = Field(None, description="written to Bitrix24 when no pair matches")
    auto_suggested: bool = Field(False, description="pairs were proposed by label matching and not yet reviewed")


class MultiValueMapTransform(_Tagged):
    type: Literal["multi_value_map"] = "multi_value_map"
    pairs: list[ValueMapPair] = Field(min_length=1)
    auto_suggested: bool = False


class UserByEmailTransform(_Tagged):
    type: Literal["user_by_email"] = "user_by_email"


class DateTransform(_Tagged):
    type: Literal["date"] = "date"
    jira_tz: str | None = Field(None, description="IANA zone of JIRA values; default: the JIRA connection's zone")
    bitrix24_tz: str | None = Field(None, description="IANA zone of Bitrix24 values; default: the portal's zone")

    @field_validator("jira_tz", "bitrix24_tz")
    @classmethod
    def _tz(cls, value: str | None) -> str | None:
        return _check_tz(value)


class MoneyTransform(_Tagged):
    type: Literal["money"] = "money"
    currency: str | None = Field(None, description="fixed ISO currency code, e.g. RUB")
    currency_field: str | None = Field(
        None, description="field on the JIRA side holding the currency (select or text), e.g. customfield_10104"
    )

    @model_validator(mode="after")
    def _one_currency(self) -> MoneyTransform:
        if (self.currency is None) == (self.currency_field is None):
            raise ValueError("set exactly one of 'currency' (a code such as RUB) or 'currency_field'")
        if self.currency is not None and not _CURRENCY.match(self.currency):
            raise ValueError(f"currency {self.currency!r} is not a 3-letter ISO code such as RUB")
        return self


class TemplateTransform(_Tagged):
    type: Literal["template"] = "template"
    template: str = Field(min_length=1, description="text with {field_id} placeholders of the source side")

    @field_validator("template")
    @classmethod
    def _parse(cls, value: str) -> str:
        try:
            tokenize(value)
        except TemplateSyntaxError as exc:
            raise ValueError(f"bad template: {exc}") from exc
        return value


class ConstantTransform(_Tagged):
    type: Literal["constant"] = "constant"
    value: ConstantValue


class RelatedEntityTransform(_Tagged):
    type: Literal["related_entity"] = "related_entity"
    profile: Slug = Field(description="the profile whose links pair the related records, e.g. companies")
    jira_attribute: Literal["key", "summary"] = Field(
        "key", description="what the JIRA field holds of the linked issue: its key or its summary"
    )


Transform = Annotated[
    CopyTransform
    | ValueMapTransform
    | MultiValueMapTransform
    | UserByEmailTransform
    | DateTransform
    | MoneyTransform
    | TemplateTransform
    | ConstantTransform
    | RelatedEntityTransform,
    Field(discriminator="type"),
]

# Transforms that compute the target from nothing (constant) or from several fields (template), so the
# source-side field is not used; everything else reads one source field.
_SOURCELESS = ("constant", "template")


class FieldMapping(StrictModel):
    id: Slug
    jira_field: FieldId | None = None
    bitrix24_field: FieldId | None = None
    direction: Literal["to_bitrix24", "to_jira", "both"] = "both"
    apply_on: Literal["create", "update", "both"] = "both"
    transform: Transform = Field(default_factory=CopyTransform)

    @model_validator(mode="after")
    def _fields_for_direction(self) -> FieldMapping:
        kind = self.transform.type
        if kind in _SOURCELESS:
            if self.direction == "both":
                raise ValueError(f"a {kind} mapping only writes one way: set direction to_bitrix24 or to_jira")
            target = self.bitrix24_field if self.direction == "to_bitrix24" else self.jira_field
            target_name = "bitrix24_field" if self.direction == "to_bitrix24" else "jira_field"
            if target is None:
                raise ValueError(f"{target_name} is required: it is the field the {kind} writes")
            source = self.jira_field if self.direction == "to_bitrix24" else self.bitrix24_field
            if source is not None:
                source_name = "jira_field" if self.direction == "to_bitrix24" else "bitrix24_field"
                raise ValueError(f"{source_name} must be empty: a {kind} mapping does not read a source field")
        else:
            missing = [n for n in ("jira_field", "bitrix24_field") if getattr(self, n) is None]
            if missing:
                raise ValueError(f"{' and '.join(missing)} required for a {kind} mapping")
        return self

    def target_field(self, to: Side) -> str | None:
        return self.jira_field if to == "jira" else self.bitrix24_field

    def writes_to(self, side: Side) -> bool:
        return self.direction == "both" or self.direction == f"to_{side}"

    def applies_on(self, when: Literal["create", "update"]) -> bool:
        return self.apply_on in ("both", when)


# ------------------------------------------------------------------------------------------ triggers


class Condition(StrictModel):
    field: FieldId
    op: Literal["eq", "ne", "in", "not_in", "changed", "changed_to", "changed_from", "empty", "not_empty"]
    value: ConstantValue = None

    @model_validator(mode="after")
    def _value_shape(self) -> Condition:
        if self.op in ("in", "not_in") and not isinstance(self.value, list):
            raise ValueError(f"op {self.op!r} needs a list value")
        if self.op in ("changed", "empty", "not_empty") and self.value is not None:
            raise ValueError(f"op {self.op!r} takes no value")
        if self.op in ("eq", "ne", "changed_to", "changed_from") and isinstance(self.value, list):
            raise ValueError(f"op {self.op!r} compares with one value, not a list (use 'in')")
        return self


class EventTrigger(_Tagged):
    type: Literal["event"] = "event"
    system: Side
    event: Literal["created", "updated", "deleted", "created_or_updated", "stage_changed"]
    conditions: list[Condition] = Field(default_factory=list, description="all must hold")


class ScheduleTrigger(_Tagged):
    type: Literal["schedule"] = "schedule"
    interval_seconds: int | None = Field(None, ge=10, description="run every N seconds (at least 10)")
    cron: str | None = Field(None, description="5-field cron expression, e.g. '*/15 8-20 * * 1-5'")
    timezone: str = Field("UTC", description="IANA zone the cron expression is read in")

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        return _check_tz(value) or "UTC"

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = " ".join(value.split())
        if len(value.split(" ")) != 5 or not croniter.is_valid(value):
            raise ValueError(f"invalid cron expression {value!r} (expected 5 fields: min hour day month weekday)")
        try:
            croniter(value, datetime(2024, 1, 1)).get_next(datetime)
        except Exception as exc:  # croniter raises several unrelated types for impossible dates
            raise ValueError(f"cron expression {value!r} never fires: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _one_schedule(self) -> ScheduleTrigger:
        if (self.interval_seconds is None) == (self.cron is None):
            raise ValueError("set exactly one of 'interval_seconds' or 'cron'")
        return self


class ManualTrigger(_Tagged):
    type: Literal["manual"] = "manual"


Trigger = Annotated[EventTrigger | ScheduleTrigger | ManualTrigger, Field(discriminator="type")]


# ------------------------------------------------------------------------------------------- profile


def _default_triggers() -> list[Trigger]:
    return [ManualTrigger()]


class Profile(StrictModel):
    name: Slug
    title: str = Field(min_length=1)
    description: str = ""
    enabled: bool = True
    jira: JiraSide
    bitrix24: Bitrix24Side
    create_in: Literal["jira", "bitrix24", "both", "none"] = Field(
        "both", description="which side may receive new records from the other"
    )
    matching: Matching = Field(default_factory=Matching)
    deletion: Deletion = Field(default_factory=Deletion)
    conflict: Literal["prefer_jira", "prefer_bitrix24", "newest_wins", "manual"] = "newest_wins"
    mappings: list[FieldMapping] = Field(default_factory=list)
    triggers: list[Trigger] = Field(default_factory=_default_triggers)

    @model_validator(mode="after")
    def _consistency(self) -> Profile:
        seen: set[str] = set()
        for mapping in self.mappings:
            if mapping.id in seen:
                raise ValueError(f"mapping id {mapping.id!r} is used twice; ids must be unique in a profile")
            seen.add(mapping.id)
            if isinstance(mapping.transform, RelatedEntityTransform) and mapping.transform.profile == self.name:
                raise ValueError(f"mapping {mapping.id!r}: related_entity cannot refer to its own profile")
        if self.jira.entity == "project" and self.create_in in ("jira", "both"):
            raise ValueError("JIRA projects are not created by sync: create_in must be 'bitrix24' or 'none'")
        return self

    def may_create_in(self, side: Side) -> bool:
        return self.create_in in ("both", side)


class ProfilesDocument(StrictModel):
    """The top level of a profiles YAML file."""

    model_config = ConfigDict(title="Bitrix24–JIRA Studio sync profiles")

    version: Literal[1] = SCHEMA_VERSION
    profiles: list[Profile] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_names(self) -> ProfilesDocument:
        seen: set[str] = set()
        for profile in self.profiles:
            if profile.name in seen:
                raise ValueError(f"profile name {profile.name!r} is used twice")
            seen.add(profile.name)
        return self


def profile_json_schema() -> dict[str, Any]:
    """JSON Schema of a profiles file (validation mode: what a file may contain)."""
    schema = ProfilesDocument.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
