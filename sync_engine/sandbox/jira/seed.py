"""Demo data: purchase requests that name the shared seed companies, products and people.

The generated bulk (``size``) goes in with one ``executemany`` and no histories, so 100,000 issues
load in a few seconds; the ~30 hand-made ones walk the workflow with real change histories.
"""

from __future__ import annotations

import json
import random
from typing import Any

from sync_engine.sandbox import seed_catalog, seed_people
from sync_engine.sandbox.jira import catalog as c
from sync_engine.sandbox.jira import timefmt
from sync_engine.sandbox.jira.seed_reference import seed_reference
from sync_engine.sandbox.jira.service import IssueService
from sync_engine.sandbox.jira.store import IssueRow

DAY_MS = 86_400_000
SALES_PEOPLE = tuple(p.login for p in seed_people.PEOPLE if p.department in (8, 9, 10, 11))
CUSTOMERS = tuple(co for co in seed_catalog.COMPANIES if co.kind in ("CUSTOMER", "GOVERNMENT"))
PARTNERS = tuple(co for co in seed_catalog.COMPANIES if co.kind == "PARTNER")


def _request_fields(rng: random.Random, index: int, reporter: str) -> dict[str, Any]:
    company = CUSTOMERS[index % len(CUSTOMERS)]
    product = seed_catalog.PRODUCTS[(index * 7) % len(seed_catalog.PRODUCTS)]
    qty = 1 + rng.randrange(20) if "пользователя" in product.name else 1 + rng.randrange(3)
    fields: dict[str, Any] = {
        "summary": f"Закупка: {product.name} — {company.title}",
        "description": f"Заявка на закупку для {company.title} (ИНН {company.inn}), количество: {qty}.",
        "priority": str(2 + rng.randrange(3)),
        "assignee": SALES_PEOPLE[index % len(SALES_PEOPLE)],
        "reporter": reporter,
        "creator": reporter,
        "labels": ["закупка"] + (["госсектор"] if company.kind == "GOVERNMENT" else []),
        "duedate": None,
        c.CF_CUSTOMER: company.title,
        c.CF_AMOUNT: round(product.price * qty, 2),
        c.CF_CURRENCY: "RUB" if index % 6 else "USD",
        c.CF_PRODUCT: product.name,
    }
    if index % 3 == 0:
        fields[c.CF_DISTRIBUTOR] = PARTNERS[index % len(PARTNERS)].title
    return fields


def seed_demo(service: IssueService, now: int, requests: int = 30) -> None:
    """The hand-made demo issues: purchase requests spread over the workflow, a few SALES tasks, and the
    CRM/CAT reference records."""
    cat = service.cat
    rng = random.Random(2024)
    wf = cat.workflows["Закупка"]
    flow = [s for s in wf.statuses if cat.statuses[s].name != "Отклонён"]
    rejected = next(s for s in wf.statuses if cat.statuses[s].name == "Отклонён")
    integration = next(iter(cat.users))
    for i in range(requests):
        created = now - (requests - i) * 3 * DAY_MS - rng.randrange(DAY_MS)
        reporter = seed_people.PEOPLE[(i * 5) % len(seed_people.PEOPLE)].login
        fields = _request_fields(rng, i, reporter)
        if i % 4 == 1:
            fields[c.CF_DEAL_ID] = str(100 + i)
        iid = service.next_issue_id()
        num = service.next_num("PROC")
        row = IssueRow(iid, f"PROC-{num}", "PROC", num, "10000", wf.initial, created, created, fields)
        service.store.insert_issue(row)
        target = rejected if i % 7 == 6 else flow[i % len(flow)]
        path = flow[: flow.index(target) + 1] if target in flow else [flow[0], flow[1], rejected]
        at = created
        for status in path[1:]:
            at += rng.randrange(1, DAY_MS)
            before = {**row.fields, "status": row.status, "issuetype": row.issuetype}
            row.status = status
            st = cat.statuses[status]
            if st.category == "done":
                row.fields["resolution"] = "10001" if st.id == rejected else "10000"
                row.fields["resolutiondate"] = at
                row.fields[c.CF_CLOSE_DATE] = timefmt.local_date(at, service.tz)
            row.updated = at
            service.store.save_issue(row)
            service._record(row, before, fields["assignee"], at)
        if i % 2 == 0:
            service.store.add_comment(service.next_comment_id(), row.id, fields["assignee"],
                                      "Клиент подтвердил потребность, готовим коммерческое предложение.",
                                      min(now, row.updated + 1000))
            row.updated = min(now, row.updated + 1000)
            service.store.save_issue(row)
    for i, (summary, type_id) in enumerate((
        ("Подготовить прайс-лист на следующий квартал", "10002"),
        ("Обновить шаблон коммерческого предложения", "10002"),
        ("Некорректная сумма в счёте для партнёра", "10004"),
        ("Провести вебинар для партнёров", "10002"),
        ("Не отправляется уведомление о согласовании", "10004"),
    )):
        at = now - (5 - i) * DAY_MS
        iid = service.next_issue_id()
        num = service.next_num("SALES")
        fields = {"summary": summary, "description": None, "priority": "3", "assignee": SALES_PEOPLE[i],
                  "reporter": integration, "creator": integration, "labels": []}
        service.store.insert_issue(IssueRow(iid, f"SALES-{num}", "SALES", num, type_id, "1", at, at, fields))
    seed_reference(service, now)


def seed_bulk(service: IssueService, now: int, count: int, seed: int = 7) -> None:
    """``count`` generated purchase requests in PROC, inserted in one transaction."""
    if count <= 0:
        return
    cat = service.cat
    rng = random.Random(seed)
    wf = cat.workflows["Закупка"]
    statuses = list(wf.statuses)
    first_id = service.next_issue_id(count)
    first_num = service.next_num("PROC", count)
    span = 365 * DAY_MS

    def rows() -> Any:
        for k in range(count):
            created = now - span + (span * k) // count
            updated = min(now, created + rng.randrange(30 * DAY_MS))
            fields = _request_fields(rng, k, SALES_PEOPLE[(k * 3) % len(SALES_PEOPLE)])
            if k % 2 == 0:
                fields[c.CF_DEAL_ID] = str(100_000 + k)
            status = statuses[k % len(statuses)]
            if cat.statuses[status].category == "done":
                fields["resolution"] = "10000"
                fields["resolutiondate"] = updated
            num = first_num + k
            yield (first_id + k, f"PROC-{num}", "PROC", num, "10000", status, created, updated,
                   json.dumps(fields, ensure_ascii=False))

    service.store.insert_many(rows())
