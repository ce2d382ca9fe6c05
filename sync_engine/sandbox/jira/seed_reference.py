"""Demo reference data: companies and contacts in project CRM, products in project CAT.

They overlap the Bitrix24 twin's seed only in part, so the demo profiles have both work to do: about
half of the shared companies and products already exist here (to be matched), the rest only in
Bitrix24 (to be created), and a few records only in JIRA. Two companies deliberately differ from
Bitrix24 so each match rule is exercised: one has a short summary (matched by INN only), one has no
INN (matched by name only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sync_engine.sandbox import seed_catalog, seed_people
from sync_engine.sandbox.jira import catalog as c
from sync_engine.sandbox.jira.service import IssueService
from sync_engine.sandbox.jira.store import IssueRow

DAY_MS = 86_400_000
COMPANY_TYPE_LABELS = dict(c.COMPANY_TYPES)
# Every other shared company, in seed_catalog order.
JIRA_COMPANIES: tuple[seed_catalog.Company, ...] = seed_catalog.COMPANIES[::2]
SHORT_SUMMARY = {"ural-energo": "Уралэнергосбыт"}  # summary differs from the Bitrix24 title: INN matches
WITHOUT_INN = frozenset({"devstudio"})  # no INN in JIRA: only the name matches


@dataclass(frozen=True)
class DemoContact:
    first: str
    last: str
    email: str
    phone: str
    position: str
    company: str  # the company's title, as the contacts profile writes it
    in_bitrix24: bool  # the Bitrix24 twin's seed has a contact with this e-mail (case aside)


def _title(key: str) -> str:
    return next(co.title for co in seed_catalog.COMPANIES if co.key == key)


# The first three carry e-mails of contacts the Bitrix24 twin seeds (one in other letter case, to
# exercise the case-insensitive rule); the last two exist only in JIRA.
DEMO_CONTACTS: tuple[DemoContact, ...] = (
    DemoContact("Александр", "Иванов", "a.ivanov@minfin.example.ru", "+7 495 100-20-01", "Директор по ИТ",
                _title("minfin"), True),
    DemoContact("Евгений", "Титов", "E.Titov@severstal.example.ru", "+7 8202 55-10-02", "Руководитель проекта",
                _title("severstal"), True),
    DemoContact("Ольга", "Ершова", "o.ershova@volga-bank.example.ru", "+7 831 200-30-03", "Главный специалист",
                _title("volga-bank"), True),
    DemoContact("Дмитрий", "Соколов", "d.sokolov@ural-energo.example.ru", "+7 912 555-01-04",
                "Инженер по эксплуатации", _title("ural-energo"), False),
    DemoContact("Марина", "Лебедева", "m.lebedeva@medtech.example.ru", "+7 921 444-02-05",
                "Руководитель ИТ-отдела", _title("medtech"), False),
)
# Every other shared product, plus two that only the JIRA catalogue has.
JIRA_PRODUCTS: tuple[seed_catalog.Product, ...] = (
    *seed_catalog.PRODUCTS[::2],
    seed_catalog.Product("VS-MOB-DEV", "Вектор Мобильный клиент: лицензия на устройство", 6500.0),
    seed_catalog.Product("VS-CLOUD-MON", "Вектор Облако: подписка на месяц", 150.0, "USD", "Подписки"),
)


def _sales() -> tuple[str, ...]:
    return tuple(p.login for p in seed_people.PEOPLE if p.department in (8, 9, 10))


def _insert(service: IssueService, project: str, type_id: str, at: int, fields: dict[str, Any]) -> IssueRow:
    iid = service.next_issue_id()
    num = service.next_num(project)
    wf = service.cat.workflow_for(type_id)
    row = IssueRow(iid, f"{project}-{num}", project, num, type_id, wf.initial, at, at, fields)
    service.store.insert_issue(row)
    return row


def _base(summary: str, reporter: str, assignee: str | None, description: str | None = None) -> dict[str, Any]:
    return {"summary": summary, "description": description, "priority": "3", "assignee": assignee,
            "reporter": reporter, "creator": reporter, "labels": [], "duedate": None}


def seed_reference(service: IssueService, now: int) -> None:
    """Companies and contacts in CRM, products in CAT, created over the last weeks (no histories)."""
    integration = next(iter(service.cat.users))
    sales = _sales()
    for i, company in enumerate(JIRA_COMPANIES):
        fields = _base(SHORT_SUMMARY.get(company.key, company.title), integration, sales[i % len(sales)],
                       f"г. {company.city}")
        fields[c.CF_COMPANY_TYPE] = COMPANY_TYPE_LABELS[company.kind]
        if company.key not in WITHOUT_INN:
            fields[c.CF_INN] = company.inn
        _insert(service, "CRM", c.TYPE_COMPANY, now - (40 - i) * DAY_MS, fields)
    for i, person in enumerate(DEMO_CONTACTS):
        fields = _base(f"{person.last} {person.first}", sales[(i * 3) % len(sales)], None)
        fields.update({c.CF_FIRST_NAME: person.first, c.CF_LAST_NAME: person.last, c.CF_EMAIL: person.email,
                       c.CF_PHONE: person.phone, c.CF_POSITION: person.position, c.CF_COMPANY: person.company})
        _insert(service, "CRM", c.TYPE_CONTACT, now - (20 - i) * DAY_MS, fields)
    engineers = tuple(p.login for p in seed_people.PEOPLE if p.department in (4, 5))
    for i, product in enumerate(JIRA_PRODUCTS):
        fields = _base(product.name, engineers[i % len(engineers)], None, f"Раздел каталога: {product.section}")
        fields.update({c.CF_ARTICLE: product.code, c.CF_PRICE: product.price, c.CF_PRICE_CURRENCY: product.currency})
        _insert(service, "CAT", c.TYPE_PRODUCT, now - (30 - i) * DAY_MS, fields)
