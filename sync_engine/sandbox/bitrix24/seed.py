"""Demo and bulk seeding of a portal from the shared people and catalogue.

Bulk deals go in with ``executemany`` so a 100,000-deal portal is ready in seconds.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from typing import Any

from sync_engine.sandbox import seed_catalog, seed_people
from sync_engine.sandbox.bitrix24.portal import (
    DEAL_PARTNER_CATEGORY_ID,
    SPA_CATEGORY_ID,
    SPA_ENTITY_TYPE_ID,
    Portal,
)
from sync_engine.sandbox.bitrix24.seed_company import DEFAULT_COMPANY_SIZE, photo_png, plan_company
from sync_engine.sandbox.bitrix24.users import blank_user
from sync_engine.sandbox.bitrix24.values import PORTAL_TZ

_COLORS = ("#39A8EF", "#2FC6F6", "#55D0E0", "#47E4C2", "#FFA900", "#7BD500", "#FF5752", "#FF8C82")
_BASE_TIME = datetime(2026, 1, 12, 9, 30, tzinfo=PORTAL_TZ)

DEAL_UF: tuple[dict[str, Any], ...] = (
    {"FIELD_NAME": "UF_CRM_DISTRIBUTOR", "USER_TYPE_ID": "crm", "LABEL": "Дистрибьютор сделки",
     "SETTINGS": {"COMPANY": "Y"}},
    {"FIELD_NAME": "UF_CRM_JIRA_KEY", "USER_TYPE_ID": "string", "LABEL": "Ключ задачи JIRA"},
    {"FIELD_NAME": "UF_CRM_PARTNER_COMPANY", "USER_TYPE_ID": "crm", "LABEL": "Компания-партнёр",
     "SETTINGS": {"COMPANY": "Y"}},
    {"FIELD_NAME": "UF_CRM_PROTECTION_STARTED", "USER_TYPE_ID": "boolean", "LABEL": "Защита сделки начата"},
    {"FIELD_NAME": "UF_CRM_REGISTRATION_END", "USER_TYPE_ID": "date", "LABEL": "Окончание регистрации"},
    {"FIELD_NAME": "UF_CRM_REGISTRATION_INFO", "USER_TYPE_ID": "string", "LABEL": "Сведения о регистрации"},
    {"FIELD_NAME": "UF_CRM_PLANNED_PAYMENT", "USER_TYPE_ID": "date", "LABEL": "Плановая дата оплаты"},
    {"FIELD_NAME": "UF_CRM_DISCOUNT", "USER_TYPE_ID": "double", "LABEL": "Скидка, %"},
    {"FIELD_NAME": "UF_CRM_DEAL_KIND", "USER_TYPE_ID": "enumeration", "LABEL": "Вид сделки",
     "LIST": [{"VALUE": "Лицензия", "XML_ID": "LICENSE", "DEF": "Y"},
              {"VALUE": "Партнёрство", "XML_ID": "PARTNERSHIP"},
              {"VALUE": "Госконтракт", "XML_ID": "GOV_CONTRACT"}]},
)
COMPANY_UF: tuple[dict[str, Any], ...] = (
    {"FIELD_NAME": "UF_CRM_INN", "USER_TYPE_ID": "string", "LABEL": "ИНН"},
    {"FIELD_NAME": "UF_CRM_PARENT_COMPANY", "USER_TYPE_ID": "crm", "LABEL": "Головная организация",
     "SETTINGS": {"COMPANY": "Y"}},
)
SPA_UF: tuple[dict[str, Any], ...] = (
    {"FIELD_NAME": "UF_CRM_1_JIRA_PROJECT", "USER_TYPE_ID": "string", "LABEL": "Проект JIRA"},
    {"FIELD_NAME": "UF_CRM_1_DESCRIPTION", "USER_TYPE_ID": "string", "LABEL": "Описание"},
    {"FIELD_NAME": "UF_CRM_1_ARCHIVED", "USER_TYPE_ID": "boolean", "LABEL": "В архиве"},
)

_PARTNER_STAGES = (("NEW", "Заявка партнёра", None), ("PREPARATION", "Регистрация сделки", None),
                   ("EXECUTING", "Защита сделки", None), ("WON", "Сделка закрыта", "S"),
                   ("LOSE", "Отказ", "F"))
_LEAD_STATUSES = (("NEW", "Не обработан", None), ("IN_PROCESS", "В работе", None),
                  ("PROCESSED", "Обработан", None), ("CONVERTED", "Качественный лид", "S"),
                  ("JUNK", "Некачественный лид", "F"))
_SPA_STAGES = (("NEW", "Инициация", None), ("PREPARATION", "Планирование", None),
               ("CLIENT", "Реализация", None), ("SUCCESS", "Завершён", "S"), ("FAIL", "Отменён", "F"))
_DIRECTORIES: dict[str, tuple[tuple[str, str], ...]] = {
    "SOURCE": (("CALL", "Звонок"), ("EMAIL", "Электронная почта"), ("WEB", "Веб-сайт"),
               ("PARTNER", "Партнёр"),
               ("RECOMMENDATION", "По рекомендации"), ("TRADE_SHOW", "Выставка"), ("SELF", "Свой контакт"),
               ("OTHER", "Другое")),
    "DEAL_TYPE": (("SALE", "Продажа"), ("COMPLEX", "Комплексная продажа"), ("GOODS", "Продажа товара"),
                  ("SERVICES", "Продажа услуги"), ("SERVICE", "Сервисное обслуживание")),
    "COMPANY_TYPE": (("CUSTOMER", "Клиент"), ("SUPPLIER", "Поставщик"), ("COMPETITOR", "Конкурент"),
                     ("PARTNER", "Партнёр"), ("INTEGRATOR", "Системный интегратор"),
                     ("GOVERNMENT", "Государственный орган"), ("DEVELOPER", "Разработчик"),
                     ("OTHER", "Другое")),
    "CONTACT_TYPE": (("CLIENT", "Клиенты"), ("SUPPLIER", "Поставщики"), ("PARTNER", "Партнёры"),
                     ("OTHER", "Другое")),
    "INDUSTRY": (("IT", "Информационные технологии"), ("TELECOM", "Телекоммуникации и связь"),
                 ("MANUFACTURING", "Производство"), ("BANKING", "Банковские услуги"),
                 ("ENERGY", "Энергетика"),
                 ("RETAIL", "Розничная торговля"), ("HEALTHCARE", "Здравоохранение"),
                 ("AGRICULTURE", "Сельское хозяйство"), ("GOVERNMENT", "Государственное управление"),
                 ("OTHER", "Другое")),
    "EMPLOYEES": (("EMPLOYEES_1", "менее 50"), ("EMPLOYEES_2", "50-250"), ("EMPLOYEES_3", "250-500"),
                  ("EMPLOYEES_4", "более 500")),
    "HONORIFIC": (("HNR_RU_1", "г-н"), ("HNR_RU_2", "г-жа")),
}

_FIRST_M = ("Александр", "Сергей", "Андрей", "Дмитрий", "Олег", "Игорь", "Виктор", "Николай", "Евгений",
            "Павел")
_FIRST_F = ("Елена", "Ольга", "Марина", "Татьяна", "Наталья", "Анна", "Ирина", "Светлана", "Юлия", "Галина")
_LAST = (("Иванов", "Иванова"), ("Петров", "Петрова"), ("Сидоров", "Сидорова"), ("Кузьмин", "Кузьмина"),
         ("Орлов", "Орлова"), ("Беляев", "Беляева"), ("Титов", "Титова"), ("Гаврилов", "Гаврилова"),
         ("Макаров", "Макарова"), ("Белов", "Белова"), ("Крылов", "Крылова"), ("Ершов", "Ершова"))
_TRANSLIT = str.maketrans({
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sch", "ъ": "", "ы": "y", "ь": "",
    "э": "e", "ю": "yu", "я": "ya"})
_POSTS = ("Директор по ИТ", "Руководитель проекта", "Главный специалист", "Начальник отдела закупок",
          "Заместитель директора")


def _phone(rng: random.Random, code: str) -> str:
    return f"+7 ({code}) {rng.randint(200, 999)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}"


def _iso(dt: datetime) -> str:
    return dt.replace(microsecond=0).isoformat()


def _midnight(dt: datetime) -> str:
    return datetime(dt.year, dt.month, dt.day, tzinfo=PORTAL_TZ).isoformat()


def seed_directories(portal: Portal) -> None:
    rows: list[tuple[Any, ...]] = []
    for entity, items in _DIRECTORIES.items():
        for n, (status_id, name) in enumerate(items):
            rows.append((entity, status_id, name, (n + 1) * 10, "Y", None, None, None))
    for n, (status_id, name, sem) in enumerate(_LEAD_STATUSES):
        rows.append(("STATUS", status_id, name, (n + 1) * 10, "Y", None, _COLORS[n % 8], sem))
    for n, (status_id, name, sem) in enumerate(seed_catalog.DEAL_STAGES):
        rows.append(("DEAL_STAGE", status_id, name, (n + 1) * 10, "Y", None, _COLORS[n % 8], sem))
    for n, (status_id, name, sem) in enumerate(_PARTNER_STAGES):
        rows.append((f"DEAL_STAGE_{DEAL_PARTNER_CATEGORY_ID}", f"C{DEAL_PARTNER_CATEGORY_ID}:{status_id}",
                     name,
                     (n + 1) * 10, "Y", DEAL_PARTNER_CATEGORY_ID, _COLORS[n % 8], sem))
    for n, (status_id, name, sem) in enumerate(_SPA_STAGES):
        rows.append((f"DYNAMIC_{SPA_ENTITY_TYPE_ID}_STAGE_{SPA_CATEGORY_ID}",
                     f"DT{SPA_ENTITY_TYPE_ID}_{SPA_CATEGORY_ID}:{status_id}", name, (n + 1) * 10, "Y",
                     SPA_CATEGORY_ID, _COLORS[n % 8], sem))
    portal.conn.executemany(
        "INSERT INTO statuses (ENTITY_ID, STATUS_ID, NAME, SORT, SYSTEM, CATEGORY_ID, COLOR, SEMANTICS)"
        " VALUES (?,?,?,?,?,?,?,?)", rows)
    portal.conn.executemany(
        "INSERT INTO categories (ID, ENTITY_TYPE_ID, NAME, SORT, IS_DEFAULT) VALUES (?,?,?,?,?)",
        [(0, 2, "Общая", 100, "Y"), (DEAL_PARTNER_CATEGORY_ID, 2, "Партнёрские проекты", 200, "N"),
         (SPA_CATEGORY_ID, SPA_ENTITY_TYPE_ID, "Проекты внедрения", 100, "Y")])


def seed_fields(portal: Portal) -> None:
    for spec in DEAL_UF:
        portal.ufs.add("CRM_DEAL", spec)
    for spec in COMPANY_UF:
        portal.ufs.add("CRM_COMPANY", spec)
    for spec in SPA_UF:
        portal.ufs.add("CRM_1", spec, "UF_CRM_1_")


def _photo(portal: Portal, user: dict[str, Any], user_id: int) -> None:
    """A generated portrait, stored like an uploaded PERSONAL_PHOTO (the link is signed when read)."""
    blob = portal.add_blob(f"photo_{user_id}.png", photo_png(user_id), "image/png")
    user["_PHOTO"] = blob
    user["PERSONAL_PHOTO"] = None  # resolved to a download link by seed_photo_links once the twin has a URL


def seed_people_and_departments(portal: Portal, company_size: int = 0) -> int:
    """The 44 core people (ids fixed, shared with the JIRA twin) plus, for ``company_size`` above 44,
    generated teams and people; returns the head count."""
    for dep in seed_people.DEPARTMENTS:
        head = seed_people.head_of(dep.id)
        portal.conn.execute("INSERT INTO departments (ID, NAME, SORT, PARENT, UF_HEAD) VALUES (?,?,?,?,?)",
                            (dep.id, dep.name, dep.id * 100, dep.parent, head.id))
    rows = []
    for person in seed_people.PEOPLE:
        registered = _BASE_TIME - timedelta(days=900 - person.id * 11)
        data = blank_user(person.id)
        data.update({
            "ID": str(person.id), "XML_ID": person.login, "ACTIVE": True, "NAME": person.first,
            "LAST_NAME": person.last, "SECOND_NAME": person.second, "EMAIL": person.email,
            "LAST_LOGIN": _iso(_BASE_TIME - timedelta(hours=person.id)), "DATE_REGISTER": _iso(registered),
            "TIME_ZONE": "Europe/Moscow", "IS_ONLINE": "N", "PERSONAL_GENDER": person.gender,
            "PERSONAL_BIRTHDAY": "",
            "PERSONAL_MOBILE": f"+7 (900) 100-{person.id:02d}-{person.id * 3 % 100:02d}",
            "PERSONAL_PHONE": "", "PERSONAL_CITY": "Москва", "WORK_PHONE": f"+7 (495) 700-10-{person.id:02d}",
            "WORK_POSITION": person.position, "WORK_COMPANY": "ООО «Вектор Софт»",
            "UF_DEPARTMENT": [person.department], "UF_EMPLOYMENT_DATE": _iso(registered),
            "UF_PHONE_INNER": str(100 + person.id), "USER_TYPE": "employee",
        })
        if person.is_head and person.id % 3 == 0:
            _photo(portal, data, person.id)
        rows.append((person.id, json.dumps(data, ensure_ascii=False)))
    departments, people = plan_company(company_size)
    for new_dep in departments:
        portal.conn.execute("INSERT INTO departments (ID, NAME, SORT, PARENT, UF_HEAD) VALUES (?,?,?,?,?)",
                            (new_dep.id, new_dep.name, 500, new_dep.parent, new_dep.head))
    for person_fields in people:
        user_id = int(person_fields["ID"])
        data = blank_user(user_id)
        with_photo = person_fields.pop("PHOTO")
        data.update(person_fields)
        data.update({"TIME_ZONE": "Europe/Moscow", "PERSONAL_CITY": "Москва", "WORK_COMPANY": "ООО «Вектор Софт»",
                     "LAST_LOGIN": _iso(_BASE_TIME - timedelta(hours=user_id % 500))})
        if with_photo:
            _photo(portal, data, user_id)
        rows.append((user_id, json.dumps(data, ensure_ascii=False)))
    portal.conn.executemany("INSERT INTO users (ID, DATA) VALUES (?, ?)", rows)
    return len(rows)


def _people_in(*departments: int) -> list[int]:
    return [p.id for p in seed_people.PEOPLE if p.department in departments]


def seed_crm(portal: Portal) -> dict[str, int]:
    rng = random.Random(24)
    companies = portal.stores["company"]
    contacts = portal.stores["contact"]
    products = portal.stores["product"]
    deals = portal.stores["deal"]
    sales = _people_in(8, 9, 10, 11)
    company_ids: dict[str, int] = {}
    for company in seed_catalog.COMPANIES:
        parent = company_ids.get(company.parent) if company.parent else None
        fields: dict[str, Any] = {
            "TITLE": company.title, "COMPANY_TYPE": company.kind, "INDUSTRY": company.industry,
            "ADDRESS": f"г. {company.city}", "UF_CRM_INN": company.inn, "ASSIGNED_BY_ID": rng.choice(sales),
            "EMPLOYEES": rng.choice(("EMPLOYEES_2", "EMPLOYEES_3", "EMPLOYEES_4")),
            "PHONE": [{"VALUE": _phone(rng, "495"),
                       "VALUE_TYPE": "WORK"}],
            "EMAIL": [{"VALUE": f"info@{company.key}.example.ru", "VALUE_TYPE": "WORK"}],
        }
        if parent:
            fields["UF_CRM_PARENT_COMPANY"] = str(parent)
        company_ids[company.key] = companies.add(fields, 1)
    contact_count = 0
    for n, company in enumerate(seed_catalog.COMPANIES):
        for k in range(2 + n % 2):
            female = (n + k) % 2 == 1
            first = (_FIRST_F if female else _FIRST_M)[(n * 3 + k) % 10]
            last = _LAST[(n * 5 + k * 7) % len(_LAST)][1 if female else 0]
            login = f"{first[0]}.{last}".lower().translate(_TRANSLIT)
            contacts.add({
                "NAME": first, "LAST_NAME": last, "POST": _POSTS[(n + k) % len(_POSTS)],
                "COMPANY_ID": company_ids[company.key],
                "TYPE_ID": "PARTNER" if company.kind == "PARTNER" else "CLIENT",
                "ASSIGNED_BY_ID": rng.choice(sales),
                "EMAIL": [{"VALUE": f"{login}@{company.key}.example.ru", "VALUE_TYPE": "WORK"}],
                "PHONE": [{"VALUE": _phone(rng, "900"),
                           "VALUE_TYPE": "MOBILE"}],
            }, 1)
            contact_count += 1
    for n, product in enumerate(seed_catalog.PRODUCTS):
        products.add({"NAME": product.name, "PRICE": product.price, "CURRENCY_ID": product.currency,
                      "XML_ID": product.code,
                      "SECTION_ID": 10 + len({p.section for p in seed_catalog.PRODUCTS[:n + 1]}),
                      "SORT": (n + 1) * 10, "DESCRIPTION": f"Раздел каталога: {product.section}"}, 1)
    kinds = portal.ufs.defs("CRM_DEAL")
    kind_items = next(f.items for f in kinds if f.name == "UF_CRM_DEAL_KIND")
    kind_ids = {i["XML_ID"]: i["ID"] for i in kind_items}
    partners = [company_ids[c.key] for c in seed_catalog.COMPANIES if c.kind == "PARTNER"]
    customers = [c for c in seed_catalog.COMPANIES if c.kind in ("CUSTOMER", "GOVERNMENT")]
    stage_ids = [s[0] for s in seed_catalog.DEAL_STAGES]
    for n in range(40):
        company = customers[n % len(customers)]
        product = seed_catalog.PRODUCTS[n % len(seed_catalog.PRODUCTS)]
        partner_deal = n % 5 == 4
        qty = 1 + n % 7
        if partner_deal:
            stage = f"C{DEAL_PARTNER_CATEGORY_ID}:" + _PARTNER_STAGES[n % len(_PARTNER_STAGES)][0]
        else:
            stage = stage_ids[n % len(stage_ids)]
        begin = _BASE_TIME + timedelta(days=n * 3)
        fields = {
            "TITLE": f"{product.name} для {company.title}",
            "CATEGORY_ID": DEAL_PARTNER_CATEGORY_ID if partner_deal else 0,
            "STAGE_ID": stage, "COMPANY_ID": company_ids[company.key], "OPPORTUNITY": product.price * qty,
            "CURRENCY_ID": "RUB", "ASSIGNED_BY_ID": sales[n % len(sales)], "BEGINDATE": _midnight(begin),
            "CLOSEDATE": _midnight(begin + timedelta(days=45)),
            "SOURCE_ID": "PARTNER" if partner_deal else "WEB",
            "COMMENTS": f"Количество: {qty}. Артикул: {product.code}",
            "UF_CRM_JIRA_KEY": f"PUR-{n + 1}" if n % 3 != 2 else "",
            "UF_CRM_DEAL_KIND": kind_ids["GOV_CONTRACT" if company.kind == "GOVERNMENT"
                                         else "PARTNERSHIP" if partner_deal else "LICENSE"],
            "UF_CRM_DISCOUNT": float((n % 4) * 5),
            "UF_CRM_PLANNED_PAYMENT": _midnight(begin + timedelta(days=60)),
        }
        if partner_deal or n % 4 == 1:
            partner = partners[n % len(partners)]
            fields.update({"UF_CRM_DISTRIBUTOR": str(partner), "UF_CRM_PARTNER_COMPANY": str(partner),
                           "UF_CRM_PROTECTION_STARTED": "Y",
                           "UF_CRM_REGISTRATION_END": _midnight(begin + timedelta(days=90)),
                           "UF_CRM_REGISTRATION_INFO": f"Регистрация партнёра № Р-{2026}{n:03d}"})
        deal_id = deals.add(fields, 1)
        created = _BASE_TIME - timedelta(days=120 - n * 2, hours=n % 9)
        modified = created + timedelta(days=n % 11, minutes=n * 7)
        portal.conn.execute('UPDATE deal SET "DATE_CREATE" = ?, "DATE_MODIFY" = ?, "MOVED_TIME" = ?'
                            ' WHERE "ID" = ?',
                            (_iso(created), _iso(modified), _iso(modified), deal_id))
    leads = portal.stores["lead"]
    lead_rows = (("Запрос лицензий на 200 рабочих мест", "Минздрав Энской области", "NEW"),
                 ("Интерес к SDK для встраивания", "ООО «Облачная линия»", "IN_PROCESS"),
                 ("Пилот документооборота", "ООО «Ритейл Плюс»", "PROCESSED"),
                 ("Обучение администраторов", "ООО «МедТех Решения»", "CONVERTED"),
                 ("Спам с формы сайта", "", "JUNK"),
                 ("Миграция с унаследованной системы", "АО «Северная сталь»", "NEW"))
    for n, (title, company_title, status) in enumerate(lead_rows):
        first = _FIRST_M[n % 10] if n % 2 == 0 else _FIRST_F[n % 10]
        last = _LAST[(n * 3) % len(_LAST)][n % 2]
        leads.add({"TITLE": title, "COMPANY_TITLE": company_title, "STATUS_ID": status, "NAME": first,
                   "LAST_NAME": last, "SOURCE_ID": ("WEB", "CALL", "EMAIL")[n % 3],
                   "ASSIGNED_BY_ID": sales[n % len(sales)],
                   "EMAIL": [{"VALUE": f"lead{n + 1}@example.ru", "VALUE_TYPE": "WORK"}]}, 1)
    spa = portal.by_type_id[SPA_ENTITY_TYPE_ID]
    projects = (("Внедрение платформы в Минфине", "minfin", "MINFIN"),
                ("Миграция документооборота Волга-Банка",
                "volga-bank", "VBANK"), ("Пилот SDK для Облачной линии", "cloudline", "CLOUD"))
    for n, (title, key, jira) in enumerate(projects):
        spa.add({"TITLE": title, "CATEGORY_ID": SPA_CATEGORY_ID,
                 "STAGE_ID": f"DT{SPA_ENTITY_TYPE_ID}_{SPA_CATEGORY_ID}:" + _SPA_STAGES[n][0],
                 "COMPANY_ID": company_ids[key], "UF_CRM_1_JIRA_PROJECT": jira, "ASSIGNED_BY_ID": 3}, 1)
    return {"companies": len(company_ids), "contacts": contact_count, "products": len(seed_catalog.PRODUCTS),
            "deals": 40, "leads": len(lead_rows), "projects": len(projects)}


def seed_bulk_deals(portal: Portal, count: int) -> int:
    """``count`` generated deals in one transaction; values vary so filters and paging are meaningful."""
    if count <= 0:
        return 0
    stage_rows = [s[0] for s in seed_catalog.DEAL_STAGES]
    semantics = {s[0]: s[2] for s in seed_catalog.DEAL_STAGES}
    company_ids = [r[0] for r in portal.conn.execute('SELECT "ID" FROM company').fetchall()] or [None]
    sales = _people_in(8, 9, 10, 11)
    has_jira = any(f.name == "UF_CRM_JIRA_KEY" for f in portal.ufs.defs("CRM_DEAL"))
    cols = ["TITLE", "TYPE_ID", "CATEGORY_ID", "STAGE_ID", "STAGE_SEMANTIC_ID", "IS_NEW", "CURRENCY_ID",
            "OPPORTUNITY", "COMPANY_ID", "ASSIGNED_BY_ID", "CREATED_BY_ID", "MODIFY_BY_ID", "DATE_CREATE",
            "DATE_MODIFY", "OPENED", "CLOSED", "SOURCE_ID", "IS_MANUAL_OPPORTUNITY", "TAX_VALUE",
            "IS_RECURRING",
            "IS_RETURN_CUSTOMER", "IS_REPEATED_APPROACH"]
    if has_jira:
        cols.append("UF_CRM_JIRA_KEY")
    start = _BASE_TIME - timedelta(days=400)
    days = [(start + timedelta(days=d)).strftime("%Y-%m-%d") for d in range(432)]
    n_stages, n_companies, n_sales = len(stage_rows), len(company_ids), len(sales)

    def stamp(seconds: int) -> str:
        # Arithmetic formatting: datetime objects per row would dominate the seeding time.
        day, rest = divmod(seconds, 86400)
        hour, rest = divmod(rest, 3600)
        return f"{days[day]}T{hour:02d}:{rest // 60:02d}:{rest % 60:02d}+03:00"

    rows = []
    for n in range(count):
        mix = (n * 2654435761) & 0xFFFFFFFF  # Knuth's multiplicative hash: cheap, stable variety
        stage = stage_rows[mix % n_stages]
        sem = semantics[stage]
        created = n * 311 % (400 * 86400)
        modified = created + (mix >> 8) % (30 * 86400)
        row: list[Any] = [f"Сделка {n + 1:06d}", "SALE", 0, stage, sem or "P",
                          "Y" if stage == "NEW" else "N", "RUB",
                          float(((mix >> 4) % 4990 + 10) * 1000), company_ids[(mix >> 12) % n_companies],
                          sales[(mix >> 16) % n_sales], 1, 1, stamp(created), stamp(modified), "Y",
                          "Y" if sem else "N", "WEB", "N", 0.0, "N", "N", "N"]
        if has_jira:
            row.append(f"BULK-{n + 1}")
        rows.append(row)
    marks = ",".join("?" * len(cols))
    names = ",".join(f'"{c}"' for c in cols)
    indexes = portal.conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'deal' AND sql IS NOT NULL"
    ).fetchall()
    portal.conn.execute("BEGIN")
    try:
        # Building indexes once after the insert is much faster than maintaining them row by row.
        for name, _ in indexes:
            portal.conn.execute(f'DROP INDEX "{name}"')
        portal.conn.executemany(f"INSERT INTO deal ({names}) VALUES ({marks})", rows)
        for _, sql in indexes:
            portal.conn.execute(sql)
        portal.conn.execute("COMMIT")
    except BaseException:
        portal.conn.execute("ROLLBACK")
        raise
    return count


def seed_portal(portal: Portal, mode: str, deals: int, company_size: int = 0) -> dict[str, int]:
    """Seed an empty portal: ``demo`` = full demo data (the company of ``company_size`` people, by default
    about 300), ``empty`` = only what a fresh portal has (the 44 core accounts)."""
    if mode not in ("demo", "empty"):
        raise ValueError(f"seed must be 'demo' or 'empty', not {mode!r}")
    if deals < 0 or company_size < 0:
        raise ValueError("deals and company_size must be >= 0")
    seed_directories(portal)
    size = (company_size or DEFAULT_COMPANY_SIZE) if mode == "demo" else company_size
    users = seed_people_and_departments(portal, size)
    departments = int(portal.conn.execute("SELECT COUNT(*) FROM departments").fetchone()[0])
    summary: dict[str, int] = {"users": users, "departments": departments}
    if mode == "demo":
        seed_fields(portal)
        summary.update(seed_crm(portal))
    else:
        summary["deals"] = 0
    summary["deals"] = summary.get("deals", 0) + seed_bulk_deals(portal, deals)
    portal.set_meta("seeded", mode)
    return summary
