"""The demo company beyond its 44 named people: teams under the core departments, heads and photos.

Deterministic (a fixed random seed), so every run gives the same company. The core departments
and people of ``seed_people`` keep their ids (the CRM seed and the JIRA twin refer to them); new
departments hang under them two levels deep, each with a head whose own manager is the head of
the parent department, so the manager chain follows the structure as on a real portal.
``company_size`` is the total head count; departments grow with it (150 at 2,000 people).
"""

from __future__ import annotations

import random
import struct
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sync_engine.sandbox import seed_people
from sync_engine.sandbox.bitrix24.values import PORTAL_TZ

DEFAULT_COMPANY_SIZE = 320
_BASE = datetime(2026, 1, 12, 9, 30, tzinfo=PORTAL_TZ)

_MALE = ("Александр", "Алексей", "Андрей", "Антон", "Артём", "Борис", "Вадим", "Валерий", "Василий", "Виктор",
         "Владимир", "Владислав", "Геннадий", "Георгий", "Глеб", "Григорий", "Даниил", "Денис", "Дмитрий",
         "Евгений", "Егор", "Иван", "Игорь", "Илья", "Кирилл", "Константин", "Леонид", "Максим", "Марк",
         "Матвей", "Михаил", "Никита", "Николай", "Олег", "Павел", "Пётр", "Роман", "Руслан", "Сергей",
         "Станислав", "Степан", "Тимофей", "Фёдор", "Юрий", "Ярослав")
_FEMALE = ("Александра", "Алина", "Алла", "Анастасия", "Анна", "Валентина", "Валерия", "Вера", "Вероника",
           "Виктория", "Галина", "Дарья", "Диана", "Евгения", "Екатерина", "Елена", "Елизавета", "Жанна",
           "Зоя", "Инна", "Ирина", "Карина", "Кристина", "Ксения", "Лариса", "Лидия", "Любовь", "Людмила",
           "Маргарита", "Марина", "Мария", "Надежда", "Наталья", "Нина", "Оксана", "Ольга", "Полина",
           "Светлана", "София", "Тамара", "Татьяна", "Ульяна", "Юлия", "Яна")
_SURNAMES = ("Абрамов", "Александров", "Алексеев", "Андреев", "Антонов", "Афанасьев", "Белов", "Беляев",
             "Богданов", "Борисов", "Быков", "Васильев", "Виноградов", "Власов", "Волков", "Воронов", "Гаврилов",
             "Герасимов", "Голубев", "Горбунов", "Григорьев", "Гусев", "Давыдов", "Денисов", "Дмитриев",
             "Егоров", "Ершов", "Жуков", "Журавлёв", "Зайцев", "Захаров", "Зуев", "Ильин", "Исаев", "Казаков",
             "Калинин", "Карпов", "Киселёв", "Ковалёв", "Козлов", "Комаров", "Кондратьев", "Коновалов",
             "Королёв", "Крылов", "Кудрявцев", "Кузнецов", "Кузьмин", "Лазарев", "Лебедев", "Макаров",
             "Максимов", "Медведев", "Мельников", "Миронов", "Михайлов", "Морозов", "Назаров", "Никитин",
             "Никифоров", "Николаев", "Новиков", "Орлов", "Осипов", "Павлов", "Петров", "Поляков", "Пономарёв",
             "Попов", "Романов", "Рябов", "Савельев", "Семёнов", "Сергеев", "Сидоров", "Смирнов", "Соболев",
             "Соколов", "Соловьёв", "Сорокин", "Степанов", "Субботин", "Тарасов", "Тимофеев", "Титов",
             "Третьяков", "Тихонов", "Уваров", "Устинов", "Фёдоров", "Филиппов", "Фомин", "Фролов", "Харитонов",
             "Чернов", "Шубин", "Щербаков", "Яковлев")
_PATRONYMICS = ("Александрович", "Алексеевич", "Андреевич", "Борисович", "Викторович", "Владимирович",
                "Дмитриевич", "Евгеньевич", "Иванович", "Игоревич", "Михайлович", "Николаевич", "Олегович",
                "Павлович", "Петрович", "Сергеевич", "Юрьевич")
_TRANSLIT = str.maketrans({
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sch", "ъ": "", "ы": "y", "ь": "",
    "э": "e", "ю": "yu", "я": "ya"})

# Core department -> (weight of new teams, team names, positions of members).
_BRANCHES: dict[int, tuple[int, tuple[str, ...], tuple[str, ...]]] = {
    4: (6, ("Группа ядра платформы", "Группа хранилища данных", "Группа API", "Группа безопасности",
            "Группа производительности"), ("Разработчик", "Ведущий разработчик", "Старший разработчик")),
    5: (6, ("Группа документооборота", "Группа мобильных приложений", "Группа интеграций",
            "Группа веб-интерфейса", "Группа отчётности"), ("Разработчик", "Системный аналитик", "Дизайнер")),
    6: (3, ("Группа ручного тестирования", "Группа автотестов", "Группа нагрузочного тестирования"),
        ("Инженер по тестированию", "Инженер по автоматизации тестирования")),
    15: (3, ("Первая линия поддержки", "Вторая линия поддержки", "Группа внедрения"),
         ("Инженер поддержки", "Инженер по внедрению")),
    8: (3, ("Сектор федеральных заказчиков", "Сектор региональных заказчиков", "Тендерный сектор"),
        ("Менеджер по продажам", "Специалист по тендерам")),
    9: (3, ("Сектор продаж Москва", "Сектор продаж Северо-Запад", "Сектор продаж Сибирь", "Сектор продаж Урал"),
        ("Менеджер по продажам", "Менеджер по работе с ключевыми клиентами")),
    10: (2, ("Сектор дистрибуции", "Сектор партнёрских программ"), ("Менеджер по работе с партнёрами",)),
    11: (1, ("Сектор продления лицензий",), ("Менеджер по лицензированию",)),
    12: (2, ("Группа digital-маркетинга", "Группа мероприятий", "Группа контента"),
         ("Маркетолог", "Менеджер мероприятий", "Копирайтер")),
    13: (2, ("Бухгалтерия", "Планово-экономический сектор", "Казначейство"),
         ("Бухгалтер", "Экономист", "Финансовый аналитик")),
    14: (1, ("Сектор подбора", "Сектор обучения"), ("Специалист по подбору", "Специалист по обучению")),
    3: (2, ("Архитектурный комитет", "Группа DevOps", "Проектный офис"),
        ("Архитектор", "DevOps-инженер", "Руководитель проекта")),
}


_SUBGROUPS = ("Подгруппа аналитики", "Подгруппа сопровождения", "Подгруппа разработки", "Подгруппа качества",
              "Подгруппа внедрения", "Подгруппа планирования")


@dataclass
class NewDepartment:
    id: int
    name: str
    parent: int
    head: int | None = None


def _head_title(department: str) -> str:
    """The head's position as a Russian company names it, by the kind of unit."""
    for prefix, title in (("Подгруппа", "Руководитель подгруппы"), ("Группа", "Руководитель группы"),
                          ("Сектор", "Начальник сектора"), ("Первая линия", "Руководитель линии поддержки"),
                          ("Вторая линия", "Руководитель линии поддержки"), ("Бухгалтерия", "Главный бухгалтер"),
                          ("Казначейство", "Казначей")):
        if department.startswith(prefix):
            return title
    return "Руководитель направления"


def departments_for(company_size: int) -> int:
    """150 departments at 2,000 people, proportionally fewer for a smaller company (15 core ones at least)."""
    return max(len(seed_people.DEPARTMENTS), round(company_size * 0.075))


def _png(seed: int, size: int = 48) -> bytes:
    """A small solid-colour portrait placeholder with a lighter band: a valid PNG, no imaging library."""
    rng = random.Random(seed)
    base = (rng.randint(60, 200), rng.randint(60, 200), rng.randint(60, 200))
    light = tuple(min(255, c + 50) for c in base)
    rows = b"".join(b"\x00" + bytes((light if size // 3 < y < 2 * size // 3 else base) * size) for y in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def photo_png(user_id: int) -> bytes:
    return _png(user_id)


def plan_company(company_size: int) -> tuple[list[NewDepartment], list[dict[str, Any]]]:
    """New departments and people (dicts of user fields) to add to the core company."""
    core_people = len(seed_people.PEOPLE)
    extra_people = max(company_size - core_people, 0)
    if extra_people == 0:
        return [], []
    rng = random.Random(2026)
    wanted = departments_for(company_size) - len(seed_people.DEPARTMENTS)
    branches = list(_BRANCHES.items())
    weights = [w for _, (w, _, _) in branches]
    departments: list[NewDepartment] = []
    next_dep = max(d.id for d in seed_people.DEPARTMENTS) + 1
    used: dict[str, int] = {}
    for n in range(max(wanted, 1)):
        core, (_, names, _) = rng.choices(branches, weights)[0]
        level_two = [d for d in departments if d.parent == core]
        parent = core
        if level_two and n % 3 == 2:  # a third of the teams sit one level deeper
            parent = rng.choice(level_two).id
        base = names[len(level_two) % len(names)] if parent == core else rng.choice(_SUBGROUPS)
        used[base] = used.get(base, 0) + 1
        name = base if used[base] == 1 else f"{base} № {used[base]}"
        departments.append(NewDepartment(next_dep, name, parent))
        next_dep += 1
    core_of = {d.id: d.parent for d in departments}

    def branch(dep: int) -> int:
        while dep in core_of:
            dep = core_of[dep]
        return dep

    people: list[dict[str, Any]] = []
    taken = {p.login for p in seed_people.PEOPLE}
    next_id = core_people + 1
    for n in range(extra_people):
        dep: NewDepartment | None = None
        if n < len(departments):
            dep = departments[n]
            is_head = True
        else:
            dep = departments[rng.randrange(len(departments))] if departments else None
            is_head = False
        dep_id = dep.id if dep else seed_people.DEPARTMENTS[0].id
        female = rng.random() < 0.45
        first = rng.choice(_FEMALE if female else _MALE)
        last = rng.choice(_SURNAMES) + ("а" if female else "")
        second = rng.choice(_PATRONYMICS)
        if female:
            second = second[:-2] + "на"  # Сергеевич -> Сергеевна
        login = f"{first[0]}.{last}".lower().translate(_TRANSLIT)
        suffix = 2
        while login in taken:
            login = f"{first[0]}.{last}{suffix}".lower().translate(_TRANSLIT)
            suffix += 1
        taken.add(login)
        positions = _BRANCHES.get(branch(dep_id), (0, (), ("Специалист",)))[2]
        position = _head_title(dep.name) if is_head and dep else rng.choice(positions)
        if is_head and dep:
            dep.head = next_id
        registered = _BASE - timedelta(days=30 + rng.randrange(1800))
        people.append({
            "ID": str(next_id), "XML_ID": login, "NAME": first, "LAST_NAME": last, "SECOND_NAME": second,
            "EMAIL": f"{login}@{seed_people.DOMAIN}", "PERSONAL_GENDER": "F" if female else "M",
            "WORK_POSITION": position, "UF_DEPARTMENT": [dep_id], "DATE_REGISTER": registered.isoformat(),
            "UF_EMPLOYMENT_DATE": registered.isoformat(),
            "PERSONAL_BIRTHDAY": datetime(1965 + rng.randrange(38), 1 + rng.randrange(12), 1 + rng.randrange(28),
                                          tzinfo=PORTAL_TZ).isoformat(),
            "PERSONAL_MOBILE": f"+7 (9{rng.randrange(10, 99)}) {rng.randrange(100, 999)}-{rng.randrange(10, 99)}-"
                               f"{rng.randrange(10, 99)}",
            "WORK_PHONE": f"+7 (495) 700-{next_id // 100 % 100:02d}-{next_id % 100:02d}",
            "UF_PHONE_INNER": str(1000 + next_id), "PHOTO": next_id % 4 == 0,
        })
        next_id += 1
    return departments, people
