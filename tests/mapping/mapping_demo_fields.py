"""Field metadata the twins' demo seeds are expected to offer, shared by the mapping tests.

This is the contract with the JIRA and Bitrix24 twins: purchase requests (PROC), the customer and
contact project CRM, the product catalogue project CAT, JIRA projects themselves, and Bitrix24 deals,
companies, contacts, products and the "Проекты" smart process (entityTypeId 1032).
"""

from __future__ import annotations

from pathlib import Path

from sync_engine.fieldtypes import FieldMeta, FieldType, Option
from sync_engine.sandbox.seed_catalog import DEAL_STAGES, PRODUCTS, PURCHASE_STATUSES

DEMO = Path(__file__).resolve().parents[2] / "resources" / "profiles" / "demo"
CURRENCIES = (Option("RUB", "Российский рубль"), Option("USD", "Доллар США"), Option("EUR", "Евро"))

# The fields the twins' demo seeds describe for purchase requests and deals.
JIRA_PROC = [
    FieldMeta("summary", "Summary", FieldType.TEXT, required=True),
    FieldMeta("key", "Key", FieldType.TEXT, read_only=True),
    FieldMeta("description", "Description", FieldType.TEXT),
    FieldMeta("project", "Project", FieldType.REFERENCE, required=True),
    FieldMeta("issuetype", "Issue Type", FieldType.ENUM, required=True),
    FieldMeta("status", "Status", FieldType.ENUM, system_type="status",
              options=tuple(Option(str(1 + i), n) for i, (n, _) in enumerate(PURCHASE_STATUSES))),
    FieldMeta("assignee", "Assignee", FieldType.USER),
    FieldMeta("customfield_10100", "Заказчик", FieldType.TEXT),
    FieldMeta("customfield_10101", "Сумма", FieldType.NUMBER),
    FieldMeta("customfield_10102", "Дистрибьютор", FieldType.TEXT),
    FieldMeta("customfield_10103", "Bitrix24 deal id", FieldType.TEXT),
    FieldMeta("customfield_10104", "Валюта", FieldType.ENUM,
              options=(Option("10200", "RUB"), Option("10201", "USD"), Option("10202", "EUR"))),
    FieldMeta("customfield_10105", "Продукт", FieldType.ENUM,
              options=tuple(Option(str(10300 + i), p.name) for i, p in enumerate(PRODUCTS))),
    FieldMeta("customfield_10106", "Дата закрытия", FieldType.DATE),
]
B24_DEAL = [
    FieldMeta("ID", "ID", FieldType.NUMBER, read_only=True, system_type="integer"),
    FieldMeta("TITLE", "Название", FieldType.TEXT, required=True, system_type="string"),
    FieldMeta("OPPORTUNITY", "Сумма", FieldType.MONEY, system_type="double"),
    FieldMeta("CURRENCY_ID", "Валюта", FieldType.ENUM, system_type="crm_currency", options=CURRENCIES),
    FieldMeta("COMPANY_ID", "Компания", FieldType.REFERENCE, system_type="crm_company", reference="company"),
    FieldMeta("CLOSEDATE", "Дата завершения", FieldType.DATE, system_type="date"),
    FieldMeta("STAGE_ID", "Стадия сделки", FieldType.ENUM, system_type="crm_status",
              options=tuple(Option(s, n) for s, n, _ in DEAL_STAGES)),
    FieldMeta("ASSIGNED_BY_ID", "Ответственный", FieldType.USER, system_type="user"),
    FieldMeta("COMMENTS", "Комментарий", FieldType.TEXT, system_type="text"),
    FieldMeta("DATE_CREATE", "Дата создания", FieldType.DATETIME, read_only=True, system_type="datetime"),
    FieldMeta("UF_CRM_DISTRIBUTOR", "Дистрибьютор", FieldType.REFERENCE, system_type="crm", reference="company"),
    FieldMeta("UF_CRM_JIRA_KEY", "Ключ JIRA", FieldType.TEXT, system_type="string"),
    FieldMeta("UF_CRM_DEAL_KIND", "Вид сделки", FieldType.ENUM, system_type="enumeration",
              options=(Option("81", "Лицензия"), Option("82", "Поддержка"), Option("83", "Услуги"))),
    FieldMeta("UF_CRM_BUDGET", "Бюджет", FieldType.MONEY, system_type="money"),
]
T, N, E, U, R, B = FieldType.TEXT, FieldType.NUMBER, FieldType.ENUM, FieldType.USER, FieldType.REFERENCE, FieldType.BOOL
JIRA_CURRENCY = (Option("10200", "RUB"), Option("10201", "USD"), Option("10202", "EUR"))


def f(fid: str, label: str, t: FieldType, **kw: object) -> FieldMeta:
    return FieldMeta(fid, label, t, **kw)  # type: ignore[arg-type]


JIRA_ISSUE_BASE = [
    f("summary", "Summary", T, required=True), f("key", "Key", T, read_only=True),
    f("description", "Description", T), f("project", "Project", R, required=True),
    f("issuetype", "Issue Type", E, required=True), f("assignee", "Assignee", U),
    f("status", "Status", E, system_type="status", options=(Option("1", "Открыт"), Option("2", "Закрыт"))),
]
JIRA_CRM_COMPANY = [
    *JIRA_ISSUE_BASE,
    f("customfield_10130", "ИНН", T),
    f("customfield_10131", "Тип компании", E, options=tuple(
        Option(str(10400 + i), v)
        for i, v in enumerate(["Клиент", "Партнёр", "Интегратор", "Госорган", "Разработчик"])
    )),
    f("customfield_10132", "Статус в Bitrix24", T),
]
JIRA_CRM_CONTACT = [
    *JIRA_ISSUE_BASE,
    f("customfield_10120", "Имя", T), f("customfield_10121", "Фамилия", T), f("customfield_10122", "Email", T),
    f("customfield_10123", "Телефон", T), f("customfield_10124", "Должность", T), f("customfield_10125", "Компания", T),
]
JIRA_CAT_PRODUCT = [
    *JIRA_ISSUE_BASE,
    f("customfield_10110", "Артикул", T), f("customfield_10111", "Цена", N),
    f("customfield_10112", "Валюта", E, options=JIRA_CURRENCY),
]
JIRA_PROJECT = [
    f("key", "Key", T, read_only=True), f("name", "Name", T, required=True), f("description", "Description", T),
    f("lead", "Project lead", U),
]
B24_COMPANY = [
    f("ID", "ID", N, read_only=True), f("TITLE", "Название компании", T, required=True),
    f("COMPANY_TYPE", "Тип компании", E, system_type="crm_status", options=tuple(
        Option(k, k.title()) for k in ("CUSTOMER", "PARTNER", "INTEGRATOR", "GOVERNMENT", "DEVELOPER"))),
    f("UF_CRM_INN", "ИНН", T, system_type="string"), f("ASSIGNED_BY_ID", "Ответственный", U, system_type="user"),
]
B24_CONTACT = [
    f("ID", "ID", N, read_only=True), f("NAME", "Имя", T), f("LAST_NAME", "Фамилия", T), f("POST", "Должность", T),
    f("EMAIL", "E-mail", T, system_type="crm_multifield", multiple=True),
    f("PHONE", "Телефон", T, system_type="crm_multifield", multiple=True),
    f("COMPANY_ID", "Компания", R, system_type="crm_company", reference="company"),
]
B24_PRODUCT = [
    f("ID", "ID", N, read_only=True), f("NAME", "Название", T, required=True),
    f("PRICE", "Цена", FieldType.MONEY, system_type="double"),
    f("CURRENCY_ID", "Валюта", E, system_type="crm_currency", options=CURRENCIES),
    f("XML_ID", "Внешний код", T, system_type="string"), f("DESCRIPTION", "Описание", T, system_type="string"),
    f("ACTIVE", "Активен", B, system_type="char"),
]
B24_PROJECT_ITEM = [
    f("id", "ID", N, read_only=True), f("title", "Название", T, required=True),
    f("assignedById", "Ответственный", U, system_type="user"),
    f("ufCrm1JiraProject", "Ключ проекта JIRA", T, system_type="string"),
    f("ufCrm1Description", "Описание", T, system_type="string"),
    f("ufCrm1Archived", "В архиве", B, system_type="boolean"),
]
FIELDS = {
    "purchase-requests": (JIRA_PROC, B24_DEAL),
    "companies": (JIRA_CRM_COMPANY, B24_COMPANY),
    "contacts": (JIRA_CRM_CONTACT, B24_CONTACT),
    "products": (JIRA_CAT_PRODUCT, B24_PRODUCT),
    "projects": (JIRA_PROJECT, B24_PROJECT_ITEM),
}
