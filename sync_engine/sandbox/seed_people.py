"""The demo company's people and departments, shared by both twins so emails line up.

The same person exists in JIRA (as a user with ``name``/``accountId``) and in Bitrix24 (as an
employee with an ID and ``UF_DEPARTMENT``); the sync engine's "user by email" transform relies on
the emails matching, exactly as on a real pair of systems.
"""

from __future__ import annotations

from dataclasses import dataclass

DOMAIN = "vektorsoft.ru"


@dataclass(frozen=True)
class Department:
    id: int
    name: str
    parent: int | None


@dataclass(frozen=True)
class Person:
    id: int  # Bitrix24 user ID; JIRA keys are derived from login
    first: str
    last: str
    second: str
    login: str  # JIRA Server user name, also the e-mail local part
    position: str
    department: int
    gender: str  # "M" / "F"
    is_head: bool = False

    @property
    def email(self) -> str:
        return f"{self.login}@{DOMAIN}"

    @property
    def display_name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def account_id(self) -> str:
        """A stable JIRA Cloud accountId (Cloud ids are opaque 24+ char strings)."""
        return f"5b10a2844c20165700ede{self.id:03d}"


DEPARTMENTS: tuple[Department, ...] = (
    Department(1, "ООО «Вектор Софт»", None),
    Department(2, "Дирекция", 1),
    Department(3, "Департамент разработки", 1),
    Department(4, "Отдел платформы", 3),
    Department(5, "Отдел прикладных решений", 3),
    Department(6, "Отдел тестирования", 3),
    Department(7, "Коммерческий департамент", 1),
    Department(8, "Отдел продаж госсектору", 7),
    Department(9, "Отдел корпоративных продаж", 7),
    Department(10, "Партнёрский отдел", 7),
    Department(11, "Отдел лицензирования", 7),
    Department(12, "Отдел маркетинга", 1),
    Department(13, "Финансовый отдел", 1),
    Department(14, "Отдел кадров", 1),
    Department(15, "Служба технической поддержки", 3),
)

# (first, last, second, login, position, department, gender, is_head)
_PEOPLE_ROWS: tuple[tuple[str, str, str, str, str, int, str, bool], ...] = (
    ("Алексей", "Морозов", "Викторович", "a.morozov", "Генеральный директор", 2, "M", True),
    ("Ирина", "Соколова", "Андреевна", "i.sokolova", "Коммерческий директор", 7, "F", True),
    ("Дмитрий", "Волков", "Сергеевич", "d.volkov", "Технический директор", 3, "M", True),
    ("Ольга", "Лебедева", "Павловна", "o.lebedeva", "Финансовый директор", 13, "F", True),
    ("Сергей", "Козлов", "Игоревич", "s.kozlov", "Руководитель отдела платформы", 4, "M", True),
    ("Наталья", "Новикова", "Олеговна", "n.novikova", "Руководитель прикладных решений", 5, "F", True),
    ("Павел", "Павлов", "Николаевич", "p.pavlov", "Руководитель тестирования", 6, "M", True),
    ("Елена", "Смирнова", "Дмитриевна", "e.smirnova", "Руководитель продаж госсектору", 8, "F", True),
    ("Андрей", "Кузнецов", "Михайлович", "a.kuznetsov", "Руководитель корпоративных продаж", 9, "M", True),
    ("Татьяна", "Попова", "Владимировна", "t.popova", "Руководитель партнёрского отдела", 10, "F", True),
    ("Михаил", "Васильев", "Петрович", "m.vasiliev", "Руководитель лицензирования", 11, "M", True),
    ("Анна", "Петрова", "Сергеевна", "a.petrova", "Директор по маркетингу", 12, "F", True),
    ("Юлия", "Федорова", "Александровна", "yu.fedorova", "Руководитель отдела кадров", 14, "F", True),
    ("Николай", "Михайлов", "Юрьевич", "n.mikhailov", "Руководитель поддержки", 15, "M", True),
    ("Максим", "Егоров", "Андреевич", "m.egorov", "Ведущий разработчик", 4, "M", False),
    ("Артём", "Никитин", "Олегович", "a.nikitin", "Разработчик", 4, "M", False),
    ("Кирилл", "Захаров", "Денисович", "k.zakharov", "Разработчик", 4, "M", False),
    ("Виктория", "Зайцева", "Игоревна", "v.zaytseva", "Системный аналитик", 5, "F", False),
    ("Роман", "Соловьёв", "Викторович", "r.soloviev", "Разработчик", 5, "M", False),
    ("Евгений", "Борисов", "Павлович", "e.borisov", "Разработчик", 5, "M", False),
    ("Мария", "Яковлева", "Андреевна", "m.yakovleva", "Инженер по тестированию", 6, "F", False),
    ("Илья", "Григорьев", "Сергеевич", "i.grigoriev", "Инженер по автоматизации тестирования", 6, "M", False),
    ("Светлана", "Романова", "Николаевна", "s.romanova", "Менеджер по продажам", 8, "F", False),
    ("Владимир", "Воробьёв", "Алексеевич", "v.vorobiev", "Менеджер по продажам", 8, "M", False),
    ("Ксения", "Сергеева", "Михайловна", "k.sergeeva", "Менеджер по работе с ключевыми клиентами", 8, "F", False),
    ("Игорь", "Фролов", "Васильевич", "i.frolov", "Менеджер по продажам", 9, "M", False),
    ("Людмила", "Александрова", "Петровна", "l.aleksandrova", "Менеджер по продажам", 9, "F", False),
    ("Константин", "Дмитриев", "Олегович", "k.dmitriev", "Менеджер по продажам", 9, "M", False),
    ("Галина", "Королёва", "Ивановна", "g.koroleva", "Менеджер по работе с партнёрами", 10, "F", False),
    ("Олег", "Гусев", "Романович", "o.gusev", "Менеджер по работе с партнёрами", 10, "M", False),
    ("Алина", "Киселёва", "Артёмовна", "a.kiseleva", "Менеджер по лицензированию", 11, "F", False),
    ("Степан", "Ильин", "Геннадьевич", "s.ilyin", "Менеджер по лицензированию", 11, "M", False),
    ("Дарья", "Максимова", "Евгеньевна", "d.maksimova", "Маркетолог", 12, "F", False),
    ("Василий", "Поляков", "Андреевич", "v.polyakov", "Менеджер мероприятий", 12, "M", False),
    ("Екатерина", "Сорокина", "Вадимовна", "e.sorokina", "Бухгалтер", 13, "F", False),
    ("Валентина", "Виноградова", "Сергеевна", "v.vinogradova", "Финансовый контролёр", 13, "F", False),
    ("Григорий", "Ковалёв", "Борисович", "g.kovalev", "Экономист", 13, "M", False),
    ("Полина", "Белова", "Игоревна", "p.belova", "Специалист по кадрам", 14, "F", False),
    ("Тимур", "Медведев", "Ринатович", "t.medvedev", "Инженер поддержки", 15, "M", False),
    ("Алёна", "Антонова", "Дмитриевна", "a.antonova", "Инженер поддержки", 15, "F", False),
    ("Фёдор", "Тарасов", "Ильич", "f.tarasov", "Архитектор", 3, "M", False),
    ("Вера", "Жукова", "Константиновна", "v.zhukova", "Офис-менеджер", 2, "F", False),
    ("Борис", "Баранов", "Степанович", "b.baranov", "Пресейл-инженер", 9, "M", False),
    ("Лариса", "Комарова", "Аркадьевна", "l.komarova", "Ассистент генерального директора", 2, "F", False),
)

PEOPLE: tuple[Person, ...] = tuple(Person(i + 1, *row) for i, row in enumerate(_PEOPLE_ROWS))


def head_of(department_id: int) -> Person:
    """The head of a department, or of the nearest ancestor that has one."""
    by_id = {d.id: d for d in DEPARTMENTS}
    current: int | None = department_id
    while current is not None:
        head = next((p for p in PEOPLE if p.department == current and p.is_head), None)
        if head is not None:
            return head
        current = by_id[current].parent
    return PEOPLE[0]  # the company itself is headed by the CEO


def admin() -> Person:
    """The integration account: the CEO's assistant runs the webhook in the demo portal."""
    return PEOPLE[0]
