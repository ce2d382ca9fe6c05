"""The configuration of the twin: fields, projects, issue types, statuses, workflows, users, link types.

Real JIRA keeps these in its database and admins change them rarely; the sync engine only reads them.
The seed configuration is code (every lookup a dict access, custom field ids stable across restarts,
which demo profiles rely on); what an administrator adds or removes over REST (projects, users) is
applied on top of it by :mod:`admin_state` and persisted there, so :meth:`Catalog.restore` can go back
to the seed when the twin is re-seeded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from sync_engine.sandbox import seed_catalog, seed_people

TEXT = "com.atlassian.jira.plugin.system.customfieldtypes:textfield"
NUMBER = "com.atlassian.jira.plugin.system.customfieldtypes:float"
SELECT = "com.atlassian.jira.plugin.system.customfieldtypes:select"
DATE = "com.atlassian.jira.plugin.system.customfieldtypes:datepicker"

CF_CUSTOMER = "customfield_10100"
CF_AMOUNT = "customfield_10101"
CF_DISTRIBUTOR = "customfield_10102"
CF_DEAL_ID = "customfield_10103"
CF_CURRENCY = "customfield_10104"
CF_PRODUCT = "customfield_10105"
CF_CLOSE_DATE = "customfield_10106"
CUSTOM_FIELD_IDS: tuple[str, ...] = (
    CF_CUSTOMER, CF_AMOUNT, CF_DISTRIBUTOR, CF_DEAL_ID, CF_CURRENCY, CF_PRODUCT, CF_CLOSE_DATE,
)
# The product catalogue (project CAT, issue type Product).
CF_ARTICLE = "customfield_10110"
CF_PRICE = "customfield_10111"
CF_PRICE_CURRENCY = "customfield_10112"
PRODUCT_FIELD_IDS: tuple[str, ...] = (CF_ARTICLE, CF_PRICE, CF_PRICE_CURRENCY)
# Customer-side contact persons (project CRM, issue type Contact).
CF_FIRST_NAME = "customfield_10120"
CF_LAST_NAME = "customfield_10121"
CF_EMAIL = "customfield_10122"
CF_PHONE = "customfield_10123"
CF_POSITION = "customfield_10124"
CF_COMPANY = "customfield_10125"
CONTACT_FIELD_IDS: tuple[str, ...] = (CF_FIRST_NAME, CF_LAST_NAME, CF_EMAIL, CF_PHONE, CF_POSITION, CF_COMPANY)
# Companies mirrored from Bitrix24 (project CRM, issue type Company).
CF_INN = "customfield_10130"
CF_COMPANY_TYPE = "customfield_10131"
CF_B24_STATE = "customfield_10132"
COMPANY_FIELD_IDS: tuple[str, ...] = (CF_INN, CF_COMPANY_TYPE, CF_B24_STATE)
# Jira Software's global rank (LexoRank strings; ``ORDER BY Rank``, ``PUT /rest/agile/1.0/issue/rank``).
CF_RANK = "customfield_10019"
RANK_URI = "com.pyxis.greenhopper.jira:gh-lexo-rank"
# Bitrix24 COMPANY_TYPE -> the option of "Тип компании", in option order.
COMPANY_TYPES: tuple[tuple[str, str], ...] = (
    ("CUSTOMER", "Клиент"), ("PARTNER", "Партнёр"), ("INTEGRATOR", "Интегратор"), ("GOVERNMENT", "Госорган"),
    ("DEVELOPER", "Разработчик"),
)

TYPE_PURCHASE = "10000"
TYPE_TASK = "10002"
TYPE_BUG = "10004"
TYPE_COMPANY = "10005"
TYPE_CONTACT = "10006"
TYPE_PRODUCT = "10007"

TIME_ZONE = "Europe/Moscow"

# System fields on the create/edit screens. The seeded projects keep the short screen the demo profiles
# were built on; projects made from a software or business template get Jira's default screen.
SEED_SCREEN: tuple[str, ...] = ("summary", "description", "priority", "assignee", "reporter", "labels", "duedate")
DEFAULT_SCREEN: tuple[str, ...] = (*SEED_SCREEN, "components", "fixVersions", "versions", "environment",
                                   "timetracking", "attachment", "issuelinks")


@dataclass(frozen=True)
class OptionDef:
    id: str
    value: str


@dataclass(frozen=True)
class FieldDef:
    """``kind`` is the twin's storage/validation type: string, text, number, option, date, datetime, user,
    labels, project, issuetype, status, priority, resolution, comment, array (read-only lists)."""

    id: str
    name: str
    kind: str
    schema_type: str
    custom_uri: str | None = None
    items: str | None = None
    settable: bool = True
    navigable: bool = True
    searchable: bool = True
    orderable: bool = True
    options: tuple[OptionDef, ...] = ()
    clause_names: tuple[str, ...] = ()

    @property
    def custom(self) -> bool:
        return self.custom_uri is not None

    @property
    def custom_num(self) -> int | None:
        return int(self.id.rsplit("_", 1)[1]) if self.custom else None

    def clauses(self) -> list[str]:
        if self.custom:
            return [f"cf[{self.custom_num}]", self.name]
        return list(self.clause_names or (self.id,))

    def schema(self) -> dict[str, object]:
        out: dict[str, object] = {"type": self.schema_type}
        if self.items:
            out["items"] = self.items
        if self.custom:
            out["custom"] = self.custom_uri
            out["customId"] = self.custom_num
        else:
            out["system"] = self.id
        return out

    def option_by_value(self, value: str) -> OptionDef | None:
        return next((o for o in self.options if o.value == value), None)

    def option_by_id(self, option_id: str) -> OptionDef | None:
        return next((o for o in self.options if o.id == option_id), None)


@dataclass(frozen=True)
class StatusDef:
    id: str
    name: str
    category: str  # new | indeterminate | done


CATEGORIES: Mapping[str, tuple[int, str, str]] = MappingProxyType({
    "undefined": (1, "medium-gray", "No Category"),
    "new": (2, "blue-gray", "To Do"),
    "indeterminate": (4, "yellow", "In Progress"),
    "done": (3, "green", "Done"),
})


@dataclass(frozen=True)
class TransitionDef:
    id: str
    name: str
    to: str  # status id


@dataclass(frozen=True)
class WorkflowDef:
    name: str
    initial: str
    statuses: tuple[str, ...]
    # (from status id, transition): which transitions leave which status
    moves: tuple[tuple[str, TransitionDef], ...]

    def available(self, status_id: str) -> list[TransitionDef]:
        return [t for src, t in self.moves if src == status_id]


@dataclass(frozen=True)
class IssueTypeDef:
    id: str
    name: str
    description: str
    workflow: str


@dataclass(frozen=True)
class ProjectDef:
    """``fields`` is every custom field on any of the project's screens; ``screens`` narrows that per issue
    type (issue type id, field ids) where types differ, as a screen scheme does in JIRA."""

    id: str
    key: str
    name: str
    lead: str  # login
    issue_types: tuple[str, ...]
    fields: tuple[str, ...]  # custom field ids on this project's screens
    description: str = ""
    type_key: str = "software"
    screens: tuple[tuple[str, tuple[str, ...]], ...] = ()
    system_fields: tuple[str, ...] = SEED_SCREEN
    assignee_type: str = "UNASSIGNED"  # or PROJECT_LEAD: who "-1" (Automatic) and an unassigned create get
    url: str = ""
    category: str | None = None
    permission_scheme: str = "0"
    notification_scheme: str = "10000"
    issue_security_scheme: str | None = None
    workflow_scheme: str = ""  # its name ("KEY: Software Simplified Workflow Scheme"); "" = "KEY: Workflow Scheme"
    template: str = ""

    def fields_for(self, issue_type: str | None) -> tuple[str, ...]:
        """Custom fields on the screen of ``issue_type`` (all of the project's when not narrowed)."""
        return next((ids for tid, ids in self.screens if tid == issue_type), self.fields)


@dataclass(frozen=True)
class UserDef:
    login: str  # Server name; e-mail local part
    key: str  # Server key (JIRAUSERn)
    account_id: str
    display_name: str
    email: str
    active: bool = True


@dataclass(frozen=True)
class PriorityDef:
    id: str
    name: str


@dataclass(frozen=True)
class LinkTypeDef:
    id: str
    name: str
    inward: str
    outward: str


@dataclass
class Catalog:
    flavour: str
    fields: dict[str, FieldDef] = field(default_factory=dict)
    statuses: dict[str, StatusDef] = field(default_factory=dict)
    workflows: dict[str, WorkflowDef] = field(default_factory=dict)
    issue_types: dict[str, IssueTypeDef] = field(default_factory=dict)
    projects: dict[str, ProjectDef] = field(default_factory=dict)  # by key
    users: dict[str, UserDef] = field(default_factory=dict)  # by login
    priorities: dict[str, PriorityDef] = field(default_factory=dict)
    resolutions: dict[str, str] = field(default_factory=dict)  # id -> name
    link_types: dict[str, LinkTypeDef] = field(default_factory=dict)

    @property
    def cloud(self) -> bool:
        return self.flavour == "cloud"

    def restore(self, seed: Catalog) -> None:
        """Become ``seed`` again in place (the API objects hold this catalog, not a copy)."""
        for name in ("fields", "statuses", "workflows", "issue_types", "projects", "users", "priorities",
                     "resolutions", "link_types"):
            mine = getattr(self, name)
            mine.clear()
            mine.update(getattr(seed, name))

    def link_type(self, ref: str) -> LinkTypeDef | None:
        """By id, name, or (as the library falls back to) inward/outward description."""
        ref = str(ref)
        if ref in self.link_types:
            return self.link_types[ref]
        return next((t for t in self.link_types.values() if t.name.casefold() == ref.casefold()), None)

    def project_by_id(self, project_id: str) -> ProjectDef | None:
        return next((p for p in self.projects.values() if p.id == project_id), None)

    def project(self, ref: str) -> ProjectDef | None:
        ref = str(ref)
        if ref.upper() in self.projects:
            return self.projects[ref.upper()]
        for p in self.projects.values():
            if p.id == ref or p.name.casefold() == ref.casefold():
                return p
        return None

    def issue_type(self, ref: str) -> IssueTypeDef | None:
        ref = str(ref)
        if ref in self.issue_types:
            return self.issue_types[ref]
        return next((t for t in self.issue_types.values() if t.name.casefold() == ref.casefold()), None)

    def status(self, ref: str) -> StatusDef | None:
        ref = str(ref)
        if ref in self.statuses:
            return self.statuses[ref]
        return next((s for s in self.statuses.values() if s.name.casefold() == ref.casefold()), None)

    def priority(self, ref: str) -> PriorityDef | None:
        ref = str(ref)
        if ref in self.priorities:
            return self.priorities[ref]
        return next((p for p in self.priorities.values() if p.name.casefold() == ref.casefold()), None)

    def user(self, ref: str) -> UserDef | None:
        """Find by the flavour's identity: accountId on Cloud, name (or key) on Server."""
        if self.cloud:
            return next((u for u in self.users.values() if u.account_id == ref), None)
        if ref in self.users:
            return self.users[ref]
        return next((u for u in self.users.values() if u.key == ref or u.login.casefold() == ref.casefold()), None)

    def workflow_for(self, issue_type_id: str) -> WorkflowDef:
        return self.workflows[self.issue_types[issue_type_id].workflow]

    def field_by_clause(self, name: str) -> FieldDef | None:
        low = name.casefold()
        for f in self.fields.values():
            if any(c.casefold() == low for c in f.clauses()):
                return f
        return None


def _custom_fields() -> list[FieldDef]:
    # The demo field contract gives the catalogue's currency the same option ids as the purchase requests'
    # one; real JIRA numbers options globally, but no API of the twin looks options up across fields.
    currencies = tuple(OptionDef(str(10200 + i), v) for i, v in enumerate(("RUB", "USD", "EUR")))
    products = tuple(OptionDef(str(10300 + i), p.name) for i, p in enumerate(seed_catalog.PRODUCTS))
    kinds = tuple(OptionDef(str(10400 + i), label) for i, (_, label) in enumerate(COMPANY_TYPES))
    return [
        FieldDef(CF_CUSTOMER, "Заказчик", "string", "string", TEXT),
        FieldDef(CF_AMOUNT, "Сумма", "number", "number", NUMBER),
        FieldDef(CF_DISTRIBUTOR, "Дистрибьютор", "string", "string", TEXT),
        FieldDef(CF_DEAL_ID, "Bitrix24 deal id", "string", "string", TEXT),
        FieldDef(CF_CURRENCY, "Валюта", "option", "option", SELECT, options=currencies),
        FieldDef(CF_PRODUCT, "Продукт", "option", "option", SELECT, options=products),
        FieldDef(CF_CLOSE_DATE, "Дата закрытия", "date", "date", DATE),
        FieldDef(CF_ARTICLE, "Артикул", "string", "string", TEXT),
        FieldDef(CF_PRICE, "Цена", "number", "number", NUMBER),
        FieldDef(CF_PRICE_CURRENCY, "Валюта", "option", "option", SELECT, options=currencies),
        FieldDef(CF_FIRST_NAME, "Имя", "string", "string", TEXT),
        FieldDef(CF_LAST_NAME, "Фамилия", "string", "string", TEXT),
        FieldDef(CF_EMAIL, "Email", "string", "string", TEXT),
        FieldDef(CF_PHONE, "Телефон", "string", "string", TEXT),
        FieldDef(CF_POSITION, "Должность", "string", "string", TEXT),
        FieldDef(CF_COMPANY, "Компания", "string", "string", TEXT),
        FieldDef(CF_INN, "ИНН", "string", "string", TEXT),
        FieldDef(CF_COMPANY_TYPE, "Тип компании", "option", "option", SELECT, options=kinds),
        FieldDef(CF_B24_STATE, "Статус в Bitrix24", "string", "string", TEXT),
        FieldDef(CF_RANK, "Rank", "rank", "any", RANK_URI, settable=False),
    ]


def _system_fields() -> list[FieldDef]:
    return [
        FieldDef("summary", "Summary", "text", "string"),
        FieldDef("description", "Description", "text", "string", orderable=True),
        FieldDef("issuetype", "Issue Type", "issuetype", "issuetype", clause_names=("issuetype", "type")),
        FieldDef("project", "Project", "project", "project"),
        FieldDef("status", "Status", "status", "status", settable=False),
        FieldDef("priority", "Priority", "priority", "priority"),
        FieldDef("assignee", "Assignee", "user", "user"),
        FieldDef("reporter", "Reporter", "user", "user"),
        FieldDef("creator", "Creator", "user", "user", settable=False),
        FieldDef("labels", "Labels", "labels", "array", items="string"),
        FieldDef("duedate", "Due Date", "date", "date", clause_names=("due", "duedate")),
        FieldDef("created", "Created", "datetime", "datetime", clause_names=("created", "createdDate"), settable=False),
        FieldDef("updated", "Updated", "datetime", "datetime", clause_names=("updated", "updatedDate"), settable=False),
        FieldDef("resolution", "Resolution", "resolution", "resolution", settable=False),
        FieldDef("resolutiondate", "Resolved", "datetime", "datetime",
                 clause_names=("resolved", "resolutiondate"), settable=False),
        FieldDef("comment", "Comment", "comment", "comments-page", navigable=False, settable=False),
        FieldDef("components", "Component/s", "components", "array", items="component",
                 clause_names=("component",)),
        FieldDef("fixVersions", "Fix Version/s", "versions", "array", items="version", clause_names=("fixVersion",)),
        FieldDef("versions", "Affects Version/s", "versions", "array", items="version",
                 clause_names=("affectedVersion",)),
        FieldDef("environment", "Environment", "text", "string", orderable=True),
        FieldDef("timetracking", "Time tracking", "timetracking", "timetracking", navigable=False,
                 clause_names=()),
        FieldDef("timeoriginalestimate", "Original Estimate", "seconds", "number",
                 clause_names=("originalEstimate", "timeoriginalestimate"), settable=False),
        FieldDef("timeestimate", "Remaining Estimate", "seconds", "number",
                 clause_names=("remainingEstimate", "timeestimate"), settable=False),
        FieldDef("timespent", "Time Spent", "seconds", "number", clause_names=("timespent",), settable=False),
        FieldDef("worklog", "Log Work", "worklog", "array", items="worklog", navigable=False, settable=False),
        FieldDef("attachment", "Attachment", "attachment", "array", items="attachment", settable=False),
        FieldDef("issuelinks", "Linked Issues", "issuelinks", "array", items="issuelinks", settable=False),
        FieldDef("subtasks", "Sub-Tasks", "array", "array", items="issuelinks", settable=False),
        FieldDef("issuekey", "Key", "key", "string", navigable=False, clause_names=("issuekey", "key", "id"),
                 settable=False),
    ]


def _workflows() -> tuple[list[StatusDef], list[WorkflowDef]]:
    statuses = [StatusDef("1", "To Do", "new"), StatusDef("3", "In Progress", "indeterminate"),
                StatusDef("10001", "Done", "done")]
    simple_moves: list[tuple[str, TransitionDef]] = []
    for src in ("1", "3", "10001"):
        for tid, name, dst in (("11", "To Do", "1"), ("21", "In Progress", "3"), ("31", "Done", "10001")):
            if dst != src:
                simple_moves.append((src, TransitionDef(tid, name, dst)))
    simple = WorkflowDef("Software Simplified Workflow", "1", ("1", "3", "10001"), tuple(simple_moves))

    purchase = [StatusDef(str(10100 + i), name, cat) for i, (name, cat) in enumerate(seed_catalog.PURCHASE_STATUSES)]
    statuses.extend(purchase)
    ids = [s.id for s in purchase]
    rejected = next(s for s in purchase if s.name == "Отклонён")
    flow = [s for s in purchase if s is not rejected]

    def move(target: StatusDef) -> TransitionDef:
        return TransitionDef(str(11 + 10 * ids.index(target.id)), target.name, target.id)

    moves: list[tuple[str, TransitionDef]] = []
    for i, st in enumerate(flow):
        if i + 1 < len(flow):
            moves.append((st.id, move(flow[i + 1])))
        if 0 < i < len(flow) - 1:
            moves.append((st.id, move(flow[i - 1])))
        if st.category != "done":
            moves.append((st.id, move(rejected)))
    moves.append((rejected.id, move(flow[0])))  # reopen a rejected request
    wf = WorkflowDef("Закупка", flow[0].id, tuple(ids), tuple(moves))

    # Reference records (companies, contacts, products) are only open or closed. JIRA status names are
    # global, so "Открыт" is the purchase workflow's status object, reused.
    opened = purchase[0]
    closed = StatusDef(str(10100 + len(purchase)), "Закрыт", "done")
    statuses.append(closed)
    reference = WorkflowDef("Справочник", opened.id, (opened.id, closed.id), (
        (opened.id, TransitionDef("11", "Закрыть", closed.id)),
        (closed.id, TransitionDef("21", "Переоткрыть", opened.id)),
    ))
    return statuses, [simple, wf, reference]


def _projects() -> list[ProjectDef]:
    return [
        ProjectDef("10000", "PROC", "Заявки на закупку", seed_people.head_of(11).login,
                   (TYPE_PURCHASE, TYPE_TASK, TYPE_BUG), CUSTOM_FIELD_IDS,
                   description="Заявки клиентов и партнёров на закупку лицензий, поддержки и услуг."),
        ProjectDef("10001", "SALES", "Продажи", seed_people.head_of(9).login, (TYPE_TASK, TYPE_BUG), (),
                   description="Задачи коммерческого департамента."),
        ProjectDef("10002", "CRM", "Клиенты и контакты", seed_people.head_of(7).login,
                   (TYPE_COMPANY, TYPE_CONTACT), COMPANY_FIELD_IDS + CONTACT_FIELD_IDS,
                   description="Компании из Bitrix24 и контактные лица клиентов и партнёров.",
                   type_key="business",
                   screens=((TYPE_COMPANY, COMPANY_FIELD_IDS), (TYPE_CONTACT, CONTACT_FIELD_IDS))),
        ProjectDef("10003", "CAT", "Каталог продуктов", seed_people.head_of(3).login, (TYPE_PRODUCT,),
                   PRODUCT_FIELD_IDS, description="Продукты, лицензии и услуги компании с артикулами и ценами.",
                   type_key="business"),
    ]


def build_catalog(flavour: str, integration_login: str, integration_email: str) -> Catalog:
    cat = Catalog(flavour=flavour)
    for f in _system_fields() + _custom_fields():
        cat.fields[f.id] = f
    statuses, workflows = _workflows()
    cat.statuses = {s.id: s for s in statuses}
    cat.workflows = {w.name: w for w in workflows}
    cat.issue_types = {
        t.id: t
        for t in (
            # Jira's own types first, as its issue type list (sorted by sequence) shows them; then the company's.
            IssueTypeDef(TYPE_TASK, "Task", "A task that needs to be done.", "Software Simplified Workflow"),
            IssueTypeDef(TYPE_BUG, "Bug", "A problem which impairs or prevents the functions of the product.",
                         "Software Simplified Workflow"),
            IssueTypeDef(TYPE_PURCHASE, "Purchase request", "Заявка на закупку лицензий и услуг", "Закупка"),
            IssueTypeDef(TYPE_COMPANY, "Company", "Компания: клиент, партнёр, интегратор или госорган",
                         "Справочник"),
            IssueTypeDef(TYPE_CONTACT, "Contact", "Контактное лицо клиента или партнёра", "Справочник"),
            IssueTypeDef(TYPE_PRODUCT, "Product", "Продукт или услуга из каталога", "Справочник"),
        )
    }
    cat.projects = {p.key: p for p in _projects()}
    cat.priorities = {p.id: p for p in (PriorityDef("1", "Highest"), PriorityDef("2", "High"),
                                        PriorityDef("3", "Medium"), PriorityDef("4", "Low"),
                                        PriorityDef("5", "Lowest"))}
    cat.resolutions = {"10000": "Done", "10001": "Won't Do", "10002": "Duplicate", "10003": "Cannot Reproduce"}
    cat.link_types = {t.id: t for t in (
        LinkTypeDef("10000", "Blocks", "is blocked by", "blocks"),
        LinkTypeDef("10001", "Cloners", "is cloned by", "clones"),
        LinkTypeDef("10002", "Duplicate", "is duplicated by", "duplicates"),
        LinkTypeDef("10003", "Relates", "relates to", "relates to"),
    )}
    cat.users[integration_login] = UserDef(integration_login, "JIRAUSER10000", "557058:integration-0000-0000-0001",
                                           "Интеграция Bitrix24", integration_email)
    for p in seed_people.PEOPLE:
        cat.users[p.login] = UserDef(p.login, f"JIRAUSER{10000 + p.id}", p.account_id, p.display_name, p.email)
    return cat
