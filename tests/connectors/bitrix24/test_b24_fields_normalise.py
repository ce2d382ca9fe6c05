"""Normalising ``crm.deal.fields``-shaped metadata (samples from the official docs) into FieldMeta."""

from __future__ import annotations

from typing import Any

from sync_engine.connectors.bitrix24_fields import (
    category_options,
    normalise_field,
    status_options,
    status_type_for,
)
from sync_engine.fieldtypes import FieldType, Option

STAGE = {"type": "crm_status", "isRequired": False, "isReadOnly": False, "isImmutable": False,
         "isMultiple": False, "isDynamic": False, "statusType": "DEAL_STAGE", "title": "Deal Stage"}


def test_types_of_standard_deal_fields() -> None:
    cases: dict[str, tuple[dict[str, Any], FieldType]] = {
        "TITLE": ({"type": "string", "title": "Name"}, FieldType.TEXT),
        "PROBABILITY": ({"type": "integer", "title": "Probability"}, FieldType.NUMBER),
        "OPPORTUNITY": ({"type": "double", "title": "Amount"}, FieldType.MONEY),
        "TAX_VALUE": ({"type": "double", "title": "Tax"}, FieldType.NUMBER),
        "BEGINDATE": ({"type": "date", "title": "Start"}, FieldType.DATE),
        "DATE_MODIFY": ({"type": "datetime", "isReadOnly": True, "title": "Modified"}, FieldType.DATETIME),
        "OPENED": ({"type": "char", "title": "Available to everyone"}, FieldType.BOOL),
        "IS_NEW": ({"type": "char", "isReadOnly": True, "title": "New"}, FieldType.BOOL),
        "STAGE_SEMANTIC_ID": ({"type": "char", "isReadOnly": True, "title": "Stage group"}, FieldType.TEXT),
        "ASSIGNED_BY_ID": ({"type": "user", "title": "Responsible"}, FieldType.USER),
        "CURRENCY_ID": ({"type": "crm_currency", "title": "Currency"}, FieldType.ENUM),
        "CATEGORY_ID": ({"type": "crm_category", "isImmutable": True, "title": "Pipeline"}, FieldType.ENUM),
        "COMPANY_ID": ({"type": "crm_company", "title": "Company"}, FieldType.REFERENCE),
        "CONTACT_IDS": ({"type": "crm_contact", "isMultiple": True}, FieldType.REFERENCE),
        "LOCATION_ID": ({"type": "location", "title": "Location"}, FieldType.TEXT),
        "UF_CRM_FILE": ({"type": "file", "title": "UF_CRM_FILE"}, FieldType.UNKNOWN),
    }
    for field_id, (raw, expected) in cases.items():
        meta = normalise_field(field_id, raw, entity="deal")
        assert meta.type is expected, field_id
        assert meta.system_type == raw["type"]
    amount = normalise_field("OPPORTUNITY", cases["OPPORTUNITY"][0], entity="deal")
    assert amount.raw["currency_field"] == "CURRENCY_ID"
    assert normalise_field("COMPANY_ID", {"type": "crm_company"}, entity="deal").reference == "company"
    contacts = normalise_field("CONTACT_IDS", {"type": "crm_contact", "isMultiple": True}, entity="deal")
    assert contacts.reference == "contact" and contacts.multiple
    category = normalise_field("CATEGORY_ID", {"type": "crm_category", "isImmutable": True}, entity="deal")
    assert not category.read_only and category.raw["isImmutable"] is True


def test_user_fields_labels_enumerations_and_crm_links() -> None:
    enum_raw = {"type": "enumeration", "isRequired": True, "isMultiple": False, "title": "UF_CRM_KIND",
                "listLabel": "Kind (list)", "formLabel": "Kind",
                "items": [{"ID": "79", "VALUE": "Hardware"}, {"ID": "80", "VALUE": "Services"}]}
    meta = normalise_field("UF_CRM_KIND", enum_raw, entity="deal")
    assert meta.type is FieldType.ENUM and meta.required and meta.label == "Kind"
    assert meta.options == (Option("79", "Hardware"), Option("80", "Services"))
    assert meta.option_by_label("services") == Option("80", "Services")
    multi = normalise_field("UF_CRM_TAGS", {**enum_raw, "isMultiple": True}, entity="deal")
    assert multi.type is FieldType.MULTI_ENUM and multi.multiple

    company_only = {"type": "crm", "title": "UF_CRM_CUSTOMER", "listLabel": "Customer",
                    "settings": {"LEAD": "N", "CONTACT": "N", "COMPANY": "Y", "DEAL": "N"}}
    link = normalise_field("UF_CRM_CUSTOMER", company_only, entity="deal")
    assert link.type is FieldType.REFERENCE and link.reference == "company" and link.label == "Customer"
    mixed = {**company_only, "settings": {"CONTACT": "Y", "COMPANY": "Y"}}
    assert normalise_field("UF_CRM_ANY", mixed, entity="deal").reference == "crm"
    assert normalise_field("UF_CRM_MGR", {"type": "employee"}, entity="deal").type is FieldType.USER
    assert normalise_field("UF_CRM_FLAG", {"type": "boolean"}, entity="deal").type is FieldType.BOOL
    assert normalise_field("UF_CRM_SUM", {"type": "money"}, entity="deal").type is FieldType.MONEY
    assert normalise_field("X", {"type": "string"}, entity="deal").label == "X"


def test_stage_lookup_follows_the_pipeline_and_sorts_options() -> None:
    assert status_type_for(STAGE, None) == "DEAL_STAGE"
    assert status_type_for(STAGE, 0) == "DEAL_STAGE"
    assert status_type_for(STAGE, 3) == "DEAL_STAGE_3"
    assert status_type_for({"type": "crm_status", "statusType": "SOURCE"}, 3) == "SOURCE"
    assert status_type_for({"type": "crm_status"}, None) is None
    rows = [
        {"STATUS_ID": "WON", "NAME": "Won", "SORT": "60"},
        {"STATUS_ID": "NEW", "NAME": "New", "SORT": "10"},
        {"STATUS_ID": "PREPARATION", "NAME": "Preparation", "SORT": "20"},
    ]
    options = status_options(rows)
    assert [o.id for o in options] == ["NEW", "PREPARATION", "WON"]
    stage = normalise_field("STAGE_ID", STAGE, entity="deal", options=options)
    assert stage.type is FieldType.ENUM and stage.options == options and stage.label == "Deal Stage"
    assert category_options({"categories": [{"id": 0, "name": "General"}]}) == (Option("0", "General"),)
