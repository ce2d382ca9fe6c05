"""Customers, partners and products of the demo company, shared by both twins.

JIRA purchase requests name these customers and products, and Bitrix24 holds them as companies and
catalogue products, so demo sync profiles can match them by name or INN as they would in real life.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Company:
    key: str  # stable handle used by seeds, never sent to a system
    title: str
    inn: str
    kind: str  # CUSTOMER, PARTNER, INTEGRATOR, GOVERNMENT, DEVELOPER
    industry: str
    parent: str | None = None  # holding structure: key of the parent company
    city: str = "Москва"


COMPANIES: tuple[Company, ...] = (
    # A government body with a complex hierarchy (the case study's "holding structure").
    Company("minfin", "Министерство финансов Энской области", "7701000001", "GOVERNMENT", "GOVERNMENT"),
    Company("minfin-kazna", "Казначейство Энской области", "7701000002", "GOVERNMENT", "GOVERNMENT", "minfin"),
    Company("minfin-it", "ГКУ «Центр информационных технологий»", "7701000003", "GOVERNMENT", "GOVERNMENT",
            "minfin"),
    Company("minfin-it-north", "Северный филиал ГКУ «ЦИТ»", "7701000004", "GOVERNMENT", "GOVERNMENT",
            "minfin-it", "Архангельск"),
    Company("minzdrav", "Министерство здравоохранения Энской области", "7701000005", "GOVERNMENT", "GOVERNMENT"),
    Company("fns-region", "Управление ФНС по Энской области", "7701000006", "GOVERNMENT", "GOVERNMENT"),
    # Commercial customers.
    Company("severstal", "АО «Северная сталь»", "3528000011", "CUSTOMER", "MANUFACTURING", city="Череповец"),
    Company("volga-bank", "ПАО «Волга-Банк»", "5260000012", "CUSTOMER", "BANKING", city="Нижний Новгород"),
    Company("ural-energo", "ООО «Уралэнергосбыт»", "6670000013", "CUSTOMER", "ENERGY", city="Екатеринбург"),
    Company("retail-plus", "ООО «Ритейл Плюс»", "7705000014", "CUSTOMER", "RETAIL"),
    Company("medtech", "ООО «МедТех Решения»", "7806000015", "CUSTOMER", "HEALTHCARE", city="Санкт-Петербург"),
    Company("agro-holding", "АО «Агрохолдинг Кубань»", "2310000016", "CUSTOMER", "AGRICULTURE", city="Краснодар"),
    Company("agro-holding-elevator", "ООО «Кубань Элеватор»", "2310000017", "CUSTOMER", "AGRICULTURE",
            "agro-holding", "Краснодар"),
    # Partners and distributors who embed or resell the product.
    Company("softdistrib", "ООО «СофтДистрибуция»", "7703000021", "PARTNER", "IT"),
    Company("it-partner-sib", "ООО «ИТ-Партнёр Сибирь»", "5406000022", "PARTNER", "IT", city="Новосибирск"),
    Company("cloudline", "ООО «Облачная линия»", "7814000023", "PARTNER", "IT", city="Санкт-Петербург"),
    # System integrators and developers.
    Company("integra", "АО «Интегра Системс»", "7702000031", "INTEGRATOR", "IT"),
    Company("tehnoservis", "ООО «Техносервис Регион»", "6315000032", "INTEGRATOR", "IT", city="Самара"),
    Company("devstudio", "ООО «Студия разработки Альфа»", "1655000041", "DEVELOPER", "IT", city="Казань"),
)


@dataclass(frozen=True)
class Product:
    code: str  # article / XML_ID, the natural key on both sides
    name: str
    price: float
    currency: str = "RUB"
    section: str = "Лицензии"


PRODUCTS: tuple[Product, ...] = (
    Product("VS-PLAT-SRV", "Вектор Платформа: серверная лицензия", 450000.0),
    Product("VS-PLAT-USR", "Вектор Платформа: лицензия на пользователя", 12000.0),
    Product("VS-PLAT-ENT", "Вектор Платформа Enterprise: корпоративная лицензия", 2400000.0),
    Product("VS-DOC-SRV", "Вектор Документооборот: серверная лицензия", 380000.0),
    Product("VS-DOC-USR", "Вектор Документооборот: лицензия на пользователя", 9500.0),
    Product("VS-SDK-OEM", "Вектор SDK: OEM-лицензия для партнёров", 1200000.0),
    Product("VS-SUP-STD", "Техническая поддержка «Стандарт», 1 год", 90000.0, section="Поддержка"),
    Product("VS-SUP-PRM", "Техническая поддержка «Премиум», 1 год", 240000.0, section="Поддержка"),
    Product("VS-IMPL-DAY", "Внедрение: день работы инженера", 35000.0, section="Услуги"),
    Product("VS-TRAIN-ADM", "Курс «Администрирование платформы»", 45000.0, section="Обучение"),
    Product("VS-TRAIN-BA", "Курс «Бизнес-аналитик CRM»", 38000.0, section="Обучение"),
    Product("VS-MIGR", "Миграция данных из унаследованной системы", 150000.0, section="Услуги"),
)

# Deal pipeline of the default category, in order; (STATUS_ID, name, semantics) where
# semantics is None (in progress), "S" (won) or "F" (lost), as crm.status.list reports them.
DEAL_STAGES: tuple[tuple[str, str, str | None], ...] = (
    ("NEW", "Новая заявка", None),
    ("PREPARATION", "Квалификация", None),
    ("PREPAYMENT_INVOICE", "Согласование КП", None),
    ("EXECUTING", "Закупка согласована", None),
    ("FINAL_INVOICE", "Счёт выставлен", None),
    ("WON", "Сделка успешна", "S"),
    ("LOSE", "Сделка провалена", "F"),
    ("APOLOGY", "Анализ причины провала", "F"),
)

# The JIRA workflow of purchase requests, mirroring the pipeline (status name, category key).
PURCHASE_STATUSES: tuple[tuple[str, str], ...] = (
    ("Открыт", "new"),
    ("Квалификация", "indeterminate"),
    ("Согласование", "indeterminate"),
    ("Закупка согласована", "indeterminate"),
    ("Выставлен счёт", "indeterminate"),
    ("Выполнен", "done"),
    ("Отклонён", "done"),
)
