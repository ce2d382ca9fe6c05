"""What happens to issues: create, edit, transition, comment, assign, delete, search.

All writes go through here so that every path (single create, bulk, PUT, transition, assignee,
comment) records the same change history, bumps ``updated`` and tells the webhook hub, exactly as
JIRA does regardless of which endpoint changed an issue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from sync_engine.sandbox.jira import jql, lexorank, timefmt
from sync_engine.sandbox.jira.catalog import CF_RANK, Catalog, ProjectDef, TransitionDef
from sync_engine.sandbox.jira.errors import ApiError
from sync_engine.sandbox.jira.jql_sql import Compiled, JqlCompiler, JqlSemanticError
from sync_engine.sandbox.jira.store import IssueRow, Store
from sync_engine.sandbox.jira.values import FieldWriter, ProjectItems, adf_to_text, changelog_items, not_settable

# (webhookEvent, issue_event_type_name, issue, changelog or None, comment or None, actor login)
Listener = Callable[[str, str, IssueRow, dict[str, Any] | None, dict[str, Any] | None, str], None]


@dataclass
class SearchResult:
    rows: list[IssueRow]
    total: int
    warnings: list[str]


class IssueService:
    def __init__(self, catalog: Catalog, store: Store, tz: tzinfo, clock: Callable[[], int] = timefmt.now_ms):
        self.cat = catalog
        self.store = store
        self.tz = tz
        self.clock = clock
        self.listeners: list[Listener] = []
        self.items: ProjectItems | None = None  # versions and components, once the project admin exists

    # -- ids ---------------------------------------------------------------------------------------------
    def next_issue_id(self, count: int = 1) -> int:
        return self.store.next_value("issue_id", 10000, count)

    def next_num(self, project: str, count: int = 1) -> int:
        return self.store.next_value(f"num:{project}", 1, count)

    def next_history_id(self) -> int:
        return self.store.next_value("history_id", 10000)

    def next_comment_id(self) -> int:
        return self.store.next_value("comment_id", 10000)

    def get(self, ref: str) -> IssueRow:
        row = self.store.get_issue(ref)
        if row is None:
            raise ApiError(404, ["Issue does not exist or you do not have permission to see it."])
        return row

    def _emit(self, event: str, type_name: str, row: IssueRow, changelog: dict[str, Any] | None,
              comment: dict[str, Any] | None, actor: str) -> None:
        for listener in self.listeners:
            listener(event, type_name, row, changelog, comment, actor)

    @staticmethod
    def _snapshot(row: IssueRow) -> dict[str, Any]:
        return {**row.fields, "status": row.status, "issuetype": row.issuetype}

    def _record(self, row: IssueRow, before: dict[str, Any], actor: str, at: int,
                extra: list[dict[str, Any]] | None = None) -> dict[str, Any] | None:
        names = self.items.item_name if self.items is not None else None
        items = changelog_items(self.cat, before, self._snapshot(row), names) + list(extra or [])
        if not items:
            return None
        hid = self.next_history_id()
        self.store.add_history(hid, row.id, actor, at, items)
        return {"id": str(hid), "items": items}

    def default_assignee(self, project: ProjectDef) -> str | None:
        """Who "Automatic" means: the lead when the project assigns to its lead, else nobody."""
        if project.assignee_type == "PROJECT_LEAD" and project.lead in self.cat.users:
            return project.lead
        return None

    def writer(self, project: ProjectDef, issue_type: str | None) -> FieldWriter:
        return FieldWriter(self.cat, project, issue_type, self.items, lambda: self.default_assignee(project))

    def change(self, row: IssueRow, before: dict[str, Any], actor: str, type_name: str,
               extra: list[dict[str, Any]] | None = None, comment: dict[str, Any] | None = None) -> IssueRow:
        """Commit a change other services made to ``row`` (worklogs, links, attachments, comments): bump
        ``updated``, record the history, tell the listeners, as any change to an issue does."""
        now = max(self.clock(), row.updated)
        row.updated = now
        self.store.save_issue(row)
        changelog = self._record(row, before, actor, now, extra)
        self._emit("jira:issue_updated", type_name, row, changelog, comment, actor)
        return row

    def snapshot(self, row: IssueRow) -> dict[str, Any]:
        return self._snapshot(row)

    # -- create --------------------------------------------------------------------------------------------
    def _resolve_project(self, fields: dict[str, Any], errors: dict[str, str]) -> ProjectDef | None:
        ref = fields.get("project")
        if ref is None:
            errors["project"] = "project is required"
            return None
        if isinstance(ref, dict):
            ref = ref.get("id", ref.get("key"))
        project = self.cat.project(str(ref)) if isinstance(ref, str | int) else None
        if project is None:
            errors["project"] = "valid project is required"
        return project

    def _resolve_type(self, fields: dict[str, Any], project: ProjectDef | None, errors: dict[str, str]) -> str | None:
        ref = fields.get("issuetype")
        if ref is None:
            errors["issuetype"] = "issue type is required"
            return None
        if isinstance(ref, dict):
            ref = ref.get("id", ref.get("name"))
        it = self.cat.issue_type(str(ref)) if isinstance(ref, str | int) else None
        if it is None and isinstance(fields.get("issuetype"), dict) and "id" not in fields["issuetype"]:
            errors["issuetype"] = "issue type is required"  # a name Jira cannot resolve counts as none given
            return None
        if it is None or (project is not None and it.id not in project.issue_types):
            errors["issuetype"] = "The issue type selected is invalid."
            return None
        return it.id

    def validate_create(self, payload: Any, actor: str) -> tuple[ProjectDef, str, dict[str, Any], list[str]]:
        if not isinstance(payload, dict):
            raise ApiError(400, ["Can not deserialize the request: the body must be a JSON object."])
        fields = payload.get("fields")
        if not isinstance(fields, dict):
            raise ApiError(400, [], {"summary": "You must specify a summary of the issue.",
                                     "project": "project is required", "issuetype": "issue type is required"}
                           if fields is None else {"fields": "The 'fields' value must be an object."})
        errors: dict[str, str] = {}
        project = self._resolve_project(fields, errors)
        type_id = self._resolve_type(fields, project, errors)
        if project is None or type_id is None:
            raise ApiError(400, [], errors)
        writer = self.writer(project, type_id)
        start: dict[str, Any] = {"reporter": actor, "creator": actor, "priority": "3", "labels": [],
                 "assignee": self.default_assignee(project)}
        stored = writer.apply(start, fields, payload.get("update"))
        if "summary" not in fields and "summary" not in (payload.get("update") or {}):
            writer.errors["summary"] = "You must specify a summary of the issue."
        if writer.errors:
            raise ApiError(400, [], writer.errors)
        stored["creator"] = actor
        comments = self._update_comments(payload.get("update"))
        return project, type_id, stored, comments

    def _update_comments(self, update: Any) -> list[str]:
        out: list[str] = []
        if isinstance(update, dict) and isinstance(update.get("comment"), list):
            for op in update["comment"]:
                body = op.get("add", {}).get("body") if isinstance(op, dict) and isinstance(op.get("add"), dict) \
                    else None
                if body is None:
                    raise ApiError(400, [], {"comment": "Comment operations must be {\"add\": {\"body\": ...}}."})
                out.append(adf_to_text(body))
        return out

    def create(self, payload: Any, actor: str) -> IssueRow:
        project, type_id, stored, comments = self.validate_create(payload, actor)
        now = self.clock()
        wf = self.cat.workflow_for(type_id)
        iid = self.next_issue_id()
        num = self.next_num(project.key)
        stored[CF_RANK] = self.next_rank()
        row = IssueRow(iid, f"{project.key}-{num}", project.key, num, type_id, wf.initial, now, now, stored)
        self.store.insert_issue(row)
        for body in comments:
            self.store.add_comment(self.next_comment_id(), row.id, actor, body, now)
        self._emit("jira:issue_created", "issue_created", row, None, None, actor)
        return row

    # -- edit -----------------------------------------------------------------------------------------------
    def edit(self, row: IssueRow, payload: Any, actor: str) -> IssueRow:
        if not isinstance(payload, dict):
            raise ApiError(400, ["Can not deserialize the request: the body must be a JSON object."])
        fields = payload.get("fields") or {}
        update = payload.get("update") or {}
        if not isinstance(fields, dict) or not isinstance(update, dict):
            raise ApiError(400, ["The 'fields' and 'update' values must be objects."])
        project = self.cat.projects[row.project]
        errors: dict[str, str] = {}
        new_type = row.issuetype
        if "issuetype" in fields:
            t = self._resolve_type(fields, project, errors)
            if t is not None:
                if self.cat.workflow_for(t).name != self.cat.workflow_for(row.issuetype).name:
                    errors["issuetype"] = "The issue type selected is invalid."
                else:
                    new_type = t
        if "project" in fields:
            errors["project"] = not_settable("project")
        writer = self.writer(project, new_type)
        stored = writer.apply(row.fields, {k: v for k, v in fields.items() if k not in ("issuetype", "project")},
                              {k: v for k, v in update.items() if k != "comment"})
        errors.update(writer.errors)
        if errors:
            raise ApiError(400, [], errors)
        comments = self._update_comments(update)
        before = self._snapshot(row)
        row.fields = stored
        row.issuetype = new_type
        return self._commit(row, before, actor, comments, "issue_updated")

    def _commit(self, row: IssueRow, before: dict[str, Any], actor: str, comments: list[str],
                type_name: str) -> IssueRow:
        now = max(self.clock(), row.updated)
        changed = self._snapshot(row) != before
        if not changed and not comments:
            return row
        row.updated = now
        self.store.save_issue(row)
        changelog = self._record(row, before, actor, now) if changed else None
        comment = None
        for body in comments:
            comment = self._add_comment_row(row, body, actor, now)
        if comment is not None and changelog is None:
            type_name = "issue_commented"
        self._emit("jira:issue_updated", type_name, row, changelog, comment, actor)
        return row

    def _add_comment_row(self, row: IssueRow, body: str, actor: str, at: int,
                         visibility: dict[str, Any] | None = None,
                         properties: list[Any] | None = None) -> dict[str, Any]:
        cid = self.next_comment_id()
        self.store.add_comment(cid, row.id, actor, body, at, visibility, properties)
        return {"id": cid, "author": actor, "body": body, "created": at, "updated": at, "visibility": visibility,
                "update_author": actor, "properties": properties}

    def next_rank(self) -> str:
        """After every rank handed out so far: a new issue goes to the bottom of the backlog."""
        last = self.store.get_meta("rank_max")
        rank = lexorank.after(last)
        self.store.set_meta("rank_max", rank)
        return rank

    # -- transitions ------------------------------------------------------------------------------------
    def transitions(self, row: IssueRow) -> list[TransitionDef]:
        return self.cat.workflow_for(row.issuetype).available(row.status)

    def transition(self, row: IssueRow, payload: Any, actor: str) -> IssueRow:
        if not isinstance(payload, dict) or not isinstance(payload.get("transition"), dict):
            raise ApiError(400, ["Missing 'transition' identifier"])
        ref = payload["transition"].get("id", payload["transition"].get("name"))
        move = next((t for t in self.transitions(row) if str(ref) in (t.id, t.name)), None)
        if move is None:
            raise ApiError(400, [f"Transition id '{ref}' is not valid for this issue."])
        fields = payload.get("fields") or {}
        update = payload.get("update") or {}
        if not isinstance(fields, dict) or not isinstance(update, dict):
            raise ApiError(400, ["The 'fields' and 'update' values must be objects."])
        writer = self.writer(self.cat.projects[row.project], row.issuetype)
        stored = writer.apply(row.fields, fields, {k: v for k, v in update.items() if k not in ("comment", "worklog")})
        if writer.errors:
            raise ApiError(400, [], writer.errors)
        comments = self._update_comments(update)
        before = self._snapshot(row)
        target = self.cat.statuses[move.to]
        row.fields = stored
        row.status = target.id
        if target.category == "done":
            if not row.fields.get("resolution"):
                row.fields["resolution"] = "10001" if target.name == "Отклонён" else "10000"
                row.fields["resolutiondate"] = self.clock()
        else:
            row.fields["resolution"] = None
            row.fields["resolutiondate"] = None
        return self._commit(row, before, actor, comments, "issue_generic")

    # -- comments, assignee, delete -----------------------------------------------------------------------
    def add_comment(self, row: IssueRow, body: str, actor: str, visibility: dict[str, Any] | None = None,
                    properties: list[Any] | None = None) -> dict[str, Any]:
        now = max(self.clock(), row.updated)
        row.updated = now
        self.store.save_issue(row)
        comment = self._add_comment_row(row, body, actor, now, visibility, properties)
        self._emit("jira:issue_updated", "issue_commented", row, None, comment, actor)
        return comment

    def edit_comment(self, row: IssueRow, comment: dict[str, Any], body: str, visibility: dict[str, Any] | None,
                     actor: str) -> dict[str, Any]:
        now = max(self.clock(), row.updated, int(comment["updated"]))
        self.store.update_comment(int(comment["id"]), body, visibility, actor, now)
        row.updated = now
        self.store.save_issue(row)
        edited = {**comment, "body": body, "visibility": visibility, "update_author": actor, "updated": now}
        self._emit("jira:issue_updated", "issue_comment_edited", row, None, edited, actor)
        return edited

    def delete_comment(self, row: IssueRow, comment: dict[str, Any], actor: str) -> None:
        self.store.delete_comment(int(comment["id"]))
        row.updated = max(self.clock(), row.updated)
        self.store.save_issue(row)
        self._emit("jira:issue_updated", "issue_comment_deleted", row, None, comment, actor)

    def assign(self, row: IssueRow, login: str | None, actor: str) -> IssueRow:
        before = self._snapshot(row)
        row.fields = {**row.fields, "assignee": login}
        return self._commit(row, before, actor, [], "issue_assigned")

    def set_remote_links(self, row: IssueRow, links: list[dict[str, Any]], actor: str) -> None:
        """Remote links change no field: no history, no ``updated`` bump, no webhook."""
        row.fields = {**row.fields, "_remotelinks": links}
        self.store.save_issue(row)

    def delete(self, row: IssueRow, actor: str) -> None:
        self._emit("jira:issue_deleted", "issue_deleted", row, None, None, actor)
        self.store.delete_issue(row.id)

    # -- search ----------------------------------------------------------------------------------------------
    def compile(self, text: str, actor: str, check_keys: bool = True, lenient_keys: bool = False) -> Compiled:
        query = jql.parse(text)
        compiler = JqlCompiler(self.cat, self.tz, self.clock(), actor,
                               self.store.key_exists if check_keys else None, lenient_keys=lenient_keys)
        return compiler.compile(query)

    def search(self, text: str, actor: str, start: int, limit: int, validate: bool = True,
               need_bounded: bool = False, count: bool = True) -> SearchResult:
        try:
            compiled = self.compile(text, actor, lenient_keys=not validate)
        except JqlSemanticError as exc:
            if validate:
                raise ApiError(400, [str(exc)]) from None
            return SearchResult([], 0, [str(exc)])
        except jql.JqlError as exc:
            raise ApiError(400, [str(exc)]) from None
        if need_bounded and not compiled.bounded:
            raise ApiError(400, ["Unbounded JQL queries are not allowed here. Please add a search restriction "
                                 "to your query."])
        rows = self.store.search(compiled.where, compiled.params, compiled.order, limit, start) if limit else []
        total = self.store.count(compiled.where, compiled.params) if count else -1
        return SearchResult(rows, total, compiled.warnings)
