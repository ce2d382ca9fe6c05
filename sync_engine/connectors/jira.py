"""The JIRA connector: the engine's :class:`Connector` over the ``jira`` library (pycontribs).

The library is synchronous (``requests``), so every remote call runs on a small dedicated thread
pool, never on the event loop. Calls go through the library's session, which is instrumented to
count requests (``api_calls``) and retries (``retries``); failures surface as
:class:`ConnectorError` subclasses whose messages name the call and never carry the secret.

Reading picks the fewest calls the flavour allows: Server pages ``/search`` by ``startAt`` up to
1000 issues, Cloud pages ``/search/jql`` by ``nextPageToken`` up to 5000. Writing batches creates
through ``/issue/bulk`` (50 per call); JIRA has no bulk edit, so updates are one PUT per issue plus
a workflow transition when ``status`` changes.
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
import threading
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal, TypeVar
from urllib.parse import quote as url_quote
from urllib.parse import urlsplit

from jira import JIRA
from jira.exceptions import JIRAError
from jira.utils import json_loads

from sync_engine.connectors.base import (
    AuthError,
    ConnectorError,
    Cursor,
    EntityScope,
    NotFoundError,
    Record,
    System,
    WriteResult,
)
from sync_engine.connectors.jira_fields import build_field_metas, to_jira_value
from sync_engine.connectors.jira_http import CallCounter, Retrier, Scrubber, instrument
from sync_engine.connectors.jira_jql import (
    WindowFilter,
    changed_jql,
    chunks,
    epoch_minute_ms,
    find_jql,
    ids_jql,
    parse_jira_datetime,
    plain_values,
    split_ids,
)
from sync_engine.connectors.jira_projects import (
    PROJECT_ENTITY,
    PROJECT_FIELDS,
    PROJECTS_PARAMS,
    PROJECTS_PATH,
    check_scope,
    find_in,
    in_scope,
    pick,
    project_record,
    read_only_error,
)
from sync_engine.fieldtypes import FieldMeta
from sync_engine.sides import Side

Flavour = Literal["server", "cloud"]
T = TypeVar("T")

BULK_CREATE_CHUNK = 50  # the documented /issue/bulk maximum
IDS_PER_QUERY = 100
FIND_VALUES_PER_QUERY = 50
MISSING_KEY = re.compile(r"key '([A-Za-z][A-Za-z0-9_]*-\d+)' does not exist")
SERVER_MAX_PAGE = 1000  # jira.search.views.default.max
CLOUD_MAX_PAGE = 5000  # /search/jql maxResults upper bound
ALL_FIELDS = ("*all",)


@dataclass(frozen=True, slots=True)
class JiraServerInfo:
    title: str
    version: str
    deployment_type: str
    base_url: str


@dataclass(frozen=True, slots=True)
class JiraUser:
    """A JIRA account; ``name`` is the Server login, ``account_id`` the Cloud identity."""

    display_name: str
    name: str | None = None
    account_id: str | None = None
    email: str | None = None
    time_zone: str | None = None
    active: bool = True

    @property
    def ref(self) -> dict[str, str]:
        """How a user field value names this user in a write."""
        if self.account_id:
            return {"accountId": self.account_id}
        return {"name": self.name or ""}


def _user_from(raw: Mapping[str, Any], cloud: bool) -> JiraUser:
    """Only the flavour's own identity is kept, so :attr:`JiraUser.ref` is always writable there."""
    return JiraUser(
        display_name=str(raw.get("displayName") or raw.get("name") or raw.get("accountId") or ""),
        name=None if cloud else raw.get("name"),
        account_id=raw.get("accountId") if cloud else None,
        email=raw.get("emailAddress") or None,
        time_zone=raw.get("timeZone"),
        active=bool(raw.get("active", True)),
    )


def _record(issue: Mapping[str, Any]) -> Record:
    # The key is offered as a (read-only) field too, so mappings and match rules can name it.
    fields = {**(issue.get("fields") or {}), "key": issue.get("key")}
    version = str(fields.get("updated") or "")
    return Record(
        id=str(issue.get("id")),
        key=issue.get("key"),
        fields=fields,
        updated=parse_jira_datetime(version),
        version=version,
    )


def _element_error(error: Mapping[str, Any]) -> str:
    element = error.get("elementErrors") or {}
    parts = [str(m) for m in element.get("errorMessages") or []]
    parts += [f"{k}: {v}" for k, v in (element.get("errors") or {}).items()]
    return "; ".join(parts) or f"JIRA rejected the issue (status {error.get('status', '?')})"


MAX_TRANSITION_STEPS = 12


class JiraConnector:
    """Connector for JIRA Server/Data Center and Cloud (REST API v2)."""

    system: System = Side.JIRA

    def __init__(
        self,
        url: str,
        *,
        user: str | None = None,
        token: str,
        flavour: Flavour | None = None,
        verify: bool | str = True,
        timeout: float = 30.0,
        max_retries: int = 3,
        workers: int = 4,
        backoff: float = 0.25,
        max_backoff: float = 8.0,
    ) -> None:
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"JIRA URL must be an http(s) address like https://jira.example.com: {url!r}")
        if not token:
            raise ValueError("JIRA token (API token, personal access token or password) must not be empty")
        if flavour not in (None, "server", "cloud"):
            raise ValueError(f"JIRA flavour must be 'server', 'cloud' or None (detect), got {flavour!r}")
        if flavour == "cloud" and not user:
            raise ValueError("JIRA Cloud needs the account e-mail as user together with an API token")
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self.url = url.strip().rstrip("/")
        self.user = user
        self._token = token
        self._flavour: Flavour | None = flavour
        self._verify = verify
        self._timeout = timeout
        self._max_retries = max_retries
        self._workers = max(1, workers)
        self._counter = CallCounter()
        self._scrub = Scrubber(token)
        self._retrier = Retrier(
            self._counter, self._scrub, attempts=max_retries + 1, base_delay=backoff, max_delay=max_backoff
        )
        self._executor = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="jira-connector")
        self._lock = threading.Lock()
        self._closed = False
        self._jira: JIRA | None = None
        self._server_info_raw: dict[str, Any] | None = None
        self._myself: dict[str, Any] | None = None
        self._all_fields: list[dict[str, Any]] | None = None
        self._metas: dict[tuple[tuple[str, ...], tuple[str, ...]], list[FieldMeta]] = {}
        self._transitions: dict[tuple[tuple[str, ...], str], str] = {}
        self._users_by_email: dict[str, JiraUser | None] = {}
        self._emails_by_user: dict[str, str | None] = {}

    def __repr__(self) -> str:
        return f"JiraConnector(url={self.url!r}, user={self.user!r}, flavour={self._flavour!r})"

    # -- counters and flavour -------------------------------------------------------------------------

    @property
    def api_calls(self) -> int:
        return self._counter.calls

    @property
    def retries(self) -> int:
        return self._counter.retries

    @property
    def flavour(self) -> Flavour | None:
        """``server``/``cloud``; None until detected by the first call when not given."""
        return self._flavour

    @property
    def _cloud(self) -> bool:
        return self._flavour == "cloud"

    # -- plumbing -------------------------------------------------------------------------------------

    async def _run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    def _call(self, method: str, path: str, fn: Callable[[JIRA], T]) -> T:
        jira = self._raw_client()
        return self._retrier.run(lambda: fn(jira), method=method, path=f"/rest/api/2/{path}")

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._call("GET", path, lambda j: j._get_json(path, params=dict(params or {})))

    def _send(self, method: str, path: str, body: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        def go(jira: JIRA) -> Any:
            url = jira._get_url(path)
            data = json.dumps(body) if body is not None else None
            response = jira._session.request(method, url, data=data, params=dict(params or {}))
            return json_loads(response)

        return self._call(method, path, go)

    def _raw_client(self) -> JIRA:
        with self._lock:
            if self._jira is None:
                auth: dict[str, Any] = (
                    {"basic_auth": (self.user, self._token)} if self.user else {"token_auth": self._token}
                )
                jira = JIRA(
                    server=self.url,
                    options={"verify": self._verify},
                    get_server_info=False,
                    max_retries=self._max_retries,
                    timeout=self._timeout,
                    **auth,
                )
                instrument(jira._session, self._counter, self._workers)
                if self._flavour is not None:
                    jira.deploymentType = "Cloud" if self._flavour == "cloud" else "Server"
                self._jira = jira
            return self._jira

    def _client(self) -> JIRA:
        """The library client with the flavour known (detected from serverInfo when not configured)."""
        jira = self._raw_client()
        if self._flavour is None:
            info = self._server_info_sync()
            with self._lock:
                self._flavour = "cloud" if info.get("deploymentType") == "Cloud" else "server"
                jira.deploymentType = "Cloud" if self._flavour == "cloud" else "Server"
        return jira

    def _server_info_sync(self) -> dict[str, Any]:
        if self._server_info_raw is None:
            info = self._call("GET", "serverInfo", lambda j: j.server_info())
            self._server_info_raw = dict(info or {})
            numbers = self._server_info_raw.get("versionNumbers")
            if isinstance(numbers, list) and self._jira is not None:
                self._jira._version = tuple(numbers)
        return self._server_info_raw

    def _myself_sync(self) -> dict[str, Any]:
        if self._myself is None:
            self._myself = dict(self._call("GET", "myself", lambda j: j.myself()))
        return self._myself

    def forget_metadata(self) -> None:
        """Read fields, screens and workflows again on next use (an admin may have changed them).

        Call it between runs, not while a describe of this connector is in flight."""
        self._all_fields = None
        self._metas.clear()
        self._transitions.clear()

    def _fields_sync(self) -> list[dict[str, Any]]:
        """``GET /field`` once per connector; also primes the library's clause-name cache, which its
        search methods would otherwise fetch with another call."""
        if self._all_fields is None:
            fields = list(self._call("GET", "field", lambda j: j.fields()))
            jira = self._raw_client()
            jira._fields_cache_value = {
                name: str(f["id"]) for f in fields for name in f.get("clauseNames") or () if f.get("id")
            }
            self._all_fields = fields
        return self._all_fields

    # -- test connection ------------------------------------------------------------------------------

    async def server_info(self) -> JiraServerInfo:
        def go() -> JiraServerInfo:
            self._client()
            info = self._server_info_sync()
            return JiraServerInfo(
                title=str(info.get("serverTitle") or ""),
                version=str(info.get("version") or ""),
                deployment_type=str(info.get("deploymentType") or ""),
                base_url=str(info.get("baseUrl") or self.url),
            )

        return await self._run(go)

    async def whoami(self) -> JiraUser:
        def go() -> JiraUser:
            self._client()
            return _user_from(self._myself_sync(), self._cloud)

        return await self._run(go)

    # -- metadata -------------------------------------------------------------------------------------

    async def describe_fields(self, scope: EntityScope) -> list[FieldMeta]:
        if scope.entity == PROJECT_ENTITY:
            check_scope(scope)
            return list(PROJECT_FIELDS)
        return await self._run(self._describe_sync, scope)

    def _describe_sync(self, scope: EntityScope) -> list[FieldMeta]:
        cache_key = (scope.projects, scope.issue_types)
        cached = self._metas.get(cache_key)
        if cached is not None:
            return cached
        if scope.entity != "issue":
            raise ValueError(
                f"the JIRA connector reads issues and projects; entity {scope.entity!r} is not supported"
            )
        if not scope.projects:
            raise ValueError("a JIRA scope needs at least one project key")
        all_fields = self._fields_sync()
        createmeta: list[list[dict[str, Any]]] = []
        statuses: dict[str, dict[str, Any]] = {}
        for project in scope.projects:
            types = self._createmeta_issue_types(project)
            wanted = [t for t in types if not scope.issue_types or self._type_matches(t, scope.issue_types)]
            if scope.issue_types and not wanted:
                names = ", ".join(str(t.get("name")) for t in types)
                raise ValueError(
                    f"issue type(s) {', '.join(scope.issue_types)} not found in JIRA project {project}; "
                    f"it has: {names}"
                )
            for issue_type in wanted:
                createmeta.append(self._createmeta_fields(project, str(issue_type["id"])))
            for status in self._project_statuses(project, scope.issue_types):
                statuses.setdefault(str(status.get("id")), status)
        metas = build_field_metas(all_fields, createmeta, list(statuses.values()))
        self._metas[cache_key] = metas
        return metas

    @staticmethod
    def _type_matches(issue_type: Mapping[str, Any], wanted: Sequence[str]) -> bool:
        name = str(issue_type.get("name", "")).casefold()
        return any(w.casefold() == name or w == str(issue_type.get("id")) for w in wanted)

    def _paged_values(self, path: str, keys: Sequence[str]) -> list[dict[str, Any]]:
        """Paged createmeta: Server names the list ``values``, Cloud ``issueTypes``/``fields``."""
        out: list[dict[str, Any]] = []
        start = 0
        while True:
            page = self._get(path, {"startAt": start, "maxResults": 200})
            items: list[dict[str, Any]] = next((page[k] for k in keys if isinstance(page.get(k), list)), [])
            out.extend(items)
            total = page.get("total")
            start += len(items)
            if not items or page.get("isLast") or total is None or start >= int(total):
                return out

    def _createmeta_issue_types(self, project: str) -> list[dict[str, Any]]:
        path = f"issue/createmeta/{url_quote(project)}/issuetypes"
        try:
            return self._paged_values(path, ("values", "issueTypes"))
        except NotFoundError:
            legacy = self._get("issue/createmeta", {"projectKeys": project})
            projects = legacy.get("projects") or []
            if not projects:
                raise ConnectorError(f"JIRA project {project} does not exist or is not visible") from None
            return list(projects[0].get("issuetypes") or [])

    def _createmeta_fields(self, project: str, type_id: str) -> list[dict[str, Any]]:
        path = f"issue/createmeta/{url_quote(project)}/issuetypes/{type_id}"
        try:
            return self._paged_values(path, ("values", "fields"))
        except NotFoundError:
            legacy = self._get(
                "issue/createmeta",
                {"projectKeys": project, "issuetypeIds": type_id, "expand": "projects.issuetypes.fields"},
            )
            for proj in legacy.get("projects") or []:
                for itype in proj.get("issuetypes") or []:
                    return [{"fieldId": fid, **meta} for fid, meta in (itype.get("fields") or {}).items()]
            return []

    def _project_statuses(self, project: str, issue_types: Sequence[str]) -> list[dict[str, Any]]:
        try:
            per_type = self._get(f"project/{url_quote(project)}/statuses")
        except NotFoundError:
            return list(self._get("status"))
        out: list[dict[str, Any]] = []
        for entry in per_type:
            if issue_types and not self._type_matches(entry, issue_types):
                continue
            out.extend(entry.get("statuses") or [])
        return out

    # -- reading --------------------------------------------------------------------------------------

    def _projects_sync(self, scope: EntityScope) -> list[Record]:
        """One ``GET /project`` with description and lead expanded (the list has neither by default)."""
        check_scope(scope)
        self._client()
        answer = self._get(PROJECTS_PATH, PROJECTS_PARAMS)
        if not isinstance(answer, list):
            raise ConnectorError("JIRA answered GET /rest/api/2/project with something other than a list")
        return in_scope(scope, (project_record(p) for p in answer if isinstance(p, Mapping)))

    def _search(
        self,
        jql: str,
        *,
        fields: Sequence[str],
        max_results: int,
        start_at: int = 0,
        token: str | None = None,
        validate: bool = True,
    ) -> dict[str, Any]:
        """``validate=False`` (Server only) turns a missing issue key into a warning instead of a 400."""
        self._client()
        self._fields_sync()
        wanted = list(fields)
        if "*all" not in wanted and "updated" not in wanted:
            wanted.append("updated")
        if self._cloud:
            return self._call(
                "GET",
                "search/jql",
                lambda j: j.enhanced_search_issues(
                    jql, nextPageToken=token, maxResults=max_results, fields=list(wanted), json_result=True
                ),
            )
        return self._call(
            "GET",
            "search",
            lambda j: j.search_issues(
                jql,
                startAt=start_at,
                maxResults=max_results,
                validate_query=validate,
                fields=list(wanted),
                json_result=True,
            ),
        )

    async def iter_changed(
        self, scope: EntityScope, since: Cursor | None, *, page_size: int = 0
    ) -> AsyncIterator[list[Record]]:
        """Oldest first. Server pages are keyset windows: after each page the query restarts at the last
        record's minute, so issues that change while we page (and jump to the end) are neither skipped
        nor double-delivered; ``startAt`` only advances while a whole page shares one minute."""
        if page_size < 0:
            raise ValueError("page_size must be >= 0 (0 = the largest page the server allows)")
        if scope.entity == PROJECT_ENTITY:
            # Projects carry no 'updated': every read is a full one, de-duplicated downstream by version.
            projects = await self._run(self._projects_sync, scope)
            step = page_size or max(len(projects), 1)
            for start in range(0, len(projects), step):
                yield projects[start : start + step]
            return
        await self._run(self._client)
        limit = page_size or (CLOUD_MAX_PAGE if self._cloud else SERVER_MAX_PAGE)
        gate = WindowFilter(since)
        window = since.updated if since is not None else None
        start_at = 0
        token: str | None = None
        while True:
            jql = changed_jql(scope, window)
            page = await self._run(
                self._search, jql, fields=ALL_FIELDS, max_results=limit, start_at=start_at, token=token
            )
            issues = page.get("issues") or []
            records = [_record(i) for i in issues]
            fresh = [r for r in records if gate.admit(r)]
            if fresh:
                yield fresh
            if self._cloud:
                token = page.get("nextPageToken")
                if not issues or not token or page.get("isLast"):
                    return
                continue
            total = page.get("total")
            if not issues or (total is not None and start_at + len(issues) >= int(total)):
                return
            if total is None and len(issues) < int(page.get("maxResults") or limit):
                return
            last = records[-1].updated
            if last is not None and (window is None or epoch_minute_ms(last) > epoch_minute_ms(window)):
                window, start_at = last, 0
            else:
                start_at += len(issues)

    async def get_many(
        self, scope: EntityScope, ids: Sequence[str], *, fields: Sequence[str] | None = None
    ) -> list[Record]:
        """One search per 100 ids (keys or numeric ids), answered in the order asked; missing ids are
        simply absent. Where JIRA validates keys strictly (Cloud) and names a missing one, the chunk is
        asked again without it; Server is asked with ``validateQuery=false`` so a missing key only warns
        (one call, not two)."""
        if scope.entity == PROJECT_ENTITY:
            return pick(await self._run(self._projects_sync, scope), ids)
        keys, numeric = split_ids(ids)
        wanted = tuple(fields) if fields else ALL_FIELDS
        found: dict[str, Record] = {}
        for chunk in chunks([*keys, *numeric], IDS_PER_QUERY):
            remaining = list(chunk)
            while remaining:
                try:
                    records = await self._run(self._search_all, ids_jql(
                        [c for c in remaining if not c.isdigit()], [c for c in remaining if c.isdigit()]
                    ), wanted, len(remaining), False)
                except ConnectorError as exc:
                    missing = set(MISSING_KEY.findall(str(exc))) if exc.status == 400 else set()
                    if not missing & set(remaining):
                        raise
                    remaining = [c for c in remaining if c not in missing]
                    continue
                for record in records:
                    found[record.id] = record
                    if record.key:
                        found[record.key.upper()] = record
                break
        out: list[Record] = []
        for raw in ids:
            hit = found.get(str(raw).strip().upper())
            if hit is not None:
                out.append(hit)
        return out

    def _search_all(self, jql: str, fields: Sequence[str], page: int, validate: bool = True) -> list[Record]:
        """Every issue matching ``jql``, following pages (used for bounded queries: ids, find)."""
        out: list[Record] = []
        start_at, token = 0, None
        while True:
            answer = self._search(
                jql, fields=fields, max_results=page, start_at=start_at, token=token, validate=validate
            )
            issues = answer.get("issues") or []
            out.extend(_record(i) for i in issues)
            start_at += len(issues)
            token = answer.get("nextPageToken")
            total = answer.get("total")
            more = bool(token) and not answer.get("isLast") if self._cloud else (
                total is not None and start_at < int(total)
            )
            if not issues or not more:
                return out

    async def find(self, scope: EntityScope, field: str, values: Sequence[str]) -> list[Record]:
        """Issues of ``scope`` whose ``field`` equals one of ``values`` exactly, 50 values per search.

        JQL cannot test text fields for equality (only ``~``, a word match), so text values are searched
        with ``~`` and the answer is filtered here to exact matches; other types use ``in``.
        """
        wanted = list(dict.fromkeys(str(v) for v in values if v not in (None, "")))
        if scope.entity == PROJECT_ENTITY:
            return find_in(await self._run(self._projects_sync, scope), field, wanted) if wanted else []
        if not wanted:
            return []
        metas = await self._run(self._metas_by_id, scope)
        meta = metas.get(field) or metas.get(field.casefold())
        if meta is None:
            raise ValueError(f"JIRA field {field!r} is not among the fields of this scope")
        if meta.id == "key":
            return await self.get_many(scope, wanted)
        found: dict[str, Record] = {}
        for chunk in chunks(wanted, FIND_VALUES_PER_QUERY):
            jql = find_jql(scope, meta, chunk)
            for record in await self._run(self._search_all, jql, ALL_FIELDS, SERVER_MAX_PAGE):
                if plain_values(record.fields.get(meta.id)) & set(chunk):
                    found[record.id] = record
        return sorted(found.values(), key=lambda r: int(r.id) if r.id.isdigit() else 0)

    # -- writing --------------------------------------------------------------------------------------

    def _metas_by_id(self, scope: EntityScope) -> dict[str, FieldMeta]:
        metas = self._describe_sync(scope)
        out: dict[str, FieldMeta] = {m.id: m for m in metas}
        labels: dict[str, list[FieldMeta]] = {}
        for m in metas:
            labels.setdefault(m.label.casefold(), []).append(m)
        for label, same in labels.items():
            if len(same) == 1 and label not in out:
                out[label] = same[0]
        return out

    def _convert(self, metas: Mapping[str, FieldMeta], values: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in values.items():
            meta = metas.get(name) or metas.get(name.casefold())
            if meta is None:
                out[name] = value
                continue
            if meta.read_only:
                raise ValueError(f"field {meta.label} ({meta.id}) is read-only in JIRA")
            out[meta.id] = to_jira_value(meta, value, cloud=self._cloud)
        return out

    async def create_many(self, scope: EntityScope, items: Sequence[Mapping[str, Any]]) -> list[WriteResult]:
        if scope.entity == PROJECT_ENTITY:
            raise read_only_error()
        return await self._run(self._create_sync, scope, list(items))

    def _create_sync(self, scope: EntityScope, items: list[Mapping[str, Any]]) -> list[WriteResult]:
        """JIRA takes no status on create: a wanted status is reached afterwards by a transition. If that
        fails the item still reports ``ok`` (the issue exists; creating it again would duplicate it)
        with the reason in ``error``."""
        if not items:
            return []
        self._client()
        metas = self._metas_by_id(scope)
        results: dict[int, WriteResult] = {}
        prepared: list[tuple[int, dict[str, Any]]] = []
        statuses: dict[int, Any] = {}
        for index, item in enumerate(items):
            values = dict(item)
            project = values.pop("project", None) or (scope.projects[0] if scope.projects else None)
            default_type = scope.issue_types[0] if scope.issue_types else None
            issue_type = values.pop("issuetype", None) or default_type
            if project is None or issue_type is None:
                results[index] = WriteResult(index, False, error="a create needs a project and an issue type")
                continue
            try:
                status = values.pop("status", None)
                if status is not None:
                    self._status_target(status, metas.get("status"))
                    statuses[index] = status
                fields = self._convert(metas, values)
            except ValueError as exc:
                results[index] = WriteResult(index, False, error=str(exc))
                continue
            fields["project"] = project if isinstance(project, Mapping) else {"key": str(project)}
            if isinstance(issue_type, Mapping):
                fields["issuetype"] = issue_type
            else:
                text = str(issue_type)
                fields["issuetype"] = {"id": text} if text.isdigit() else {"name": text}
            prepared.append((index, fields))
        refused: ConnectorError | None = None
        for chunk in chunks(prepared, BULK_CREATE_CHUNK):
            if refused is not None:  # credentials refused: do not hammer JIRA with the rest
                for index, _ in chunk:
                    results[index] = WriteResult(index, False, error=str(refused))
                continue
            body = {"issueUpdates": [{"fields": fields} for _, fields in chunk]}
            try:
                answer = self._call("POST", "issue/bulk", functools.partial(self._post_bulk, body=body))
            except ConnectorError as exc:
                # Earlier chunks were created: report per item instead of losing their keys.
                refused = exc if isinstance(exc, AuthError) else None
                for index, _ in chunk:
                    results[index] = WriteResult(index, False, error=str(exc))
                continue
            failed = {int(e.get("failedElementNumber", -1)): e for e in answer.get("errors") or []}
            current = self._created_statuses(answer, chunk, statuses, failed)
            created = iter(answer.get("issues") or [])
            for position, (index, _) in enumerate(chunk):
                if position in failed:
                    results[index] = WriteResult(index, False, error=_element_error(failed[position]))
                    continue
                issue = next(created, None)
                if issue is None:
                    results[index] = WriteResult(index, False, error="JIRA returned no issue for this item")
                    continue
                key = issue.get("key")
                note = None
                if index in statuses and not self._already_in(current.get(str(key)), statuses[index],
                                                               metas.get("status")):
                    try:
                        self._transition(scope, str(key or issue.get("id")), statuses[index], metas.get("status"))
                    except (ValueError, ConnectorError) as exc:
                        note = f"created, but the status was not set: {exc}"
                results[index] = WriteResult(index, True, id=str(issue.get("id")), key=key, error=note)
        return [results[i] for i in range(len(items))]

    def _created_statuses(self, answer: Mapping[str, Any], chunk: Sequence[tuple[int, Any]],
                          statuses: Mapping[int, Any], failed: Mapping[int, Any]) -> dict[str, Any]:
        """The status each new issue of a chunk starts in (one search), so only real moves cost calls."""
        issues = iter(answer.get("issues") or [])
        keys: list[str] = []
        for position, (index, _) in enumerate(chunk):
            if position in failed:
                continue
            issue = next(issues, None)
            if issue is not None and index in statuses and issue.get("key"):
                keys.append(str(issue["key"]))
        if not keys:
            return {}
        records = self._search_all(ids_jql(keys, []), ("status",), len(keys))
        return {str(r.key): r.fields.get("status") for r in records}

    def _already_in(self, status: Any, wanted: Any, meta: FieldMeta | None) -> bool:
        if not isinstance(status, Mapping):
            return False
        target_id, target_name = self._status_target(wanted, meta)
        if target_id is not None and str(status.get("id")) == target_id:
            return True
        return target_name is not None and str(status.get("name", "")).casefold() == target_name.casefold()

    @staticmethod
    def _post_bulk(jira: JIRA, *, body: dict[str, Any]) -> dict[str, Any]:
        """A 400 whose body has per-element errors means "all failed", not a broken request."""
        try:
            response = jira._session.post(jira._get_url("issue/bulk"), data=json.dumps(body))
            return dict(json_loads(response))
        except JIRAError as exc:
            if exc.status_code == 400 and exc.response is not None:
                try:
                    answer = exc.response.json()
                except ValueError:
                    raise exc from None
                if isinstance(answer, dict) and isinstance(answer.get("errors"), list):
                    return answer
            raise

    async def update_many(
        self, scope: EntityScope, items: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> list[WriteResult]:
        if scope.entity == PROJECT_ENTITY:
            raise read_only_error()
        return await self._run(self._update_sync, scope, list(items))

    def _update_sync(
        self, scope: EntityScope, items: list[tuple[str, Mapping[str, Any]]]
    ) -> list[WriteResult]:
        if not items:
            return []
        self._client()
        metas = self._metas_by_id(scope)
        out: list[WriteResult] = []
        for index, (issue_id, values) in enumerate(items):
            ref = str(issue_id).strip()
            try:
                rest = dict(values)
                status = rest.pop("status", None)
                fields = self._convert(metas, rest)
                if fields:
                    self._send("PUT", f"issue/{url_quote(ref)}", {"fields": fields})
                if status is not None:
                    self._transition(scope, ref, status, metas.get("status"))
                out.append(WriteResult(index, True, id=ref if ref.isdigit() else None,
                                       key=None if ref.isdigit() else ref))
            except (ValueError, ConnectorError) as exc:
                out.append(WriteResult(index, False, id=ref, error=str(exc)))
        return out

    def _status_target(self, status: Any, meta: FieldMeta | None) -> tuple[str | None, str | None]:
        """(id, name) of the wanted status from a label, an id or a ``{"id"|"name"}`` dict."""
        if isinstance(status, Mapping):
            return (str(status["id"]) if status.get("id") else None, status.get("name"))
        text = str(status).strip()
        if meta is not None:
            option = meta.option_by_label(text) or meta.option_by_id(text)
            if option is not None:
                return option.id, option.label
            if meta.options:
                labels = ", ".join(o.label for o in meta.options)
                raise ValueError(f"{text!r} is not a status of this scope; statuses: {labels}")
        return (text if text.isdigit() else None), (None if text.isdigit() else text)

    def _move(self, path: str, issue: str, transition_id: str) -> None:
        self._call("POST", path, lambda j: j.transition_issue(issue, transition_id))

    def _transition(self, scope: EntityScope, issue: str, status: Any, meta: FieldMeta | None) -> None:
        """Move ``issue`` to ``status``. The transition id found for a target status is cached per issue
        type and tried first next time (one call instead of two); if the workflow refuses it from the
        issue's current status, the available transitions are read and the cache corrected."""
        target_id, target_name = self._status_target(status, meta)
        wanted = (target_id or "") + "|" + (target_name or "").casefold()
        cache_key = (tuple(sorted(scope.issue_types)), wanted) if len(scope.issue_types) == 1 else None
        path = f"issue/{url_quote(issue)}/transitions"
        cached = self._transitions.get(cache_key) if cache_key else None
        if cached is not None:
            try:
                self._call("POST", path, lambda j: j.transition_issue(issue, cached))
                return
            except ConnectorError as exc:
                if exc.status not in (400, 409):
                    raise
        def leads_there(t: Mapping[str, Any]) -> bool:
            to = t.get("to") or {}
            if target_id is not None and str(to.get("id")) == target_id:
                return True
            return target_name is not None and str(to.get("name", "")).casefold() == target_name.casefold()

        # Workflows often only allow neighbouring steps (Открыт → Квалификация → …), so walk: take the
        # transition to the target if offered, else a step toward the target in the workflow's order
        # (statuses between here and the target first, nearest the target first), never revisiting one.
        order = [o.label.casefold() for o in (meta.options if meta is not None else ())]
        goal = order.index(target_name.casefold()) if target_name and target_name.casefold() in order else None
        here: str | None = None
        visited: set[str] = set()
        first: str | None = None
        for step in range(MAX_TRANSITION_STEPS):
            available = self._call("GET", path, lambda j: j.transitions(issue))
            match = next((t for t in available if leads_there(t)), None)
            if match is not None:
                transition_id = str(match["id"])
                self._move(path, issue, transition_id)
                if cache_key is not None and first is None:
                    self._transitions[cache_key] = transition_id
                return
            if goal is None:
                break
            if step == 0:
                now_status = (self._get(f"issue/{url_quote(issue)}", {"fields": "status"}).get("fields") or {})
                here = str((now_status.get("status") or {}).get("name", "")).casefold()
                visited.add(here)
            start = order.index(here) if here in order else None

            def rank(t: Mapping[str, Any], start: int | None = start) -> tuple[int, int]:
                name = str((t.get("to") or {}).get("name", "")).casefold()
                if name not in order:
                    return (2, 0)
                index = order.index(name)
                toward = start is not None and min(start, goal) < index <= max(start, goal)
                return (0 if toward else 1, abs(index - goal))

            candidates = sorted((t for t in available
                                 if str((t.get("to") or {}).get("name", "")).casefold() not in visited), key=rank)
            if not candidates or rank(candidates[0])[0] == 2:
                break
            hop = candidates[0]
            here = str((hop.get("to") or {}).get("name", "")).casefold()
            visited.add(here)
            hop_id = str(hop["id"])
            first = first or hop_id
            self._move(path, issue, hop_id)
        current = self._get(f"issue/{url_quote(issue)}", {"fields": "status"})
        now = (current.get("fields") or {}).get("status") or {}
        if (target_id is not None and str(now.get("id")) == target_id) or (
            target_name is not None and str(now.get("name", "")).casefold() == target_name.casefold()
        ):
            return
        available = self._call("GET", path, lambda j: j.transitions(issue))
        targets = ", ".join(str((t.get("to") or {}).get("name")) for t in available) or "none"
        raise ConnectorError(
            f"no workflow path takes {issue} from {now.get('name', '?')!r} to "
            f"{target_name or target_id!r}; reachable from there: {targets}",
            status=400,
            code="no_transition",
        )

    async def delete_many(self, scope: EntityScope, ids: Sequence[str]) -> list[WriteResult]:
        if scope.entity == PROJECT_ENTITY:
            raise read_only_error()
        return await self._run(self._delete_sync, list(ids))

    def _delete_sync(self, ids: list[str]) -> list[WriteResult]:
        out: list[WriteResult] = []
        for index, issue_id in enumerate(ids):
            ref = str(issue_id).strip()
            try:
                self._send("DELETE", f"issue/{url_quote(ref)}", params={"deleteSubtasks": "false"})
                out.append(WriteResult(index, True, id=ref))
            except ConnectorError as exc:
                out.append(WriteResult(index, False, id=ref, error=str(exc)))
        return out

    # -- users ----------------------------------------------------------------------------------------

    async def find_user_by_email(self, email: str) -> JiraUser | None:
        """The active account with this e-mail, or None (cached, misses too)."""
        return await self._run(self._find_user_sync, email)

    def _find_user_sync(self, email: str) -> JiraUser | None:
        wanted = email.strip().casefold()
        if not wanted or "@" not in wanted:
            raise ValueError(f"{email!r} is not an e-mail address")
        if wanted in self._users_by_email:
            return self._users_by_email[wanted]
        self._client()
        params = {"query": email.strip()} if self._cloud else {"username": email.strip()}
        found = [_user_from(u, self._cloud) for u in self._get("user/search", {**params, "maxResults": 50})]
        exact = [u for u in found if u.email and u.email.casefold() == wanted]
        exact.sort(key=lambda u: not u.active)
        # Cloud hides e-mails by privacy settings; a single hit for an exact e-mail query is that user.
        hidden = self._cloud and len(found) == 1 and not found[0].email
        user = exact[0] if exact else (found[0] if hidden else None)
        self._users_by_email[wanted] = user
        if user is not None:
            self._emails_by_user[user.account_id or user.name or ""] = user.email
        return user

    async def user_email(self, user_ref: str | Mapping[str, Any]) -> str | None:
        """E-mail of a user field value (``{"name"}``/``{"accountId"}``/the full user object) or id."""
        return await self._run(self._user_email_sync, user_ref)

    def _user_email_sync(self, user_ref: str | Mapping[str, Any]) -> str | None:
        if isinstance(user_ref, Mapping):
            if user_ref.get("emailAddress"):
                return str(user_ref["emailAddress"])
            ident = user_ref.get("accountId") or user_ref.get("name") or user_ref.get("key")
        else:
            ident = user_ref
        if not ident:
            return None
        ident = str(ident)
        if ident in self._emails_by_user:
            return self._emails_by_user[ident]
        self._client()
        param = {"accountId": ident} if self._cloud else {"username": ident}
        try:
            email = self._get("user", param).get("emailAddress") or None
        except NotFoundError:
            email = None
        self._emails_by_user[ident] = email
        return email

    # -- lifecycle ------------------------------------------------------------------------------------

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True

        def close() -> None:
            if self._jira is not None:
                self._jira.close()

        await self._run(close)
        self._executor.shutdown(wait=False)

    async def __aenter__(self) -> JiraConnector:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
