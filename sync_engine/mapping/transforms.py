"""Typed transforms between raw JIRA and Bitrix24 values.

Each transform type of the profile schema has a pair of pure functions, ``to_bitrix24`` and
``to_jira``, taking the raw value as the source API returned it and producing the raw value the
target API accepts for writing. Anything the functions need from outside (field metadata, users,
links of other profiles, time zones, the rest of the source record) comes in a
:class:`TransformContext`, so the functions stay testable without a network or a database.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from types import MappingProxyType
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sync_engine import text_template as tpl
from sync_engine.fieldtypes import FieldMeta, FieldType
from sync_engine.mapping.values import (
    Side,
    TransformError,
    UnresolvedReference,
    crm_id,
    first_multifield,
    format_date,
    format_datetime,
    is_date_only,
    is_empty,
    jira_option_write,
    jira_user_id,
    option_keys,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_money,
    parse_number,
    resolve_option,
    text_of,
)
from sync_engine.profiles.schema import (
    ConstantTransform,
    CopyTransform,
    DateTransform,
    MoneyTransform,
    MultiValueMapTransform,
    RelatedEntityTransform,
    TemplateTransform,
    UserByEmailTransform,
    ValueMapPair,
    ValueMapTransform,
)

__all__ = [
    "REGISTRY",
    "LinksResolver",
    "TransformContext",
    "TransformError",
    "TransformSpec",
    "UnresolvedReference",
    "UserDirectory",
    "normalise_for_compare",
    "normalise_label",
    "suggest_value_map",
    "to_bitrix24",
    "to_jira",
]

TransformSpec = (
    CopyTransform
    | ValueMapTransform
    | MultiValueMapTransform
    | UserByEmailTransform
    | DateTransform
    | MoneyTransform
    | TemplateTransform
    | ConstantTransform
    | RelatedEntityTransform
)


class UserDirectory(Protocol):
    """People of both systems, joined by e-mail (the only identity both sides share)."""

    def email_for_jira_user(self, jira_user_id: str) -> str | None: ...

    def jira_user_for_email(self, email: str) -> Mapping[str, str] | None:
        """The JIRA write form, e.g. ``{"accountId": ...}`` (Cloud) or ``{"name": ...}`` (Server)."""
        ...

    def bitrix_user_for_email(self, email: str) -> str | None: ...

    def email_for_bitrix_user(self, bitrix_user_id: str) -> str | None: ...


class LinksResolver(Protocol):
    """Links kept by another profile (e.g. companies), used by ``related_entity`` mappings.

    ``attribute`` says what the JIRA field holds of the linked issue: its ``key`` or its ``summary``.
    ``bitrix24_for_jira`` returns the plain ID ("5"); the transform writes it as is, except into a
    ``crm`` user field allowing several entity kinds, which needs the prefixed form ("CO_5") -- so
    the resolver may return that form and it is kept for such fields.
    """

    def jira_for_bitrix24(self, profile: str, bitrix24_id: str, attribute: str) -> str | None: ...

    def bitrix24_for_jira(self, profile: str, jira_value: str, attribute: str) -> str | None: ...


@dataclass(frozen=True)
class TransformContext:
    """What a transform may know besides the value.

    ``source_record`` holds the raw fields of the record being converted (templates and
    ``money.currency_field`` read other fields from it); ``source_fields`` describes them so option
    ids can be shown by label in templates.
    """

    jira_meta: FieldMeta | None = None
    bitrix24_meta: FieldMeta | None = None
    users: UserDirectory | None = None
    links: LinksResolver | None = None
    jira_tz: tzinfo = UTC
    bitrix24_tz: tzinfo = UTC
    source_record: Mapping[str, Any] = field(default_factory=dict)
    source_fields: Mapping[str, FieldMeta] = field(default_factory=dict)

    def meta(self, side: Side) -> FieldMeta | None:
        return self.jira_meta if side == "jira" else self.bitrix24_meta

    def tz(self, side: Side, spec: DateTransform | None = None) -> tzinfo:
        name = None if spec is None else (spec.jira_tz if side == "jira" else spec.bitrix24_tz)
        if name:
            return ZoneInfo(name)
        return self.jira_tz if side == "jira" else self.bitrix24_tz


def _other(side: Side) -> Side:
    return Side(side).other


def _label(meta: FieldMeta | None) -> str:
    return "the field" if meta is None else f"{meta.id} ({meta.label})"


# ------------------------------------------------------------------------------------ typed writing


def write_value(value: Any, target: Side, ctx: TransformContext, source_meta: FieldMeta | None = None) -> Any:
    """Convert a (source-side) raw value to ``target``'s write form according to the target's type."""
    meta = ctx.meta(target)
    if is_empty(value):
        return None
    if meta is None or meta.type is FieldType.UNKNOWN:
        return value
    kind = meta.type
    if kind is FieldType.TEXT:
        text = text_of(value, source_meta)
        if target == "bitrix24" and meta.system_type == "crm_multifield":
            return [{"VALUE": text, "VALUE_TYPE": "WORK"}]
        return text
    if kind is FieldType.NUMBER or (kind is FieldType.MONEY and meta.system_type != "money"):
        number = parse_number(first_multifield(value))
        return int(number) if meta.system_type in ("integer", "int") and number.is_integer() else number
    if kind is FieldType.MONEY:
        amount, currency = parse_money(value)
        if currency is None:
            raise TransformError(f"{_label(meta)} holds money with a currency: use a money transform")
        return f"{amount:.2f}|{currency}"
    if kind is FieldType.DATE:
        if is_date_only(value) or (source_meta is not None and source_meta.type is FieldType.DATE):
            d = parse_date(value)  # a calendar day stays the same day whatever the zones
        else:
            d = parse_datetime(value, ctx.tz(_other(target))).astimezone(ctx.tz(target)).date()
        return format_date(d, target, ctx.tz(target))
    if kind is FieldType.DATETIME:
        dt = parse_datetime(value, ctx.tz(_other(target)))
        return format_datetime(dt, target, ctx.tz(target))
    if kind is FieldType.BOOL:
        flag = parse_bool(value)
        return ("Y" if flag else "N") if target == "bitrix24" else flag
    if kind is FieldType.ENUM:
        return _write_option(meta, target, text_of(value, source_meta) if not isinstance(value, str) else value)
    if kind is FieldType.MULTI_ENUM:
        items = value if isinstance(value, list) else [value]
        return [_write_option(meta, target, v if isinstance(v, str) else text_of(v, source_meta)) for v in items]
    if kind is FieldType.REFERENCE:
        return crm_id(value) if target == "bitrix24" and not isinstance(value, Mapping) else value
    return value


def _write_option(meta: FieldMeta, target: Side, token: str) -> Any:
    option = resolve_option(meta, token)
    if meta.options and option is None:
        labels = ", ".join(o.label for o in meta.options[:10])
        raise TransformError(f"{token!r} is not an option of {_label(meta)} (options: {labels})")
    if target == "jira":
        return jira_option_write(meta, token)
    return option.id if option is not None else token


# ------------------------------------------------------------------------------------- transforms


def _copy(spec: CopyTransform, value: Any, target: Side, ctx: TransformContext) -> Any:
    return write_value(value, target, ctx, ctx.meta(_other(target)))


def _date(spec: DateTransform, value: Any, target: Side, ctx: TransformContext) -> Any:
    if is_empty(value):
        return None
    source = _other(target)
    meta = ctx.meta(target)
    src_tz, dst_tz = ctx.tz(source, spec), ctx.tz(target, spec)
    want_date = meta is not None and meta.type is FieldType.DATE
    if meta is None:
        want_date = is_date_only(value)
    if is_date_only(value):
        d = parse_date(value)
        if want_date:
            return format_date(d, target, dst_tz)
        return format_datetime(parse_datetime(d, src_tz), target, dst_tz)
    source_meta = ctx.meta(source)
    if source_meta is not None and source_meta.type is FieldType.DATE:
        d = parse_date(value)  # a date reported as local midnight with offset: the calendar day is as written
        return format_date(d, target, dst_tz) if want_date else format_datetime(
            parse_datetime(d, src_tz), target, dst_tz)
    dt = parse_datetime(value, src_tz)
    if want_date:
        return format_date(dt.astimezone(dst_tz).date(), target, dst_tz)
    return format_datetime(dt, target, dst_tz)


def _value_map(spec: ValueMapTransform | MultiValueMapTransform, value: Any, target: Side,
               ctx: TransformContext) -> Any:
    source = _other(target)
    src_meta, dst_meta = ctx.meta(source), ctx.meta(target)
    keys = option_keys(value)
    option = resolve_option(src_meta, value)
    if option is not None:
        keys |= {option.id.casefold(), option.label.strip().casefold()}
    for pair in spec.pairs:
        token = pair.jira if source == "jira" else pair.bitrix24
        resolved = resolve_option(src_meta, token)
        if token.strip().casefold() in keys or (resolved is not None and resolved.id.casefold() in keys):
            return _emit(pair.bitrix24 if target == "bitrix24" else pair.jira, dst_meta, target)
    default = None
    if isinstance(spec, ValueMapTransform):
        default = spec.default_bitrix24 if target == "bitrix24" else spec.default_jira
    if default is not None:
        return _emit(default, dst_meta, target)
    shown = repr(text_of(value, src_meta))
    raw_id = value.get("id") if isinstance(value, Mapping) else value
    if raw_id is not None and str(raw_id) != text_of(value, src_meta):
        shown += f" ({raw_id})"
    raise TransformError(f"value {shown} of {_label(src_meta)} has no pair in the value map "
                         f"to {_label(dst_meta)}")


def _emit(token: str, meta: FieldMeta | None, target: Side) -> Any:
    if target == "jira":
        return jira_option_write(meta, token)
    option = resolve_option(meta, token)
    return option.id if option is not None else token


def _single_value_map(spec: ValueMapTransform, value: Any, target: Side, ctx: TransformContext) -> Any:
    if is_empty(value):
        return None
    return _value_map(spec, value, target, ctx)


def _multi_value_map(spec: MultiValueMapTransform, value: Any, target: Side, ctx: TransformContext) -> Any:
    if is_empty(value):
        return []
    items = value if isinstance(value, list) else [value]
    out: list[Any] = []
    for item in items:
        mapped = _value_map(spec, item, target, ctx)
        if mapped not in out:
            out.append(mapped)
    return out


def _user(spec: UserByEmailTransform, value: Any, target: Side, ctx: TransformContext) -> Any:
    if is_empty(value):
        return None
    users = ctx.users
    if users is None:
        raise TransformError("user_by_email needs a user directory, and none was given")
    if target == "bitrix24":
        email = value.get("emailAddress") if isinstance(value, Mapping) else None
        uid = jira_user_id(value)
        if not email and uid:
            email = users.email_for_jira_user(uid)
        if not email:
            raise UnresolvedReference(f"JIRA user {uid!r} has no known e-mail")
        found = users.bitrix_user_for_email(email)
        if found is None:
            raise UnresolvedReference(f"no Bitrix24 user has the e-mail {email}")
        return str(found)
    b24_id = str(value.get("ID") if isinstance(value, Mapping) else value)
    b24_email = users.email_for_bitrix_user(b24_id)
    if not b24_email:
        raise UnresolvedReference(f"Bitrix24 user {b24_id} has no known e-mail")
    jira_user = users.jira_user_for_email(b24_email)
    if jira_user is None:
        raise UnresolvedReference(f"no JIRA user has the e-mail {b24_email}")
    return dict(jira_user)


def _money(spec: MoneyTransform, value: Any, target: Side, ctx: TransformContext) -> Any:
    if is_empty(value):
        return None
    amount, currency = parse_money(value)
    meta = ctx.meta(target)
    if target == "jira":
        return amount
    if meta is not None and not (meta.type is FieldType.MONEY and meta.system_type == "money"):
        return amount  # a plain number such as OPPORTUNITY; its currency is a field of its own
    if spec.currency is not None:
        currency = spec.currency
    elif spec.currency_field is not None:
        raw = ctx.source_record.get(spec.currency_field)
        currency = text_of(raw, ctx.source_fields.get(spec.currency_field)).strip().upper() or None
    if not currency:
        raise TransformError(f"no currency for {_label(meta)}: {spec.currency_field} is empty")
    return f"{amount:.2f}|{currency}"


def _template(spec: TemplateTransform, value: Any, target: Side, ctx: TransformContext) -> Any:
    def lookup(field_id: str) -> str:
        return text_of(ctx.source_record.get(field_id), ctx.source_fields.get(field_id))

    text = tpl.render(spec.template, lookup)
    meta = ctx.meta(target)
    if meta is not None and meta.type is not FieldType.TEXT:
        return write_value(text, target, ctx)
    return text


def _constant(spec: ConstantTransform, value: Any, target: Side, ctx: TransformContext) -> Any:
    if spec.value is None:
        return None
    return write_value(spec.value, target, ctx)


def _related(spec: RelatedEntityTransform, value: Any, target: Side, ctx: TransformContext) -> Any:
    if is_empty(value):
        return None
    links = ctx.links
    if links is None:
        raise TransformError("related_entity needs the links of other profiles, and none were given")
    if target == "bitrix24":
        jira_value = text_of(value) if spec.jira_attribute == "summary" else str(
            value.get("key") if isinstance(value, Mapping) else value)
        found = links.bitrix24_for_jira(spec.profile, jira_value, spec.jira_attribute)
        if found is None:
            raise UnresolvedReference(f"{jira_value!r} is not linked by profile {spec.profile!r} yet")
        meta = ctx.bitrix24_meta
        if meta is not None and meta.system_type == "crm" and meta.reference == "crm":
            return found  # a multi-entity crm field takes "CO_5"; the resolver knows the entity
        return crm_id(found)
    b24_id = crm_id(value[0] if isinstance(value, list) and value else value)
    jira = links.jira_for_bitrix24(spec.profile, b24_id, spec.jira_attribute)
    if jira is None:
        raise UnresolvedReference(f"Bitrix24 record {b24_id} is not linked by profile {spec.profile!r} yet")
    return jira


# (spec, raw source value, target side, context) -> raw value to write on the target. One function per
# type for both directions, looked up per call (no closures built at import).
TwoWay = Callable[[Any, Any, Side, TransformContext], Any]

REGISTRY: Mapping[str, TwoWay] = MappingProxyType({
    "copy": _copy,
    "value_map": _single_value_map,
    "multi_value_map": _multi_value_map,
    "user_by_email": _user,
    "date": _date,
    "money": _money,
    "template": _template,
    "constant": _constant,
    "related_entity": _related,
})


def to_bitrix24(spec: TransformSpec, value: Any, ctx: TransformContext) -> Any:
    """Raw JIRA value → raw Bitrix24 write value; raises :class:`TransformError` with a reason."""
    return REGISTRY[spec.type](spec, value, Side.BITRIX24, ctx)


def to_jira(spec: TransformSpec, value: Any, ctx: TransformContext) -> Any:
    """Raw Bitrix24 value → raw JIRA write value; raises :class:`TransformError` with a reason."""
    return REGISTRY[spec.type](spec, value, Side.JIRA, ctx)


# ----------------------------------------------------------------------------------------- compare


def normalise_for_compare(value: Any, meta: FieldMeta | None, tz: tzinfo = UTC) -> Any:
    """A canonical form, so values read from either side (or the stored shadow) compare equal.

    ``"1000.00"`` and ``1000.0`` → ``1000.0``; ``"Y"`` and ``True`` → ``True``; an option object and its
    id → the option id; datetimes → UTC to the second (JIRA keeps millis, Bitrix24 does not);
    empty string, empty list and None → None. ``tz`` is assumed for naive datetimes.
    """
    value = first_multifield(value) if meta is None or meta.type is not FieldType.MULTI_ENUM else value
    if is_empty(value):
        return None
    kind = meta.type if meta is not None else None
    try:
        if kind in (FieldType.NUMBER, FieldType.MONEY):
            amount, currency = parse_money(value)
            amount = round(amount, 6)
            return (amount, currency) if currency and meta is not None and meta.system_type == "money" else amount
        if kind is FieldType.DATE:
            return parse_date(value)
        if kind is FieldType.DATETIME:
            return parse_datetime(value, tz).astimezone(UTC).replace(microsecond=0)
        if kind is FieldType.BOOL:
            return parse_bool(value)
        if kind is FieldType.ENUM:
            return _option_norm(value, meta)
        if kind is FieldType.MULTI_ENUM:
            items = value if isinstance(value, list) else [value]
            return frozenset(_option_norm(v, meta) for v in items if not is_empty(v)) or None
        if kind is FieldType.USER:
            return jira_user_id(value) if isinstance(value, Mapping) else str(value)
        if kind is FieldType.REFERENCE:
            return crm_id(value.get("key") if isinstance(value, Mapping) else value)
        if kind is FieldType.TEXT:
            return " ".join(text_of(value, meta).split())
    except TransformError:
        pass  # not in the expected shape: fall through to a generic comparison
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return round(float(value), 6)
    if isinstance(value, str):
        text = " ".join(value.split())
        try:
            return round(parse_number(text), 6) if re.fullmatch(r"-?\d+(?:[.,]\d+)?", text) else text
        except TransformError:
            return text
    return value


def _option_norm(value: Any, meta: FieldMeta | None) -> str:
    option = resolve_option(meta, value)
    if option is not None:
        return option.id
    keys = option_keys(value)
    return min(keys) if keys else ""


# --------------------------------------------------------------------------------------- suggestion

_PUNCT = re.compile(r"[\W_]+", re.UNICODE)


def normalise_label(label: str) -> str:
    """Case, ё/е, punctuation and spacing do not make labels different."""
    text = unicodedata.normalize("NFKC", label).casefold().replace("ё", "е")
    return " ".join(_PUNCT.sub(" ", text).split())


def suggest_value_map(jira_meta: FieldMeta, b24_meta: FieldMeta, threshold: float = 0.75) -> list[ValueMapPair]:
    """Pair options by label: exact after normalisation first, then the most similar above ``threshold``.

    Each option is used at most once on each side, so a suggestion is always a one-to-one map the
    user can review (the profile marks it ``auto_suggested``).
    """
    pairs: list[ValueMapPair] = []
    free_b24 = list(b24_meta.options)
    pending = []
    for jopt in jira_meta.options:
        norm = normalise_label(jopt.label)
        exact = next((b for b in free_b24 if normalise_label(b.label) == norm), None)
        if exact is not None:
            pairs.append(ValueMapPair(jira=jopt.label, bitrix24=exact.id))
            free_b24.remove(exact)
        else:
            pending.append(jopt)
    scored = []
    for jopt in pending:
        for bopt in free_b24:
            ratio = difflib.SequenceMatcher(None, normalise_label(jopt.label), normalise_label(bopt.label)).ratio()
            if ratio >= threshold:
                scored.append((ratio, jopt.label, bopt.id, jopt, bopt))
    scored.sort(key=lambda s: (-s[0], s[1], s[2]))
    used_j: set[str] = set()
    used_b: set[str] = set()
    for _ratio, _l, _i, jopt, bopt in scored:
        if jopt.id in used_j or bopt.id in used_b:
            continue
        used_j.add(jopt.id)
        used_b.add(bopt.id)
        pairs.append(ValueMapPair(jira=jopt.label, bitrix24=bopt.id))
    order = {o.label: i for i, o in enumerate(jira_meta.options)}
    pairs.sort(key=lambda p: order.get(p.jira, len(order)))
    return pairs

