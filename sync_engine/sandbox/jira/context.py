"""The services every endpoint module works with, built once per twin and handed to each API class."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from sync_engine.sandbox.jira.attachments import AttachmentService
from sync_engine.sandbox.jira.catalog import Catalog, ProjectDef
from sync_engine.sandbox.jira.directory import Directory
from sync_engine.sandbox.jira.errors import ApiError
from sync_engine.sandbox.jira.issue_links import LinkService
from sync_engine.sandbox.jira.parts import Parts
from sync_engine.sandbox.jira.permissions import Permissions
from sync_engine.sandbox.jira.project_admin import ProjectAdmin
from sync_engine.sandbox.jira.render import Renderer
from sync_engine.sandbox.jira.service import IssueService
from sync_engine.sandbox.jira.store import IssueRow
from sync_engine.sandbox.jira.worklogs import WorklogService

# (path under /rest/api/{2,3,latest} or absolute when it starts with "!", endpoint, methods)
RouteSpec = tuple[str, object, list[str]]


def actor(request: Request) -> str:
    return str(request.scope.get("jira.user", ""))


@dataclass
class Context:
    cat: Catalog
    r: Renderer
    s: IssueService
    dir: Directory
    admin: ProjectAdmin
    parts: Parts
    perms: Permissions
    worklogs: WorklogService
    attachments: AttachmentService
    links: LinkService

    @property
    def cloud(self) -> bool:
        return self.cat.cloud

    def visible_issue(self, ref: str, request: Request) -> IssueRow:
        """The issue, if the caller may browse its project (else the same 404 as a missing one)."""
        row = self.s.get(ref)
        if not self.perms.has(actor(request), "BROWSE_PROJECTS", self.cat.projects.get(row.project)):
            raise ApiError(404, ["Issue does not exist or you do not have permission to see it."])
        return row

    def project_of(self, row: IssueRow) -> ProjectDef:
        return self.cat.projects[row.project]

    def require_admin(self, request: Request, what: str) -> None:
        if not self.dir.is_admin(actor(request)):
            raise ApiError(403, [f"You must have global administrator rights in order to {what}."])
