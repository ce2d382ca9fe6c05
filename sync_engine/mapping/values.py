"""Reading and writing raw field values of each system.

Connectors hand the engine values exactly as the APIs return them (JIRA option objects, Bitrix24
legacy strings such as ``"1000.00"`` or ``"Y"``). These helpers are the single place that knows those
shapes, so transforms and comparisons agree on what a value means.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from sync_engine.fieldtypes import FieldMeta, FieldType, Option
from sync_engine.sides import Side

# JIRA fields whose values are written as {"name": ...} (statuses move by transition, by name).
JIRA_NAMED_FIELDS = frozenset({"status", "priority", "issuetype", "resolution"})
_CRM_PREFIX = re.compile(r"^(?:[A-Z]{1,2}|T[0-9a-fA-F]+)_(\d+)$")
_RU_DATE = re.compile(r"^(\d{2})\.(\d{2})\.(\d{4})(?:\s+(\d{2}):(\d{2})(?::(\d{2}))?)?$")


class TransformError(ValueError):
    """A value cannot be converted; the message names the value and why, for the sync log."""


class UnresolvedReference(TransformError):
    """A related record (user, linked company...) is not known yet; retrying later may succeed."""


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == [] or value == {}


# -------------------------------------------------------------------------------------------- numbers


def parse_number(value: Any) -> float:
    """``"1000.00"``, ``"1 000,50"``, ``"1000|RUB"``, ``1000`` → float."""
    if isinstance(value, bool):
        raise TransformError(f"{value!r} is a yes/no value, not a number")
    if isinstance(value, int | float | Decimal):
        return float(value)
    if isinstance(value, str):
        text = value.split("|", 1)[0].strip().replace("\u00a0", "").replace(" ", "")
        if "," in text and "." not in text:
            text = text.replace(",", ".")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise TransformError(f"{value!r} is not a number") from None
        if not number.is_finite():
            raise TransformError(f"{value!r} is not a finite number")
        return float(number)
    raise TransformError(f"{value!r} is not a number")


def parse_money(value: Any) -> tuple[float, str | None]:
    """Bitrix24 money ``"1000|RUB"`` → ``(1000.0, "RUB")``; a plain number has no currency."""
    if isinstance(value, str) and "|" in value:
        amount, currency = value.split("|", 1)
        return parse_number(amount), currency.strip().upper() or None
    return parse_number(value), None


def format_number(value: float) -> str:
    """Without exponent or a trailing ``.0``: ``1000.0`` → ``"1000"``, ``0.1`` → ``"0.1"``."""
    text = format(Decimal(repr(value)).normalize(), "f")
    return text[:-2] if text.endswith(".0") else text


# ---------------------------------------------------------------------------------------------- dates


def parse_datetime(value: Any, default_tz: tzinfo) -> datetime:
    """JIRA ``2024-01-29T02:42:10.538+0300`` or Bitrix24 ``2024-09-09T00:00:00+03:00``; naive → default_tz."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time())
    elif isinstance(value, str):
        text = value.strip()
        ru = _RU_DATE.match(text)
        try:
            if ru:
                d, m, y, hh, mm, ss = ru.groups()
                parsed = datetime(int(y), int(m), int(d), int(hh or 0), int(mm or 0), int(ss or 0))
            else:
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise TransformError(f"{value!r} is not a date/time") from None
    else:
        raise TransformError(f"{value!r} is not a date/time")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=default_tz)


def parse_date(value: Any) -> date:
    """The calendar date as written (``2024-09-09T00:00:00+03:00`` → 2024-09-09, no zone shift)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        ru = _RU_DATE.match(text)
        try:
            if ru:
                return date(int(ru.group(3)), int(ru.group(2)), int(ru.group(1)))
            return date.fromisoformat(text[:10])
        except ValueError:
            raise TransformError(f"{value!r} is not a date") from None
    raise TransformError(f"{value!r} is not a date")


def is_date_only(value: Any) -> bool:
    if isinstance(value, datetime):
        return False
    if isinstance(value, date):
        return True
    return isinstance(value, str) and ":" not in value


def format_date(d: date, side: Side, tz: tzinfo) -> str:
    """JIRA takes ``YYYY-MM-DD``; Bitrix24 reports dates as local midnight with offset, so we write that."""
    if side == "jira":
        return d.isoformat()
    return datetime.combine(d, time(), tzinfo=tz).isoformat(timespec="seconds")


def format_datetime(dt: datetime, side: Side, tz: tzinfo) -> str:
    local = dt.astimezone(tz)
    if side == "jira":
        return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond // 1000:03d}" + local.strftime("%z")
    return local.replace(microsecond=0).isoformat(timespec="seconds")


# -------------------------------------------------------------------------------------------- options


def option_keys(value: Any) -> set[str]:
    """Every string a raw enum value may be known by (id, value/name label), casefolded."""
    keys: set[str] = set()
    if isinstance(value, Mapping):
        for k in ("id", "value", "name", "ID", "VALUE", "NAME", "STATUS_ID"):
            v = value.get(k)
            if v is not None and not isinstance(v, Mapping | list):
                keys.add(str(v).strip().casefold())
    elif value is not None and not isinstance(value, list):
        keys.add(str(value).strip().casefold())
    return keys


def resolve_option(meta: FieldMeta | None, token: Any) -> Option | None:
    """Find the option a raw value or a profile token names, by id first, then by label."""
    if meta is None or not meta.options or token is None:
        return None
    keys = option_keys(token)
    for option in meta.options:
        if option.id.strip().casefold() in keys:
            return option
    for option in meta.options:
        if option.label.strip().casefold() in keys:
            return option
    return None


def jira_option_write(meta: FieldMeta | None, token: str) -> dict[str, str]:
    """The JIRA write form of an option: ``{"value": label}``, or ``{"name": label}`` for statuses etc."""
    option = resolve_option(meta, token)
    label = option.label if option else token
    if meta is not None and (meta.id in JIRA_NAMED_FIELDS or meta.system_type in JIRA_NAMED_FIELDS):
        return {"name": label}
    return {"value": label}


def crm_id(value: Any) -> str:
    """Bitrix24 CRM reference ``"CO_5"`` / ``"5"`` / ``5`` → ``"5"``."""
    text = str(value).strip()
    match = _CRM_PREFIX.match(text)
    return match.group(1) if match else text


def jira_user_id(value: Any) -> str | None:
    if isinstance(value, Mapping):
        for k in ("accountId", "name", "key"):
            if value.get(k):
                return str(value[k])
        return None
    return None if value is None else str(value)


def first_multifield(value: Any) -> Any:
    """Bitrix24 multi-fields (EMAIL, PHONE) are ``[{"VALUE": ..., "VALUE_TYPE": ...}]``; take the first."""
    if isinstance(value, list) and value and isinstance(value[0], Mapping) and "VALUE" in value[0]:
        return value[0]["VALUE"]
    return value


def text_of(value: Any, meta: FieldMeta | None = None) -> str:
    """A human-readable text of a raw value (for templates and text targets)."""
    value = first_multifield(value)
    if value is None:
        return ""
    if isinstance(value, Mapping):
        for k in ("value", "name", "displayName", "VALUE", "NAME", "TITLE", "emailAddress", "key", "id", "ID"):
            if value.get(k) not in (None, ""):
                return str(value[k])
        return ""
    if isinstance(value, list):
        return ", ".join(t for t in (text_of(v, meta) for v in value) if t)
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, float):
        return format_number(value)
    if meta is not None and meta.options:
        option = meta.option_by_id(str(value))
        if option is not None:
            return option.label
    if meta is not None and meta.type is FieldType.MONEY and isinstance(value, str) and "|" in value:
        amount, currency = parse_money(value)
        return f"{format_number(amount)} {currency or ''}".strip()
    return str(value)


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, list):  # a JIRA checkbox with one option ticked counts as yes
        return bool(value)
    text = text_of(value).strip().casefold()
    if text in ("y", "yes", "true", "1", "да", "on"):
        return True
    if text in ("n", "no", "false", "0", "нет", "off", ""):
        return False
    raise TransformError(f"{value!r} is not a yes/no value")
