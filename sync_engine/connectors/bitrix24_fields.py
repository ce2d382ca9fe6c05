"""Normalising Bitrix24 ``crm.*.fields`` / ``crm.item.fields`` answers into :class:`FieldMeta`.

Decisions worth knowing:
- ``char`` is how legacy CRM methods declare Y/N flags (OPENED, CLOSED, IS_NEW, HAS_PHONE...), but
  also a few one-letter codes (STAGE_SEMANTIC_ID = P/S/F). Flags are recognised by name.
- The deal amount is a ``double`` (OPPORTUNITY) paired with CURRENCY_ID; we call it MONEY and name
  the currency field in ``raw["currency_field"]`` so a mapping can move amount and currency together.
  UF fields of type ``money`` carry both in one value ("100|RUB") and are MONEY too.
- ``isImmutable`` (settable on create only, e.g. CATEGORY_ID) does not make a field read-only; it is
  kept in ``raw`` for writers that need it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sync_engine.fieldtypes import FieldMeta, FieldType, Option

_SIMPLE: dict[str, FieldType] = {
    "string": FieldType.TEXT,
    "text": FieldType.TEXT,
    "url": FieldType.TEXT,
    "address": FieldType.TEXT,
    "location": FieldType.TEXT,
    "crm_multifield": FieldType.TEXT,
    "integer": FieldType.NUMBER,
    "double": FieldType.NUMBER,
    "float": FieldType.NUMBER,
    "money": FieldType.MONEY,
    "date": FieldType.DATE,
    "datetime": FieldType.DATETIME,
    "boolean": FieldType.BOOL,
    "user": FieldType.USER,
    "employee": FieldType.USER,
}
_ENUMS = {"crm_status", "enumeration", "crm_category", "crm_currency", "crm_lead_status"}
_REFERENCES = {
    "crm_company": "company",
    "crm_contact": "contact",
    "crm_lead": "lead",
    "crm_deal": "deal",
    "crm_quote": "quote",
    "crm_entity": "crm",
}
_UF_CRM_SETTING_TO_ENTITY = {"LEAD": "lead", "CONTACT": "contact", "COMPANY": "company", "DEAL": "deal"}
_FLAG_NAME = re.compile(r"^(IS_|HAS_)|^(OPENED|CLOSED|EXPORT|ACTIVE|VAT_INCLUDED)$", re.IGNORECASE)

# Amount fields and the currency field that gives them meaning, per entity (legacy and crm.item names).
MONEY_PAIRS: dict[str, tuple[str, str]] = {
    "deal": ("OPPORTUNITY", "CURRENCY_ID"),
    "lead": ("OPPORTUNITY", "CURRENCY_ID"),
    "product": ("PRICE", "CURRENCY_ID"),
    "item": ("opportunity", "currencyId"),
}


def label_of(field_id: str, raw: Mapping[str, Any]) -> str:
    for key in ("formLabel", "listLabel", "filterLabel", "title"):
        value = raw.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return field_id


def _crm_reference(raw: Mapping[str, Any]) -> str:
    """A UF of type ``crm`` may point at several entity kinds (values then look like "CO_3")."""
    settings = raw.get("settings")
    if isinstance(settings, Mapping):
        enabled = [
            entity
            for flag, entity in _UF_CRM_SETTING_TO_ENTITY.items()
            if str(settings.get(flag, "N")) == "Y"
        ]
        if len(enabled) == 1:
            return enabled[0]
    return "crm"


def _enum_items(raw: Mapping[str, Any]) -> tuple[Option, ...]:
    items = raw.get("items")
    if not isinstance(items, list):
        return ()
    return tuple(
        Option(id=str(it.get("ID", it.get("id", ""))), label=str(it.get("VALUE", it.get("value", ""))))
        for it in items
        if isinstance(it, Mapping)
    )


def normalise_field(
    field_id: str,
    raw: Mapping[str, Any],
    *,
    entity: str,
    options: tuple[Option, ...] = (),
) -> FieldMeta:
    """One field; ``options`` are looked-up choices (stages, categories, currencies) if any."""
    system_type = str(raw.get("type", ""))
    multiple = bool(raw.get("isMultiple", False))
    reference: str | None = None
    extra: dict[str, Any] = {}
    money_pair = MONEY_PAIRS.get(entity)

    if money_pair is not None and field_id == money_pair[0]:
        ftype = FieldType.MONEY
        extra["currency_field"] = money_pair[1]
    elif system_type == "char":
        ftype = FieldType.BOOL if _FLAG_NAME.search(field_id) else FieldType.TEXT
    elif system_type in _ENUMS:
        ftype = FieldType.MULTI_ENUM if multiple else FieldType.ENUM
        options = options or _enum_items(raw)
    elif system_type in _REFERENCES:
        ftype = FieldType.REFERENCE
        reference = _REFERENCES[system_type]
    elif system_type == "crm":
        ftype = FieldType.REFERENCE
        reference = _crm_reference(raw)
    else:
        ftype = _SIMPLE.get(system_type, FieldType.UNKNOWN)

    return FieldMeta(
        id=field_id,
        label=label_of(field_id, raw),
        type=ftype,
        required=bool(raw.get("isRequired", False)),
        read_only=bool(raw.get("isReadOnly", False)),
        multiple=multiple,
        options=options,
        reference=reference,
        system_type=system_type,
        raw={**dict(raw), **extra},
    )


def status_type_for(field_raw: Mapping[str, Any], category_id: int | None) -> str | None:
    """The ``crm.status.list`` ENTITY_ID holding a crm_status field's choices.

    Deal stages of pipeline N live under ``DEAL_STAGE_N``; the default pipeline (0) under ``DEAL_STAGE``.
    """
    status_type = field_raw.get("statusType")
    if not isinstance(status_type, str) or not status_type:
        return None
    if status_type == "DEAL_STAGE" and category_id:
        return f"DEAL_STAGE_{category_id}"
    return status_type


def status_options(rows: Any) -> tuple[Option, ...]:
    """Options from ``crm.status.list`` rows, in the portal's SORT order."""
    if not isinstance(rows, list):
        return ()

    def sort_key(row: Mapping[str, Any]) -> tuple[int, str]:
        try:
            return int(row.get("SORT") or 0), str(row.get("STATUS_ID", ""))
        except (TypeError, ValueError):
            return 0, str(row.get("STATUS_ID", ""))

    good = [r for r in rows if isinstance(r, Mapping) and r.get("STATUS_ID") is not None]
    return tuple(
        Option(id=str(r["STATUS_ID"]), label=str(r.get("NAME", r["STATUS_ID"])))
        for r in sorted(good, key=sort_key)
    )


def currency_options(rows: Any) -> tuple[Option, ...]:
    if not isinstance(rows, list):
        return ()
    return tuple(
        Option(id=str(r["CURRENCY"]), label=str(r.get("FULL_NAME") or r["CURRENCY"]))
        for r in rows
        if isinstance(r, Mapping) and r.get("CURRENCY")
    )


def category_options(result: Any) -> tuple[Option, ...]:
    """``crm.category.list`` answers ``{"categories": [{"id": 0, "name": "General"}, ...]}``."""
    rows = result.get("categories") if isinstance(result, Mapping) else result
    if not isinstance(rows, list):
        return ()
    return tuple(
        Option(id=str(r.get("id", r.get("ID"))), label=str(r.get("name", r.get("NAME", ""))))
        for r in rows
        if isinstance(r, Mapping) and (r.get("id", r.get("ID")) is not None)
    )
