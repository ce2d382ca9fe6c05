"""Field catalogues of the CRM entities the twin stores, and the legacy <-> camelCase name mapping.

One definition drives storage columns, ``*.fields`` answers, value typing and the ``crm.item``
view, so the legacy and universal APIs cannot drift apart on the same deal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Bitrix type -> storage kind used by values/typing code.
_INT_TYPES = {"integer", "user", "crm_company", "crm_contact", "crm_lead", "crm_quote", "crm_category",
              "employee", "enumeration"}
_TEXT_TYPES = {"string", "crm_status", "crm_currency", "location", "url", "money", "crm", "char_text"}


@dataclass
class FieldDef:
    name: str
    type: str
    title: str
    read_only: bool = False
    immutable: bool = False
    required: bool = False
    multiple: bool = False
    status_type: str | None = None
    money: bool = False  # legacy answers "1000.00"
    camel: str | None = None
    write_only: bool = False
    uf: bool = False
    uf_id: int | None = None
    labels: dict[str, str] = field(default_factory=dict)
    items: list[dict[str, str]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def storage(self) -> str:
        if self.multiple:
            return "json"
        if self.type in _INT_TYPES:
            return "int"
        if self.type == "double":
            return "float"
        if self.type == "char":
            return "yn"
        if self.type == "boolean":
            return "bool01"
        if self.type in ("date", "datetime"):
            return self.type
        return "text"

    @property
    def sql_type(self) -> str:
        return {"int": "INTEGER", "float": "REAL", "bool01": "INTEGER"}.get(self.storage, "TEXT")


@dataclass
class EntityKind:
    """One CRM entity type: table, fields, event names and how timestamps/authors are named."""

    key: str  # "deal", "contact", "company", "product", "spa1032"
    table: str
    entity_type_id: int
    uf_entity_id: str | None  # CRM_DEAL / CRM_CONTACT / CRM_COMPANY / CRM_1 (SPA)
    event_prefix: str  # ONCRMDEAL
    core: list[FieldDef]
    created_field: str
    modified_field: str
    created_by: str
    modified_by: str
    multifields: tuple[str, ...] = ()
    title_field: str = "TITLE"
    uf_prefix: str = "UF_CRM_"
    stage_field: str = "STAGE_ID"
    camel_overrides: dict[str, str] = field(default_factory=dict)

    def core_map(self) -> dict[str, FieldDef]:
        return {f.name: f for f in self.core}


_CAMEL_OVERRIDES = {
    "CREATED_BY_ID": "createdBy",
    "MODIFY_BY_ID": "updatedBy",
    "MOVED_BY_ID": "movedBy",
    "DATE_CREATE": "createdTime",
    "DATE_MODIFY": "updatedTime",
    "CLOSEDATE": "closedate",
    "BEGINDATE": "begindate",
    "CONTACT_IDS": "contactIds",
}


def _camelize(parts: list[str]) -> str:
    out = ""
    for part in parts:
        if not part:
            continue
        out += ("_" + part.lower()) if part[0].isdigit() else part[0].upper() + part[1:].lower()
    return out


def camel_name(name: str, uf_prefix: str = "UF_CRM_") -> str:
    """``STAGE_ID`` -> ``stageId``; ``UF_CRM_JIRA_KEY`` -> ``ufCrmJiraKey``; ``UF_CRM_1721244707107`` ->
    ``ufCrm_1721244707107``; SPA ``UF_CRM_2_1639669411830`` -> ``ufCrm2_1639669411830`` (as the portal)."""
    if name in _CAMEL_OVERRIDES:
        return _CAMEL_OVERRIDES[name]
    if name.startswith(uf_prefix) and name.startswith("UF_CRM_"):
        spa_part = uf_prefix[len("UF_CRM_"):].strip("_")
        return "ufCrm" + spa_part + _camelize(name[len(uf_prefix):].split("_"))
    parts = [p for p in name.split("_") if p]
    if not parts:
        return name.lower()
    return parts[0].lower() + _camelize(parts[1:])


def _f(name: str, type_: str, title: str, **kw: Any) -> FieldDef:
    return FieldDef(name, type_, title, **kw)


def _ro(name: str, type_: str, title: str, **kw: Any) -> FieldDef:
    return FieldDef(name, type_, title, read_only=True, **kw)


_UTM = [_f(n, "string", n) for n in ("UTM_SOURCE", "UTM_MEDIUM", "UTM_CAMPAIGN", "UTM_CONTENT", "UTM_TERM")]


def deal_kind() -> EntityKind:
    core = [
        _ro("ID", "integer", "ID"),
        _f("TITLE", "string", "Название"),
        _f("TYPE_ID", "crm_status", "Тип", status_type="DEAL_TYPE"),
        _f("CATEGORY_ID", "crm_category", "Воронка", immutable=True),
        _f("STAGE_ID", "crm_status", "Стадия сделки", status_type="DEAL_STAGE"),
        _ro("STAGE_SEMANTIC_ID", "string", "Группа стадий"),
        _ro("IS_NEW", "char", "Новая сделка"),
        _f("IS_RECURRING", "char", "Регулярная сделка"),
        _f("IS_RETURN_CUSTOMER", "char", "Повторная сделка"),
        _f("IS_REPEATED_APPROACH", "char", "Повторное обращение"),
        _f("PROBABILITY", "integer", "Вероятность"),
        _f("CURRENCY_ID", "crm_currency", "Валюта"),
        _f("OPPORTUNITY", "double", "Сумма", money=True),
        _f("IS_MANUAL_OPPORTUNITY", "char", "Сумма заполняется вручную"),
        _f("TAX_VALUE", "double", "Ставка налога", money=True),
        _f("LEAD_ID", "crm_lead", "Лид"),
        _f("COMPANY_ID", "crm_company", "Компания"),
        _f("CONTACT_ID", "crm_contact", "Контакт"),
        _f("CONTACT_IDS", "crm_contact", "Контакты", multiple=True, write_only=True),
        _f("QUOTE_ID", "crm_quote", "Предложение"),
        _f("BEGINDATE", "date", "Дата начала"),
        _f("CLOSEDATE", "date", "Дата завершения"),
        _f("ASSIGNED_BY_ID", "user", "Ответственный"),
        _ro("CREATED_BY_ID", "user", "Кем создана"),
        _ro("MODIFY_BY_ID", "user", "Кем изменена"),
        _ro("MOVED_BY_ID", "user", "Кем перемещена"),
        _ro("DATE_CREATE", "datetime", "Дата создания"),
        _ro("DATE_MODIFY", "datetime", "Дата изменения"),
        _ro("MOVED_TIME", "datetime", "Дата перемещения"),
        _f("OPENED", "char", "Доступна для всех"),
        _f("CLOSED", "char", "Завершена"),
        _f("COMMENTS", "string", "Комментарий"),
        _f("ADDITIONAL_INFO", "string", "Дополнительная информация"),
        _f("LOCATION_ID", "location", "Местоположение"),
        _f("SOURCE_ID", "crm_status", "Источник", status_type="SOURCE"),
        _f("SOURCE_DESCRIPTION", "string", "Дополнительно об источнике"),
        _f("ORIGINATOR_ID", "string", "Внешний источник"),
        _f("ORIGIN_ID", "string", "Идентификатор элемента во внешнем источнике"),
        *_UTM,
        _ro("LAST_ACTIVITY_TIME", "datetime", "Последняя активность"),
        _ro("LAST_ACTIVITY_BY", "user", "Автор последней активности"),
    ]
    return EntityKind("deal", "deal", 2, "CRM_DEAL", "ONCRMDEAL", core, "DATE_CREATE", "DATE_MODIFY",
                      "CREATED_BY_ID", "MODIFY_BY_ID")


def _person_common() -> list[FieldDef]:
    return [
        _f("OPENED", "char", "Доступен для всех"),
        _f("COMMENTS", "string", "Комментарий"),
        _ro("HAS_PHONE", "char", "Задан телефон"),
        _ro("HAS_EMAIL", "char", "Задан e-mail"),
        _f("ASSIGNED_BY_ID", "user", "Ответственный"),
        _ro("CREATED_BY_ID", "user", "Кем создан"),
        _ro("MODIFY_BY_ID", "user", "Кем изменён"),
        _ro("DATE_CREATE", "datetime", "Дата создания"),
        _ro("DATE_MODIFY", "datetime", "Дата изменения"),
        _f("LEAD_ID", "crm_lead", "Лид"),
        _f("ORIGINATOR_ID", "string", "Внешний источник"),
        _f("ORIGIN_ID", "string", "Идентификатор во внешнем источнике"),
        *_UTM,
        _ro("LAST_ACTIVITY_TIME", "datetime", "Последняя активность"),
        _f("PHONE", "crm_multifield", "Телефон", multiple=True),
        _f("EMAIL", "crm_multifield", "E-mail", multiple=True),
        _f("WEB", "crm_multifield", "Сайт", multiple=True),
        _f("IM", "crm_multifield", "Мессенджер", multiple=True),
    ]


def lead_kind() -> EntityKind:
    core = [
        _ro("ID", "integer", "ID"),
        _f("TITLE", "string", "Название лида"),
        _f("HONORIFIC", "crm_status", "Обращение", status_type="HONORIFIC"),
        _f("NAME", "string", "Имя"),
        _f("SECOND_NAME", "string", "Отчество"),
        _f("LAST_NAME", "string", "Фамилия"),
        _f("BIRTHDATE", "date", "Дата рождения"),
        _f("COMPANY_TITLE", "string", "Название компании"),
        _f("SOURCE_ID", "crm_status", "Источник", status_type="SOURCE"),
        _f("SOURCE_DESCRIPTION", "string", "Дополнительно об источнике"),
        _f("STATUS_ID", "crm_status", "Стадия", status_type="STATUS"),
        _f("STATUS_DESCRIPTION", "string", "Дополнительно о стадии"),
        _ro("STATUS_SEMANTIC_ID", "string", "Состояние статуса"),
        _f("POST", "string", "Должность"),
        _f("ADDRESS", "string", "Адрес"),
        _f("CURRENCY_ID", "crm_currency", "Валюта"),
        _f("OPPORTUNITY", "double", "Сумма", money=True),
        _f("IS_MANUAL_OPPORTUNITY", "char", "Сумма заполняется вручную"),
        _f("COMPANY_ID", "crm_company", "Компания"),
        _f("CONTACT_ID", "crm_contact", "Контакт"),
        _f("IS_RETURN_CUSTOMER", "char", "Повторный лид"),
        _ro("DATE_CLOSED", "datetime", "Дата закрытия"),
        *[f for f in _person_common() if f.name != "LEAD_ID"],
    ]
    return EntityKind("lead", "lead", 1, "CRM_LEAD", "ONCRMLEAD", core, "DATE_CREATE", "DATE_MODIFY",
                      "CREATED_BY_ID", "MODIFY_BY_ID", ("PHONE", "EMAIL", "WEB", "IM"),
                      stage_field="STATUS_ID",
                      camel_overrides={"STATUS_ID": "stageId", "STATUS_SEMANTIC_ID": "stageSemanticId"})


def contact_kind() -> EntityKind:
    core = [
        _ro("ID", "integer", "ID"),
        _f("HONORIFIC", "crm_status", "Обращение", status_type="HONORIFIC"),
        _f("NAME", "string", "Имя"),
        _f("SECOND_NAME", "string", "Отчество"),
        _f("LAST_NAME", "string", "Фамилия"),
        _f("BIRTHDATE", "date", "Дата рождения"),
        _f("TYPE_ID", "crm_status", "Тип контакта", status_type="CONTACT_TYPE"),
        _f("SOURCE_ID", "crm_status", "Источник", status_type="SOURCE"),
        _f("SOURCE_DESCRIPTION", "string", "Дополнительно об источнике"),
        _f("POST", "string", "Должность"),
        _f("ADDRESS", "string", "Адрес"),
        _f("EXPORT", "char", "Участвует в экспорте контактов"),
        _f("COMPANY_ID", "crm_company", "Компания"),
        *_person_common(),
    ]
    return EntityKind("contact", "contact", 3, "CRM_CONTACT", "ONCRMCONTACT", core, "DATE_CREATE",
                      "DATE_MODIFY", "CREATED_BY_ID", "MODIFY_BY_ID", ("PHONE", "EMAIL", "WEB", "IM"),
                      title_field="NAME")


def company_kind() -> EntityKind:
    core = [
        _ro("ID", "integer", "ID"),
        _f("TITLE", "string", "Название компании", required=True),
        _f("COMPANY_TYPE", "crm_status", "Тип компании", status_type="COMPANY_TYPE"),
        _f("INDUSTRY", "crm_status", "Сфера деятельности", status_type="INDUSTRY"),
        _f("EMPLOYEES", "crm_status", "Кол-во сотрудников", status_type="EMPLOYEES"),
        _f("CURRENCY_ID", "crm_currency", "Валюта"),
        _f("REVENUE", "double", "Годовой оборот", money=True),
        _f("ADDRESS", "string", "Адрес"),
        _f("IS_MY_COMPANY", "char", "Моя компания"),
        *_person_common(),
    ]
    return EntityKind("company", "company", 4, "CRM_COMPANY", "ONCRMCOMPANY", core, "DATE_CREATE",
                      "DATE_MODIFY", "CREATED_BY_ID", "MODIFY_BY_ID", ("PHONE", "EMAIL", "WEB", "IM"))


def product_kind() -> EntityKind:
    core = [
        _ro("ID", "integer", "ID"),
        _f("NAME", "string", "Название", required=True),
        _f("ACTIVE", "char", "Активен"),
        _f("PRICE", "double", "Цена", money=True),
        _f("CURRENCY_ID", "crm_currency", "Валюта"),
        _f("CATALOG_ID", "integer", "Каталог"),
        _f("SECTION_ID", "integer", "Раздел"),
        _f("SORT", "integer", "Сортировка"),
        _f("DESCRIPTION", "string", "Описание"),
        _f("DESCRIPTION_TYPE", "string", "Тип описания"),
        _f("MEASURE", "integer", "Единица измерения"),
        _f("VAT_ID", "integer", "Ставка НДС"),
        _f("VAT_INCLUDED", "char", "НДС включён в цену"),
        _f("XML_ID", "string", "Внешний код"),
        _ro("CREATED_BY", "user", "Кем создан"),
        _ro("MODIFIED_BY", "user", "Кем изменён"),
        _ro("DATE_CREATE", "datetime", "Дата создания"),
        _ro("TIMESTAMP_X", "datetime", "Дата изменения"),
    ]
    return EntityKind("product", "product", 0, None, "ONCRMPRODUCT", core, "DATE_CREATE", "TIMESTAMP_X",
                      "CREATED_BY", "MODIFIED_BY", title_field="NAME")


def spa_kind(entity_type_id: int, spa_id: int) -> EntityKind:
    """A smart process: stored like the legacy entities but only exposed through ``crm.item``."""
    core = [
        _ro("ID", "integer", "ID"),
        _f("XML_ID", "string", "Внешний код"),
        _f("TITLE", "string", "Название"),
        _f("CATEGORY_ID", "crm_category", "Воронка", immutable=True),
        _f("STAGE_ID", "crm_status", "Стадия", status_type=f"DYNAMIC_{entity_type_id}_STAGE"),
        _f("PREVIOUS_STAGE_ID", "crm_status", "Предыдущая стадия", read_only=True),
        _f("OPPORTUNITY", "double", "Сумма", money=True),
        _f("IS_MANUAL_OPPORTUNITY", "char", "Сумма заполняется вручную"),
        _f("CURRENCY_ID", "crm_currency", "Валюта"),
        _f("COMPANY_ID", "crm_company", "Компания"),
        _f("CONTACT_ID", "crm_contact", "Контакт"),
        _f("ASSIGNED_BY_ID", "user", "Ответственный"),
        _ro("CREATED_BY", "user", "Кем создан"),
        _ro("UPDATED_BY", "user", "Кем изменён"),
        _ro("MOVED_BY", "user", "Кем перемещён"),
        _ro("CREATED_TIME", "datetime", "Дата создания"),
        _ro("UPDATED_TIME", "datetime", "Дата изменения"),
        _ro("MOVED_TIME", "datetime", "Дата перемещения"),
        _f("BEGINDATE", "date", "Дата начала"),
        _f("CLOSEDATE", "date", "Дата завершения"),
        _f("OPENED", "char", "Доступен для всех"),
        _f("SOURCE_ID", "crm_status", "Источник", status_type="SOURCE"),
        _f("SOURCE_DESCRIPTION", "string", "Дополнительно об источнике"),
    ]
    return EntityKind(f"spa{entity_type_id}", f"spa_{entity_type_id}", entity_type_id, f"CRM_{spa_id}",
                      "ONCRMDYNAMICITEM", core, "CREATED_TIME", "UPDATED_TIME", "CREATED_BY", "UPDATED_BY",
                      uf_prefix=f"UF_CRM_{spa_id}_")
