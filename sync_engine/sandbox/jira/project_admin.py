"""What a project administrator changes: projects themselves, their roles, versions and components.

Projects made over ``POST /project`` join :attr:`Catalog.projects` like the seeded ones (so issues,
JQL, createmeta and webhooks treat them alike) and are stored as documents, as are deletions of
seeded projects; versions and components live only as documents. Deleting a project deletes its
issues with everything on them, as Jira does.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

from sync_engine.sandbox.jira.catalog import DEFAULT_SCREEN, TYPE_BUG, TYPE_TASK, Catalog, ProjectDef
from sync_engine.sandbox.jira.directory import USERS_GROUP, Directory
from sync_engine.sandbox.jira.errors import ApiError
from sync_engine.sandbox.jira.service import IssueService
from sync_engine.sandbox.jira.store import IssueRow

KEY_RE = re.compile(r"^[A-Z][A-Z0-9_]+$")
KEY_MAX = 10
ROLES: dict[str, tuple[str, str]] = {
    "10002": ("Administrators", "A project role that represents administrators in a project"),
    "10001": ("Developers", "A project role that represents developers in a project"),
    "10000": ("Users", "A project role that represents users in a project"),
}
ASSIGNEE_TYPES = ("PROJECT_LEAD", "UNASSIGNED")
PROJECT_TYPES = ("software", "business")


@dataclasses.dataclass(frozen=True)
class Template:
    key: str
    name: str
    type_key: str
    issue_types: tuple[str, ...]
    workflow_scheme: str  # after "KEY: "
    server: bool = True
    cloud: bool = True


SOFTWARE_TYPES = (TYPE_TASK, TYPE_BUG)
TEMPLATES: tuple[Template, ...] = (
    Template("com.pyxis.greenhopper.jira:gh-scrum-template", "Scrum software development", "software",
             SOFTWARE_TYPES, "Software Simplified Workflow Scheme", cloud=False),
    Template("com.pyxis.greenhopper.jira:gh-kanban-template", "Kanban software development", "software",
             SOFTWARE_TYPES, "Software Simplified Workflow Scheme", cloud=False),
    Template("com.pyxis.greenhopper.jira:basic-software-development-template", "Basic software development",
             "software", SOFTWARE_TYPES, "Software Simplified Workflow Scheme", cloud=False),
    Template("com.atlassian.jira-core-project-templates:jira-core-project-management", "Project management",
             "business", (TYPE_TASK,), "Project Management Workflow Scheme", cloud=False),
    Template("com.atlassian.jira-core-project-templates:jira-core-task-management", "Task management",
             "business", (TYPE_TASK,), "Task Management Workflow Scheme", cloud=False),
    Template("com.atlassian.jira-core-project-templates:jira-core-process-management", "Process management",
             "business", (TYPE_TASK,), "Process Management Workflow Scheme", cloud=False),
    Template("com.pyxis.greenhopper.jira:gh-simplified-basic", "Basic", "software", SOFTWARE_TYPES,
             "Software Simplified Workflow Scheme", server=False),
    Template("com.pyxis.greenhopper.jira:gh-simplified-kanban-classic", "Kanban", "software", SOFTWARE_TYPES,
             "Software Simplified Workflow Scheme", server=False),
    Template("com.pyxis.greenhopper.jira:gh-simplified-scrum-classic", "Scrum", "software", SOFTWARE_TYPES,
             "Software Simplified Workflow Scheme", server=False),
    Template("com.atlassian.jira-core-project-templates:jira-core-simplified-task-tracking", "Task tracking",
             "business", (TYPE_TASK,), "Task Tracking Workflow Scheme", server=False),
    Template("com.atlassian.jira-core-project-templates:jira-core-simplified-project-management",
             "Project management", "business", (TYPE_TASK,), "Project Management Workflow Scheme", server=False),
)


def _project_from_doc(data: dict[str, Any]) -> ProjectDef:
    tuples = {"issue_types", "fields", "system_fields"}
    values: dict[str, Any] = {k: (tuple(v) if k in tuples else v) for k, v in data.items()}
    values["screens"] = tuple((t, tuple(ids)) for t, ids in data.get("screens", []))
    return ProjectDef(**values)


class ProjectAdmin:
    def __init__(self, catalog: Catalog, service: IssueService, directory: Directory,
                 schemes: Callable[[], dict[str, set[str]]]) -> None:
        self.cat = catalog
        self.s = service
        self.store = service.store
        self.dir = directory
        self.schemes = schemes  # kind -> ids an administrator may name at create (permission, notification, ...)
        self.on_delete: list[Callable[[IssueRow], None]] = []
        self.load()

    def load(self) -> None:
        for key in self.store.docs("project-deleted"):
            self.cat.projects.pop(key, None)
        for key, data in self.store.docs("project").items():
            self.cat.projects[key] = _project_from_doc(data)

    def templates(self) -> list[Template]:
        return [t for t in TEMPLATES if (t.cloud if self.cat.cloud else t.server)]

    def project_or_404(self, ref: str) -> ProjectDef:
        p = self.cat.project(ref)
        if p is None:
            raise ApiError(404, [f"No project could be found with key '{ref}'."])
        return p

    def _save(self, p: ProjectDef) -> None:
        self.cat.projects[p.key] = p
        self.store.put_doc("project", p.key, dataclasses.asdict(p))
        self.store.delete_doc("project-deleted", p.key)

    def require_admin(self, actor: str, what: str) -> None:
        if not self.dir.is_admin(actor):
            raise ApiError(403, [f"You must have global administrator rights in order to {what}."])

    # -- projects ---------------------------------------------------------------------------------------
    def create(self, body: Any, actor: str) -> ProjectDef:
        self.require_admin(actor, "create a project")
        if not isinstance(body, dict):
            raise ApiError(400, ["The project must be a JSON object."])
        errors: dict[str, str] = {}
        key = body.get("key")
        if not isinstance(key, str) or not key:
            errors["projectKey"] = "You must specify a unique project key, at least 2 characters long."
        elif len(key) > KEY_MAX:
            errors["projectKey"] = f"The project key must not exceed {KEY_MAX} characters in length."
        elif not KEY_RE.match(key):
            errors["projectKey"] = ("Project keys must start with an uppercase letter, followed by one or more "
                                    "uppercase alphanumeric characters.")
        elif key in self.cat.projects:
            errors["projectKey"] = f"Project '{self.cat.projects[key].name}' uses this project key."
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            errors["projectName"] = "You must specify a valid project name."
        elif any(p.name.casefold() == name.strip().casefold() for p in self.cat.projects.values()):
            errors["projectName"] = "A project with that name already exists."
        lead_ref = body.get("leadAccountId") if self.cat.cloud else body.get("lead")
        lead = self.cat.user(str(lead_ref)) if lead_ref is not None else None
        if lead is None:
            errors["projectLead"] = "The user you have specified as project lead does not exist."
        type_key = body.get("projectTypeKey", "software")
        if type_key not in PROJECT_TYPES:
            errors["projectTypeKey"] = f"The project type '{type_key}' is not installed or not valid."
        template = None
        template_key = body.get("projectTemplateKey")
        if template_key is not None:
            template = next((t for t in self.templates() if t.key == template_key), None)
            if template is None:
                errors["projectTemplateKey"] = f"The project template '{template_key}' does not exist."
            elif template.type_key != type_key:
                errors["projectTemplateKey"] = (f"The project template '{template_key}' is not for projects of "
                                                f"type '{type_key}'.")
        assignee_type = body.get("assigneeType", "UNASSIGNED")
        if assignee_type not in ASSIGNEE_TYPES:
            errors["assigneeType"] = f"The assignee type must be one of {', '.join(ASSIGNEE_TYPES)}."
        refs: dict[str, str | None] = {}
        known = self.schemes()
        for field_name, kind in (("permissionScheme", "permission"), ("notificationScheme", "notification"),
                                 ("issueSecurityScheme", "security"), ("categoryId", "category")):
            value = body.get(field_name)
            if value is None:
                refs[kind] = None
            elif str(value) not in known[kind]:
                errors[field_name] = f"The {kind} scheme with id '{value}' does not exist." if kind != "category" \
                    else f"The project category with id '{value}' does not exist."
            else:
                refs[kind] = str(value)
        if errors:
            raise ApiError(400, [], errors)
        assert isinstance(key, str) and isinstance(name, str) and lead is not None
        chosen = template or (next(t for t in self.templates() if t.type_key == type_key))
        project = ProjectDef(
            str(self.store.next_value("project_id", 10100)), key, name.strip(), lead.login, chosen.issue_types, (),
            description=str(body.get("description") or ""), type_key=str(type_key), system_fields=DEFAULT_SCREEN,
            assignee_type=str(assignee_type), url=str(body.get("url") or ""), category=refs["category"],
            permission_scheme=refs["permission"] or "0", notification_scheme=refs["notification"] or "10000",
            # a template brings its own scheme set: it makes no issue-level security, whatever is passed
            issue_security_scheme=None if template is not None else refs["security"],
            workflow_scheme=f"{key}: {chosen.workflow_scheme}", template=chosen.key,
        )
        self._save(project)
        admins = {"users": [lead.login], "groups": list(self.dir.admin_groups)}
        self.store.put_doc("role-actors", f"{key}:10002", admins)
        self.store.put_doc("role-actors", f"{key}:10000", {"users": [], "groups": [USERS_GROUP]})
        return project

    def update(self, project: ProjectDef, body: Any, actor: str) -> ProjectDef:
        self.require_admin(actor, "edit a project")
        if not isinstance(body, dict):
            raise ApiError(400, ["The project must be a JSON object."])
        changes: dict[str, Any] = {}
        if "name" in body:
            if not isinstance(body["name"], str) or not body["name"].strip():
                raise ApiError(400, [], {"projectName": "You must specify a valid project name."})
            changes["name"] = body["name"].strip()
        if "description" in body:
            changes["description"] = str(body["description"] or "")
        lead_ref = body.get("leadAccountId" if self.cat.cloud else "lead")
        if lead_ref is not None:
            lead = self.cat.user(str(lead_ref))
            if lead is None:
                raise ApiError(400, [], {"projectLead": "The user you have specified as project lead does not exist."})
            changes["lead"] = lead.login
        if "assigneeType" in body:
            if body["assigneeType"] not in ASSIGNEE_TYPES:
                raise ApiError(400, [], {"assigneeType": "The assignee type must be PROJECT_LEAD or UNASSIGNED."})
            changes["assignee_type"] = body["assigneeType"]
        if "url" in body:
            changes["url"] = str(body["url"] or "")
        updated = dataclasses.replace(project, **changes)
        self._save(updated)
        return updated

    def delete(self, project: ProjectDef, actor: str) -> None:
        self.require_admin(actor, "delete a project")
        for issue_id in self.store.project_issue_ids(project.key):
            row = self.store.get_issue(str(issue_id))
            if row is not None:
                for hook in self.on_delete:
                    hook(row)
                self.store.delete_issue(issue_id)
        for kind in ("version", "component"):
            for doc_id, data in self.store.docs(kind).items():
                if data["project"] == project.key:
                    self.store.delete_doc(kind, doc_id)
        for role in ROLES:
            self.store.delete_doc("role-actors", f"{project.key}:{role}")
        del self.cat.projects[project.key]
        self.store.delete_doc("project", project.key)
        self.store.put_doc("project-deleted", project.key, True)

    # -- roles -----------------------------------------------------------------------------------------
    def actors(self, project: ProjectDef, role_id: str) -> dict[str, list[str]]:
        stored = self.store.docs("role-actors").get(f"{project.key}:{role_id}")
        if stored is not None:
            return {"users": [u for u in stored["users"] if u in self.cat.users],
                    "groups": [g for g in stored["groups"] if g in self.dir.groups]}
        if role_id == "10002":  # the seeded projects: administrators and the lead administer them
            return {"users": [project.lead], "groups": list(self.dir.admin_groups)}
        if role_id == "10000":
            return {"users": [], "groups": [USERS_GROUP]}
        return {"users": [], "groups": []}

    def set_actors(self, project: ProjectDef, role_id: str, users: list[str], groups: list[str]) -> None:
        self.store.put_doc("role-actors", f"{project.key}:{role_id}", {"users": users, "groups": groups})

    def in_role(self, project: ProjectDef, role_name: str, login: str) -> bool:
        role_id = next((rid for rid, (name, _) in ROLES.items() if name.casefold() == role_name.casefold()), None)
        if role_id is None:
            return False
        actors = self.actors(project, role_id)
        return login in actors["users"] or any(login in self.dir.groups.get(g, set()) for g in actors["groups"])

    # -- versions and components ----------------------------------------------------------------------------
    def items(self, kind: str, project: ProjectDef | None = None) -> list[dict[str, Any]]:
        docs = self.store.docs(kind).values()
        return [d for d in docs if project is None or d["project"] == project.key]

    def item(self, kind: str, item_id: str) -> dict[str, Any]:
        found = self.store.docs(kind).get(str(item_id))
        if found is None:
            what = "version" if kind == "version" else "component"
            raise ApiError(404, [f"Could not find {what} for id '{item_id}'"])
        return dict(found)

    def save_item(self, kind: str, data: dict[str, Any]) -> None:
        self.store.put_doc(kind, str(data["id"]), data)

    def new_item_id(self, kind: str) -> str:
        return str(self.store.next_value(f"{kind}_id", 10000))

    def item_id(self, kind: str, project: str, ref: dict[str, Any]) -> str | None:
        """ProjectItems: the id of a version/component named by ``{"id"}`` or ``{"name"}`` in ``project``."""
        for doc in self.store.docs(kind).values():
            if doc["project"] != project:
                continue
            if ("id" in ref and str(ref["id"]) == str(doc["id"])) or \
                    ("id" not in ref and str(ref.get("name", "")).casefold() == str(doc["name"]).casefold()):
                return str(doc["id"])
        return None

    def item_name(self, kind: str, item_id: str) -> str:
        doc = self.store.docs(kind).get(str(item_id))
        return str(doc["name"]) if doc else str(item_id)

    def drop_item(self, kind: str, item: dict[str, Any], replacements: dict[str, str | None], actor: str) -> int:
        """Delete a version (or component) and take it off every issue (or swap it for another, as Jira's
        ``moveFixIssuesTo`` / ``moveIssuesTo`` do); returns how many issues changed."""
        fields = ("fixVersions", "versions") if kind == "version" else ("components",)
        project = self.cat.projects[item["project"]]
        changed = 0
        needle = f'"{item["id"]}"'
        for row in self.s.store.search("project = ? AND instr(fields, ?) > 0", [project.key, needle],
                                       "issues.id", 1_000_000, 0):
            before = self.s.snapshot(row)
            new_fields = dict(row.fields)
            for fid in fields:
                values = [v for v in (new_fields.get(fid) or [])]
                if item["id"] not in values:
                    continue
                values = [v for v in values if v != item["id"]]
                other = replacements.get(fid)
                if other and other not in values:
                    values.append(other)
                new_fields[fid] = values
            if new_fields != row.fields:
                row.fields = new_fields
                self.s.change(row, before, actor, "issue_updated")
                changed += 1
        self.store.delete_doc(kind, str(item["id"]))
        return changed
