"""Application properties (``/application-properties``): the advanced settings an administrator may read
and change, typed and validated as Jira does; changes are kept in the twin's state."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sync_engine.sandbox.jira.context import Context, RouteSpec
from sync_engine.sandbox.jira.errors import ApiError
from sync_engine.sandbox.jira.http_util import read_json


@dataclass(frozen=True)
class Setting:
    key: str
    name: str
    type: str  # string, colour, number, boolean
    default: str
    description: str = ""


SETTINGS: tuple[Setting, ...] = (
    Setting("jira.clone.prefix", "The prefix added to the Summary field of cloned issues", "string", "CLONE -"),
    Setting("jira.date.picker.java.format", "Date picker Java format", "string", "d/MMM/yy"),
    Setting("jira.date.picker.javascript.format", "Date picker JavaScript format", "string", "%e/%b/%y"),
    Setting("jira.date.time.picker.java.format", "Date time picker Java format", "string", "dd/MMM/yy h:mm a"),
    Setting("jira.date.time.picker.javascript.format", "Date time picker JavaScript format", "string",
            "%e/%b/%y %I:%M %p"),
    Setting("jira.issue.actions.order", "Default order of issue actions", "string", "asc"),
    Setting("jira.table.cols.subtasks", "Columns of the sub-task table", "string",
            "issuetype, status, assignee, progress"),
    Setting("jira.view.issue.links.sort.order", "Sort order of issue links", "string", "type, status, priority"),
    Setting("jira.comment.collapsing.minimum.hidden", "Fewest comments to hide when collapsing", "number", "4"),
    Setting("jira.newsletter.tip.delay.days", "Days before the newsletter tip shows", "number", "7"),
    Setting("jira.projectkey.warning", "Warning shown for the project key", "string",
            "admin.projects.key.warning"),
    Setting("jira.projectkey.description", "Description of the project key", "string",
            "admin.projects.key.description"),
    Setting("jira.lf.top.adg3.bgcolour", "Header background colour", "colour", "#205081"),
    Setting("jira.lf.text.headingcolour", "Heading colour", "colour", "#172b4d"),
    Setting("jira.lf.text.linkcolour", "Link colour", "colour", "#3b73af"),
    Setting("jira.lf.favicon.url", "Favicon URL", "string", "/favicon.ico"),
    Setting("jira.lf.favicon.hires.url", "High-resolution favicon URL", "string", "/jira-favicon-hires.png"),
    Setting("jira.lf.logo.url", "Logo URL", "string", "/images/icon-jira-logo.png"),
    Setting("jira.title", "Title of this Jira instance", "string", "Вектор Софт JIRA"),
    Setting("jira.mail.send.disabled", "Outgoing mail disabled", "boolean", "false"),
    Setting("jira.option.allowunassigned", "Allow unassigned issues", "boolean", "true"),
    Setting("jira.option.timetracking", "Time tracking enabled", "boolean", "true"),
    Setting("jira.timetracking.hours.per.day", "Working hours per day", "number", "8"),
    Setting("jira.timetracking.days.per.week", "Working days per week", "number", "5"),
)
BY_KEY = {s.key: s for s in SETTINGS}
_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
KIND = "app-property"


class SettingsApi:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.store = ctx.s.store

    def routes(self) -> list[RouteSpec]:
        return [
            ("/application-properties", self.properties, ["GET"]),
            ("/application-properties/advanced-settings", self.advanced, ["GET"]),
            ("/application-properties/{id}", self.set_property, ["PUT"]),
        ]

    def _json(self, s: Setting) -> dict[str, Any]:
        value = self.store.docs(KIND).get(s.key, s.default)
        return {"id": s.key, "key": s.key, "value": value, "name": s.name, "desc": s.description or s.name,
                "type": s.type, "defaultValue": s.default}

    async def properties(self, request: Request) -> Response:
        q = request.query_params
        key = q.get("key")
        if key:
            setting = BY_KEY.get(key)
            if setting is None:
                raise ApiError(404, [f"Property '{key}' does not exist."])
            return JSONResponse(self._json(setting))
        pattern = q.get("keyFilter")
        try:
            matcher = re.compile(pattern) if pattern else None
        except re.error:
            raise ApiError(400, [f"The keyFilter '{pattern}' is not a valid regular expression."]) from None
        return JSONResponse([self._json(s) for s in SETTINGS if matcher is None or matcher.fullmatch(s.key)])

    async def advanced(self, request: Request) -> Response:
        self.ctx.require_admin(request, "see the advanced settings")
        return JSONResponse([self._json(s) for s in SETTINGS])

    async def set_property(self, request: Request) -> Response:
        self.ctx.require_admin(request, "change application properties")
        key = request.path_params["id"]
        setting = BY_KEY.get(key)
        if setting is None:
            raise ApiError(404, [f"Property '{key}' does not exist."])
        body = await read_json(request)
        value = body.get("value") if isinstance(body, dict) else None
        if not isinstance(value, str):
            raise ApiError(400, ["The property value must be a string."])
        if setting.type == "colour" and not _COLOUR.match(value):
            raise ApiError(400, [f"'{value}' is not a valid colour: use #RRGGBB."])
        if setting.type == "number" and not value.strip().isdigit():
            raise ApiError(400, [f"'{value}' is not a valid number."])
        if setting.type == "boolean" and value not in ("true", "false"):
            raise ApiError(400, [f"'{value}' is not 'true' or 'false'."])
        self.store.put_doc(KIND, key, value)
        return JSONResponse(self._json(setting))
