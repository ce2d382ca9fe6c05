"""User endpoints: read, search (all, assignable, able to browse), create and delete for an administrator,
and user avatars (temporary upload, confirm, select, delete)."""

from __future__ import annotations

import base64
import struct
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sync_engine.sandbox.jira.catalog import ProjectDef, UserDef
from sync_engine.sandbox.jira.context import Context, RouteSpec, actor
from sync_engine.sandbox.jira.errors import ApiError
from sync_engine.sandbox.jira.http_util import api_version, as_bool, as_int, expand_set, multi, read_json

SYSTEM_AVATARS = tuple(str(10330 + i) for i in range(24))  # Jira ships two dozen built-in user avatars
MAX_AVATAR_BYTES = 1024 * 1024


def _image_size(data: bytes) -> tuple[str, int, int] | None:
    """(mime, width, height) of a PNG, GIF or JPEG; None for anything else (Jira refuses other files)."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        w, h = struct.unpack(">II", data[16:24])
        return "image/png", w, h
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        w, h = struct.unpack("<HH", data[6:10])
        return "image/gif", w, h
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                break
            marker, length = data[i + 1], struct.unpack(">H", data[i + 2:i + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2):
                h, w = struct.unpack(">HH", data[i + 5:i + 9])
                return "image/jpeg", w, h
            i += 2 + length
        return "image/jpeg", 0, 0
    return None


class UserApi:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.cat = ctx.cat
        self.r = ctx.r
        self.dir = ctx.dir
        self._temporary: dict[str, bytes] = {}  # login -> uploaded avatar waiting for its crop

    def routes(self) -> list[RouteSpec]:
        return [
            ("/user", self.user, ["GET"]),
            ("/user", self.create, ["POST"]),
            ("/user", self.delete, ["DELETE"]),
            ("/user/search", self.search, ["GET"]),
            ("/user/assignable/search", self.assignable, ["GET"]),
            ("/user/assignable/multiProjectSearch", self.assignable_multi, ["GET"]),
            ("/user/viewissue/search", self.viewissue, ["GET"]),
            ("/user/permission/search", self.permission_search, ["GET"]),
            ("/user/avatars", self.avatars, ["GET"]),
            ("/user/avatar", self.set_avatar, ["PUT"]),
            ("/user/avatar", self.confirm_avatar, ["POST"]),
            ("/user/avatar/temporary", self.temporary_avatar, ["POST"]),
            ("/user/avatar/{id}", self.delete_avatar, ["DELETE"]),
        ]

    # -- reading -----------------------------------------------------------------------------------------
    def _ref(self, request: Request) -> str | None:
        q = request.query_params
        return q.get("accountId") if self.cat.cloud else (q.get("username") or q.get("key"))

    def _missing_ref(self) -> ApiError:
        return ApiError(400, ["The 'accountId' query parameter must be provided."] if self.cat.cloud
                        else ["Either the 'username' or the 'key' query parameter must be provided."])

    def user_json(self, login: str, request: Request) -> dict[str, Any]:
        v = api_version(request)
        out = self.r.user(login, v) or {}
        expand = expand_set(request.query_params.get("expand"))
        out["locale"] = "ru_RU"
        groups = self.dir.groups_of(login)
        out["groups"] = {"size": len(groups), "items": [
            {"name": g, "self": f"{self.r.api(v)}/group?groupname={g}"} for g in groups] if "groups" in expand else []}
        roles = [{"key": "jira-software", "name": "Jira Software"}] if "jira-software-users" in groups else []
        out["applicationRoles"] = {"size": len(roles), "items": roles if "applicationroles" in expand else []}
        out["expand"] = "groups,applicationRoles"
        return out

    async def user(self, request: Request) -> Response:
        ref = self._ref(request)
        if not ref:
            raise self._missing_ref()
        return JSONResponse(self.user_json(self.dir.user_or_404(ref).login, request))

    # -- search ------------------------------------------------------------------------------------------
    def _query(self, request: Request, required: bool = True) -> str | None:
        q = request.query_params
        text = q.get("query") if self.cat.cloud else (q.get("username") or q.get("query"))
        if text is None and self.cat.cloud:
            text = q.get("username")
        if not text and required:
            raise ApiError(400, ["The username query parameter was not provided"] if not self.cat.cloud
                           else ["The query parameter 'query' must be provided."])
        return text

    def _matches(self, u: UserDef, text: str | None) -> bool:
        if not text:
            return True
        needle = text.casefold()
        if self.cat.cloud and u.account_id.casefold() == needle:
            return True
        words = [u.login, u.email, u.display_name, *u.display_name.split()]
        return any(w.casefold().startswith(needle) for w in words) or needle in u.email.casefold()

    def _page(self, request: Request, logins: list[str]) -> Response:
        q = request.query_params
        start = as_int(q.get("startAt"), "startAt", 0)
        size = as_int(q.get("maxResults"), "maxResults", 50, maximum=1000)
        v = api_version(request)
        return JSONResponse([self.r.user(login, v) for login in logins[start : start + size]])

    def _found(self, text: str | None, allowed: Any = None, request: Request | None = None) -> list[str]:
        active, inactive = True, False
        if request is not None:
            q = request.query_params
            active = as_bool(q.get("includeActive"), "includeActive", True)
            inactive = as_bool(q.get("includeInactive"), "includeInactive", False)
        out = []
        for u in self.cat.users.values():
            if (u.active and not active) or (not u.active and not inactive):
                continue
            if self._matches(u, text) and (allowed is None or allowed(u.login)):
                out.append(u.login)
        return out

    async def search(self, request: Request) -> Response:
        return self._page(request, self._found(self._query(request), request=request))

    def _project(self, ref: str | None) -> ProjectDef | None:
        return self.ctx.admin.project_or_404(ref) if ref else None

    async def assignable(self, request: Request) -> Response:
        """Users who may be assigned an issue of ``project`` (to create it) or ``issueKey`` (to edit it)."""
        q = request.query_params
        text = self._query(request, required=False)
        if q.get("issueKey"):
            project: ProjectDef | None = self.ctx.project_of(self.ctx.visible_issue(q["issueKey"], request))
        elif q.get("project"):
            project = self._project(q["project"])
        else:
            raise ApiError(400, ["Either the 'project' or the 'issueKey' query parameter must be provided."])
        perms = self.ctx.perms
        return self._page(request, self._found(text, lambda login: perms.has(login, "ASSIGNABLE_USER", project)))

    async def assignable_multi(self, request: Request) -> Response:
        keys = multi(request, "projectKeys")
        if not keys:
            raise ApiError(400, ["The 'projectKeys' query parameter must be provided."])
        projects = [self.ctx.admin.project_or_404(k) for k in keys]
        text = self._query(request, required=False)
        perms = self.ctx.perms
        return self._page(request, self._found(
            text, lambda login: all(perms.has(login, "ASSIGNABLE_USER", p) for p in projects)))

    async def viewissue(self, request: Request) -> Response:
        """Users who may browse ``issueKey`` or ``projectKey``."""
        q = request.query_params
        text = self._query(request, required=False)
        project: ProjectDef | None = None
        if q.get("issueKey"):
            project = self.ctx.project_of(self.ctx.visible_issue(q["issueKey"], request))
        elif q.get("projectKey"):
            project = self._project(q["projectKey"])
        elif not self.cat.cloud:
            raise ApiError(400, ["Either the 'projectKey' or the 'issueKey' query parameter must be provided."])
        perms = self.ctx.perms
        return self._page(request, self._found(text, lambda login: perms.has(login, "BROWSE_PROJECTS", project)))

    async def permission_search(self, request: Request) -> Response:
        q = request.query_params
        wanted = [k.strip() for k in (q.get("permissions") or "").split(",") if k.strip()]
        if not wanted:
            raise ApiError(400, ["The 'permissions' query parameter must be provided."])
        project = self._project(q.get("projectKey")) if q.get("projectKey") else None
        if q.get("issueKey"):
            project = self.ctx.project_of(self.ctx.visible_issue(q["issueKey"], request))
        perms = self.ctx.perms
        text = self._query(request, required=False)
        return self._page(request, self._found(text, lambda login: all(perms.has(login, k, project) for k in wanted)))

    # -- administration ------------------------------------------------------------------------------------
    async def create(self, request: Request) -> Response:
        self.ctx.require_admin(request, "create users")
        user = self.dir.add_user(await read_json(request))
        return JSONResponse(self.user_json(user.login, request), status_code=201)

    async def delete(self, request: Request) -> Response:
        self.ctx.require_admin(request, "delete users")
        ref = self._ref(request)
        if not ref:
            raise self._missing_ref()
        user = self.dir.user_or_404(ref)
        self.dir.delete_user(user, self._in_use(user))
        return Response(status_code=204)

    def _in_use(self, user: UserDef) -> list[str]:
        """Jira refuses to delete a user who still leads a project or holds issues."""
        out = [f"lead of project {p.key}" for p in self.cat.projects.values() if p.lead == user.login]
        store = self.ctx.s.store
        for fid, what in (("assignee", "assigned"), ("reporter", "reported")):
            n = store.count(f"json_extract(fields, '$.{fid}') = ?", [user.login])
            if n:
                out.append(f"{n} issue(s) {what}")
        return out

    # -- avatars ------------------------------------------------------------------------------------------
    def _owner(self, request: Request) -> str:
        ref = self._ref(request) or actor(request)
        user = self.dir.user_or_404(ref)
        if user.login != actor(request) and not self.dir.is_admin(actor(request)):
            raise ApiError(403, ["You may only change your own avatar."])
        return user.login

    def _avatar_json(self, avatar_id: str, owner: str | None, selected: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"id": avatar_id, "isSystemAvatar": owner is None, "isSelected": selected,
                               "isDeletable": owner is not None,
                               "urls": {f"{n}x{n}": f"{self.r.base}/secure/useravatar?size={n}&avatarId={avatar_id}"
                                        for n in (16, 24, 32, 48)}}
        if owner is not None:
            out["owner"] = owner
        return out

    async def avatars(self, request: Request) -> Response:
        login = self.dir.user_or_404(self._ref(request) or actor(request)).login
        mine = self.dir.avatars_of(login)
        selected = mine.selected or SYSTEM_AVATARS[0]
        return JSONResponse({"system": [self._avatar_json(a, None, a == selected) for a in SYSTEM_AVATARS],
                             "custom": [self._avatar_json(a, login, a == selected) for a in mine.custom]})

    async def temporary_avatar(self, request: Request) -> Response:
        login = self._owner(request)
        data = await request.body()
        if len(data) > MAX_AVATAR_BYTES:
            raise ApiError(413, [f"The avatar image is larger than {MAX_AVATAR_BYTES} bytes."])
        info = _image_size(data)
        if info is None:
            raise ApiError(400, ["The avatar must be a PNG, GIF or JPEG image."])
        _, width, height = info
        self._temporary[login] = data
        side = min(width, height) or 48
        return JSONResponse({"cropperWidth": side, "cropperOffsetX": 0, "cropperOffsetY": 0,
                             "url": f"{self.r.base}/secure/temporaryavatar?cropped=true&magic="
                                    f"{base64.urlsafe_b64encode(login.encode()).decode()}",
                             "needsCropping": width != height or width > 48}, status_code=201)

    async def confirm_avatar(self, request: Request) -> Response:
        login = self._owner(request)
        if login not in self._temporary:
            raise ApiError(400, ["No temporary avatar was uploaded for this user."])
        body = await read_json(request, required=False)
        if body is not None and not isinstance(body, dict):
            raise ApiError(400, ["The cropping must be a JSON object."])
        del self._temporary[login]
        avatar_id = str(self.ctx.s.store.next_value("avatar_id", 10500))
        mine = self.dir.avatars_of(login)
        mine.custom.append(avatar_id)
        self.dir.save_avatars(login)
        return JSONResponse(self._avatar_json(avatar_id, login, False), status_code=201)

    async def set_avatar(self, request: Request) -> Response:
        login = self._owner(request)
        body = await read_json(request)
        avatar_id = str(body.get("id")) if isinstance(body, dict) else ""
        mine = self.dir.avatars_of(login)
        if avatar_id not in SYSTEM_AVATARS and avatar_id not in mine.custom:
            raise ApiError(404, [f"No avatar with id '{avatar_id}' exists for this user."])
        mine.selected = avatar_id
        self.dir.save_avatars(login)
        return Response(status_code=204)

    async def delete_avatar(self, request: Request) -> Response:
        login = self._owner(request)
        avatar_id = request.path_params["id"]
        mine = self.dir.avatars_of(login)
        if avatar_id in SYSTEM_AVATARS:
            raise ApiError(403, ["System avatars cannot be deleted."])
        if avatar_id not in mine.custom:
            raise ApiError(404, [f"No avatar with id '{avatar_id}' exists for this user."])
        mine.custom.remove(avatar_id)
        if mine.selected == avatar_id:
            mine.selected = None
        self.dir.save_avatars(login)
        return Response(status_code=204)
