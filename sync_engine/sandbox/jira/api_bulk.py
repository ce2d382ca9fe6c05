"""Cloud's issue bulk operations (``/rest/api/3/bulk/...``): available transitions grouped by workflow,
bulk transition and bulk edit (asynchronous: a ``taskId``), editable fields, and the task queue.

Server/DC has none of these, so the twin routes them only on Cloud (Server answers 404, as it does).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sync_engine.sandbox.jira.bulk import MAX_FIELDS, MAX_ISSUES, BulkError, BulkService, Step
from sync_engine.sandbox.jira.context import Context, RouteSpec, actor
from sync_engine.sandbox.jira.errors import ApiError
from sync_engine.sandbox.jira.http_util import read_json
from sync_engine.sandbox.jira.store import IssueRow
from sync_engine.sandbox.jira.values import adf_to_text

PAGE = 50
MULTI = ("ADD", "REMOVE", "REPLACE", "REMOVE_ALL")
NOT_BULK_EDITABLE = frozenset({"comment", "attachment", "issuelinks", "project"})
FIELD_TYPES = {"priority": "priority", "issuetype": "issuetype", "labels": "labels", "components": "components",
               "versions": "versions", "user": "assignee", "text": "text", "string": "text", "number": "number",
               "date": "datepicker", "option": "select", "timetracking": "timetracking"}


def _cursor(index: int) -> str:
    return base64.urlsafe_b64encode(str(index).encode()).decode().rstrip("=")


def _uncursor(token: str | None) -> int | None:
    if not token:
        return None
    try:
        return int(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode())
    except (ValueError, UnicodeDecodeError):
        raise BulkError(400, [f"The cursor '{token}' is not valid."]) from None


def _page(items: list[Any], request: Request) -> tuple[list[Any], dict[str, str]]:
    """Cursor paging as the bulk APIs do it (``startingAfter`` / ``endingBefore``), :data:`PAGE` at a time."""
    q = request.query_params
    after, before = _uncursor(q.get("startingAfter")), _uncursor(q.get("endingBefore"))
    if before is not None:
        start = max(0, before - PAGE)
        end = before
    else:
        start = 0 if after is None else after + 1
        end = start + PAGE
    page = items[start:end]
    cursors: dict[str, str] = {}
    if page and end < len(items):
        cursors["startingAfter"] = _cursor(start + len(page) - 1)
    if page and start > 0:
        cursors["endingBefore"] = _cursor(start)
    return page, cursors


class BulkApi:
    def __init__(self, ctx: Context, bulk: BulkService) -> None:
        self.ctx = ctx
        self.s = ctx.s
        self.cat = ctx.cat
        self.bulk = bulk

    def routes(self) -> list[RouteSpec]:
        if not self.cat.cloud:
            return []
        return [
            ("/bulk/issues/transition", self.available_transitions, ["GET"]),
            ("/bulk/issues/transition", self.transition, ["POST"]),
            ("/bulk/issues/fields", self.editable_fields, ["GET"]),
            ("/bulk/issues/fields", self.edit, ["POST"]),
            ("/bulk/queue/{taskId}", self.queue, ["GET"]),
        ]

    # -- shared -----------------------------------------------------------------------------------------
    def _may_bulk(self, request: Request) -> None:
        if not self.ctx.perms.has(actor(request), "BULK_CHANGE"):
            raise BulkError(403, ["You do not have the global 'Make bulk changes' permission."])

    def _resolve(self, refs: Any, request: Request, what: str) -> tuple[list[IssueRow], int, int]:
        """(issues the caller may see, in order and without repeats; invalid or hidden ones; all named)."""
        if not isinstance(refs, list) or not refs or not all(isinstance(r, str) and r.strip() for r in refs):
            raise BulkError(400, [f"{what} must be a non-empty list of issue ids or keys."])
        if len(refs) > MAX_ISSUES:
            raise BulkError(400, [f"You can't select more than {MAX_ISSUES} issues in one bulk operation."])
        rows: list[IssueRow] = []
        seen: set[int] = set()
        invalid = 0
        for ref in dict.fromkeys(r.strip() for r in refs):
            try:
                row = self.ctx.visible_issue(ref, request)
            except ApiError:
                invalid += 1
                continue
            if row.id not in seen:
                seen.add(row.id)
                rows.append(row)
        return rows, invalid, len(seen) + invalid

    def _workflow(self, row: IssueRow) -> str:
        return self.cat.workflow_for(row.issuetype).name

    @staticmethod
    def _split(value: str | None) -> list[str]:
        return [p.strip() for p in (value or "").split(",") if p.strip()]

    # -- transitions -------------------------------------------------------------------------------------
    async def available_transitions(self, request: Request) -> Response:
        """Per workflow, the transitions every one of its requested issues can take now."""
        self._may_bulk(request)
        refs = self._split(request.query_params.get("issueIdsOrKeys"))
        if not refs:
            raise BulkError(400, ["The issueIdsOrKeys query parameter is required."])
        rows, _, _ = self._resolve(refs, request, "issueIdsOrKeys")
        groups: dict[str, list[IssueRow]] = {}
        for row in rows:
            groups.setdefault(self._workflow(row), []).append(row)
        out = []
        for rows_of in groups.values():
            offered = [{t.id: t for t in self.s.transitions(r)} for r in rows_of]
            common = set.intersection(*(set(o) for o in offered))
            every = set().union(*(set(o) for o in offered))
            first = offered[0]
            transitions = [{"to": {"statusId": int(t.to), "statusName": self.cat.statuses[t.to].name},
                            "transitionId": int(t.id), "transitionName": t.name}
                           for tid, t in first.items() if tid in common]
            out.append({"isTransitionsFiltered": common != every, "issues": [r.key for r in rows_of],
                        "transitions": transitions})
        page, cursors = _page(out, request)
        return JSONResponse({"availableTransitions": page, **cursors})

    async def transition(self, request: Request) -> Response:
        self._may_bulk(request)
        body = await read_json(request)
        inputs = body.get("bulkTransitionInputs") if isinstance(body, dict) else None
        if not isinstance(inputs, list) or not inputs:
            raise BulkError(400, ["bulkTransitionInputs must not be empty"])
        assert isinstance(body, dict)
        notify = body.get("sendBulkNotification", True)
        if not isinstance(notify, bool):
            raise BulkError(400, ["sendBulkNotification must be true or false."])
        work: list[tuple[int, Step]] = []
        invalid = total = 0
        workflows: set[str] = set()
        issues: set[int] = set()
        requested = 0
        for item in inputs:
            if not isinstance(item, dict) or not isinstance(item.get("transitionId"), str | int) \
                    or isinstance(item.get("transitionId"), bool):
                raise BulkError(400, ["Every transition input needs 'selectedIssueIdsOrKeys' and a 'transitionId'."])
            refs = item.get("selectedIssueIdsOrKeys")
            requested += len(refs) if isinstance(refs, list) else 0
            if requested > MAX_ISSUES:
                raise BulkError(400, [f"You can't transition more than {MAX_ISSUES} issues in one bulk operation."])
            rows, hidden, named = self._resolve(refs, request, "selectedIssueIdsOrKeys")
            invalid += hidden
            total += named
            mine = {self._workflow(r) for r in rows}
            if mine & workflows:
                raise BulkError(400, ["Every transition input must correspond to a distinct workflow."])
            workflows |= mine
            for row in rows:
                if row.id in issues:
                    raise BulkError(400, [f"The issue {row.key} is in more than one transition input."])
                issues.add(row.id)
                work.append((row.id, self._transition_step(str(item["transitionId"]))))
        task = self.bulk.submit(actor(request), total, work, invalid)
        return JSONResponse({"taskId": task.id}, status_code=201)

    def _transition_step(self, transition_id: str) -> Step:
        def step(row: IssueRow, who: str) -> None:
            self.s.transition(row, {"transition": {"id": transition_id}}, who)

        return step

    # -- edit --------------------------------------------------------------------------------------------
    def _editable(self, rows: list[IssueRow]) -> list[Any]:
        """Fields on the edit screen of every issue given (Jira offers only what all of them share)."""
        common: dict[str, Any] | None = None
        for row in rows:
            project = self.cat.projects[row.project]
            ids = {f for f in ("issuetype", *project.system_fields, *project.fields_for(row.issuetype))}
            fields = {f: self.cat.fields[f] for f in ids if f not in NOT_BULK_EDITABLE}
            common = fields if common is None else {k: v for k, v in common.items() if k in fields}
        return sorted((common or {}).values(), key=lambda f: f.name.casefold())

    async def editable_fields(self, request: Request) -> Response:
        self._may_bulk(request)
        refs = self._split(request.query_params.get("issueIdsOrKeys"))
        if not refs:
            raise BulkError(400, ["The issueIdsOrKeys query parameter is required."])
        rows, _, _ = self._resolve(refs, request, "issueIdsOrKeys")
        text = (request.query_params.get("searchText") or "").casefold()
        out = []
        for f in self._editable(rows):
            if text and text not in f.name.casefold():
                continue
            entry: dict[str, Any] = {"id": f.id, "name": f.name, "isRequired": f.id == "summary",
                                     "type": FIELD_TYPES.get(f.kind, f.kind)}
            if f.kind == "priority":
                entry["fieldOptions"] = [{"id": p.id, "priority": p.name, "description": ""}
                                         for p in self.cat.priorities.values()]
            elif f.kind == "option":
                entry["fieldOptions"] = [{"optionId": int(o.id), "value": o.value} for o in f.options]
            elif f.kind in ("labels", "components", "versions"):
                entry["multiSelectFieldOptions"] = list(MULTI)
            elif f.kind == "user":
                keys = ",".join(sorted({r.project for r in rows}))
                entry["searchUrl"] = (f"{self.ctx.r.api('3')}/user/assignable/multiProjectSearch?"
                                      f"projectKeys={keys}&query=")
            out.append(entry)
        page, cursors = _page(out, request)
        return JSONResponse({"fields": page, **cursors})

    async def edit(self, request: Request) -> Response:
        self._may_bulk(request)
        body = await read_json(request)
        if not isinstance(body, dict):
            raise BulkError(400, ["The bulk edit must be a JSON object."])
        actions = body.get("selectedActions")
        if not isinstance(actions, list) or not actions or not all(isinstance(a, str) for a in actions):
            raise BulkError(400, ["selectedActions must be a non-empty list of field ids."])
        if len(actions) > MAX_FIELDS:
            raise BulkError(400, [f"You can't edit more than {MAX_FIELDS} fields in one bulk operation."])
        edits = self._edits(body.get("editedFieldsInput"))
        missing = [a for a in actions if a not in edits]
        if missing:
            raise BulkError(400, [f"No value in editedFieldsInput for the selected action(s): {', '.join(missing)}."])
        notify = body.get("sendBulkNotification", True)
        if not isinstance(notify, bool):
            raise BulkError(400, ["sendBulkNotification must be true or false."])
        rows, invalid, total = self._resolve(body.get("selectedIssueIdsOrKeys"), request, "selectedIssueIdsOrKeys")
        payload: dict[str, dict[str, Any]] = {"fields": {}, "update": {}}
        for fid in dict.fromkeys(actions):
            where, value = edits[fid]
            payload[where][fid] = value
        step = self._edit_step(payload)
        task = self.bulk.submit(actor(request), total, [(r.id, step) for r in rows], invalid)
        return JSONResponse({"taskId": task.id}, status_code=201)

    def _edit_step(self, payload: dict[str, Any]) -> Step:
        def step(row: IssueRow, who: str) -> None:
            self.s.edit(row, payload, who)

        return step

    def _edits(self, fields: Any) -> dict[str, tuple[str, Any]]:
        """``editedFieldsInput`` (typed containers) -> field id -> ("fields"|"update", the PUT-style value)."""
        if not isinstance(fields, dict):
            raise BulkError(400, ["editedFieldsInput must be an object."])
        out: dict[str, tuple[str, Any]] = {}
        for key, value in fields.items():
            handler = self._CONTAINERS.get(key)
            if handler is None:
                raise BulkError(400, [f"Unrecognized field '{key}' in editedFieldsInput."])
            items = value if isinstance(value, list) else [value]
            for item in items:
                if not isinstance(item, dict):
                    raise BulkError(400, [f"editedFieldsInput.{key} must hold objects."])
                fid, where, converted = handler(self, item)
                out[fid] = (where, converted)
        return out

    @staticmethod
    def _need(item: dict[str, Any], key: str, container: str) -> Any:
        if key not in item:
            raise BulkError(400, [f"editedFieldsInput.{container} needs '{key}'."])
        return item[key]

    @staticmethod
    def _multi(item: dict[str, Any], refs: list[dict[str, Any]]) -> tuple[str, Any]:
        option = item.get("bulkEditMultiSelectFieldOption", "ADD")
        if option not in MULTI:
            raise BulkError(400, [f"bulkEditMultiSelectFieldOption must be one of {', '.join(MULTI)}."])
        if option == "REPLACE":
            return "fields", refs
        if option == "REMOVE_ALL":
            return "fields", []
        verb = "add" if option == "ADD" else "remove"
        return "update", [{verb: ref} for ref in refs]

    def _c_priority(self, item: dict[str, Any]) -> tuple[str, str, Any]:
        return "priority", "fields", {"id": str(self._need(item, "priorityId", "priority"))}

    def _c_issue_type(self, item: dict[str, Any]) -> tuple[str, str, Any]:
        return "issuetype", "fields", {"id": str(self._need(item, "issueTypeId", "issueType"))}

    def _c_labels(self, item: dict[str, Any]) -> tuple[str, str, Any]:
        labels = self._need(item, "labels", "labelsFields")
        names = [lb.get("name") for lb in labels if isinstance(lb, dict)] if isinstance(labels, list) else None
        if names is None or not all(isinstance(n, str) for n in names):
            raise BulkError(400, ["labelsFields.labels must be a list of {\"name\": ...}."])
        option = item.get("bulkEditMultiSelectFieldOption", "ADD")
        fid = str(item.get("fieldId") or "labels")
        if option == "REPLACE":
            return fid, "fields", names
        if option == "REMOVE_ALL":
            return fid, "fields", []
        if option not in MULTI:
            raise BulkError(400, [f"bulkEditMultiSelectFieldOption must be one of {', '.join(MULTI)}."])
        return fid, "update", [{"add" if option == "ADD" else "remove": n} for n in names]

    def _c_text(self, item: dict[str, Any]) -> tuple[str, str, Any]:
        return str(self._need(item, "fieldId", "singleLineTextFields")), "fields", item.get("text")

    def _c_rich(self, item: dict[str, Any]) -> tuple[str, str, Any]:
        rich = item.get("richText") or {}
        value = rich.get("adfValue", rich) if isinstance(rich, dict) else rich
        text = adf_to_text(value) if isinstance(value, dict | list) else value
        return str(self._need(item, "fieldId", "richTextFields")), "fields", text or None

    def _c_number(self, item: dict[str, Any]) -> tuple[str, str, Any]:
        return str(self._need(item, "fieldId", "clearableNumberFields")), "fields", item.get("value")

    def _c_date(self, item: dict[str, Any]) -> tuple[str, str, Any]:
        date = item.get("date") or {}
        return str(self._need(item, "fieldId", "datePickerFields")), "fields", \
            date.get("formattedDate") if isinstance(date, dict) else None

    def _c_select(self, item: dict[str, Any]) -> tuple[str, str, Any]:
        option = item.get("option") or {}
        ref = option.get("optionId", option.get("id")) if isinstance(option, dict) else None
        return str(self._need(item, "fieldId", "singleSelectFields")), "fields", \
            None if ref is None else {"id": str(ref)}

    def _c_user(self, item: dict[str, Any]) -> tuple[str, str, Any]:
        user = item.get("user")
        ref = user.get("accountId") if isinstance(user, dict) else None
        return str(self._need(item, "fieldId", "singleSelectClearableUserPickerFields")), "fields", \
            {"accountId": ref} if ref else None

    def _c_components(self, item: dict[str, Any]) -> tuple[str, str, Any]:
        comps = self._need(item, "components", "multiselectComponents")
        if not isinstance(comps, list) or not all(isinstance(c, dict) and "componentId" in c for c in comps):
            raise BulkError(400, ["multiselectComponents.components must be a list of {\"componentId\": ...}."])
        where, value = self._multi(item, [{"id": str(c["componentId"])} for c in comps])
        return str(item.get("fieldId") or "components"), where, value

    def _c_versions(self, item: dict[str, Any]) -> tuple[str, str, Any]:
        versions = self._need(item, "versions", "multipleVersionPickerFields")
        if not isinstance(versions, list) or not all(isinstance(v, dict) and "versionId" in v for v in versions):
            raise BulkError(400, ["multipleVersionPickerFields.versions must be a list of {\"versionId\": ...}."])
        where, value = self._multi(item, [{"id": str(v["versionId"])} for v in versions])
        return str(self._need(item, "fieldId", "multipleVersionPickerFields")), where, value

    def _c_remaining(self, item: dict[str, Any]) -> tuple[str, str, Any]:
        return "timetracking", "fields", {"remainingEstimate": self._need(item, "timeRemaining", "timeTrackingField")}

    def _c_original(self, item: dict[str, Any]) -> tuple[str, str, Any]:
        value = self._need(item, "originalEstimateField", "originalEstimateField")
        return "timetracking", "fields", {"originalEstimate": value}

    _CONTAINERS: ClassVar[dict[str, Callable[[BulkApi, dict[str, Any]], tuple[str, str, Any]]]] = {
        "priority": _c_priority, "issueType": _c_issue_type, "labelsFields": _c_labels,
        "singleLineTextFields": _c_text, "richTextFields": _c_rich, "clearableNumberFields": _c_number,
        "datePickerFields": _c_date, "singleSelectFields": _c_select,
        "singleSelectClearableUserPickerFields": _c_user, "multiselectComponents": _c_components,
        "multipleVersionPickerFields": _c_versions, "timeTrackingField": _c_remaining,
        "originalEstimateField": _c_original,
    }

    # -- the queue -----------------------------------------------------------------------------------------
    async def queue(self, request: Request) -> Response:
        self._may_bulk(request)
        task = self.bulk.tasks.get(request.path_params["taskId"])
        if task is None:
            raise ApiError(400, ["The task associated with this taskId is not a bulk operation task"])
        user = self.cat.users.get(task.submitted_by)
        return JSONResponse(self.bulk.progress(task, user.account_id if user else task.submitted_by))
