"""Field lists and helpers for the mapping constructor tests: the demo purchase requests and deals."""

from __future__ import annotations

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QGraphicsItem

from sync_engine.fieldtypes import FieldMeta, FieldType, Option
from sync_engine.profiles.schema import Bitrix24Side, FieldMapping, JiraSide, Profile
from sync_engine.sandbox.seed_catalog import DEAL_STAGES, PURCHASE_STATUSES
from widgets.mapping.widget import MappingConstructor

JIRA_PROC = [
    FieldMeta("summary", "Summary", FieldType.TEXT, required=True),
    FieldMeta("key", "Key", FieldType.TEXT, read_only=True),
    FieldMeta("description", "Description", FieldType.TEXT),
    FieldMeta("status", "Status", FieldType.ENUM, system_type="status",
              options=tuple(Option(str(1 + i), n) for i, (n, _) in enumerate(PURCHASE_STATUSES))),
    FieldMeta("assignee", "Assignee", FieldType.USER),
    FieldMeta("customfield_10100", "Заказчик", FieldType.TEXT),
    FieldMeta("customfield_10101", "Сумма", FieldType.NUMBER),
    FieldMeta("customfield_10102", "Дистрибьютор", FieldType.TEXT),
    FieldMeta("customfield_10104", "Валюта", FieldType.ENUM,
              options=(Option("10200", "RUB"), Option("10201", "USD"), Option("10202", "EUR"))),
    FieldMeta("customfield_10106", "Дата закрытия", FieldType.DATE),
]
B24_DEAL = [
    FieldMeta("ID", "ID", FieldType.NUMBER, read_only=True, system_type="integer"),
    FieldMeta("TITLE", "Название", FieldType.TEXT, required=True, system_type="string"),
    FieldMeta("OPPORTUNITY", "Сумма", FieldType.MONEY, system_type="double"),
    FieldMeta("CURRENCY_ID", "Валюта", FieldType.ENUM, system_type="crm_currency",
              options=(Option("RUB", "Российский рубль"), Option("USD", "Доллар США"), Option("EUR", "Евро"))),
    FieldMeta("STAGE_ID", "Стадия сделки", FieldType.ENUM, system_type="crm_status",
              options=tuple(Option(s, n) for s, n, _ in DEAL_STAGES)),
    FieldMeta("ASSIGNED_BY_ID", "Ответственный", FieldType.USER, system_type="user"),
    FieldMeta("CLOSEDATE", "Дата завершения", FieldType.DATE, system_type="date"),
    FieldMeta("UF_CRM_DISTRIBUTOR", "Дистрибьютор", FieldType.REFERENCE, system_type="crm", reference="company"),
    FieldMeta("COMMENTS", "Комментарий", FieldType.TEXT, system_type="text"),
    FieldMeta("DATE_CREATE", "Дата создания", FieldType.DATETIME, read_only=True, system_type="datetime"),
]


def purchase_profile(mappings: list[FieldMapping] | None = None) -> Profile:
    return Profile(
        name="purchase-requests", title="Заявки на закупку ↔ сделки",
        jira=JiraSide(projects=["PROC"], issue_types=["Purchase request"]),
        bitrix24=Bitrix24Side(entity="deal", category_id=0),
        create_in="bitrix24",
        mappings=mappings or [],
    )



def viewport_point(widget: MappingConstructor, item: QGraphicsItem) -> QPoint:
    """Centre of ``item`` in the canvas viewport's coordinates (scrolled into view first)."""
    widget.view.ensureVisible(item)
    return widget.view.mapFromScene(item.sceneBoundingRect().center())
