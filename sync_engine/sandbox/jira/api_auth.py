"""Who is calling: Basic (password on Server, API token on Cloud), Bearer (the twin's token or a personal
access token), the ``JSESSIONID`` cookie; plus the session, personal-access-token and websudo endpoints."""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Scope

from sync_engine.sandbox.jira.context import Context, RouteSpec, actor
from sync_engine.sandbox.jira.directory import Token
from sync_engine.sandbox.jira.errors import ApiError, error_response
from sync_engine.sandbox.jira.http_util import read_json

MAX_PAT_DAYS = 365


def _iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}+0000"


class AuthApi:
    def __init__(self, ctx: Context, user: str, token: str, login: str) -> None:
        self.ctx = ctx
        self.user = user  # the twin's own account: login (Server) or e-mail (Cloud)
        self.token = token
        self.login = login
        self.sessions: dict[str, str] = {}

    def routes(self) -> list[RouteSpec]:
        table: list[RouteSpec] = [
            ("!/rest/auth/1/session", self.session_get, ["GET"]),
            ("!/rest/auth/1/session", self.session_login, ["POST"]),
            ("!/rest/auth/1/session", self.session_logout, ["DELETE"]),
            ("!/rest/auth/latest/session", self.session_get, ["GET"]),
            ("!/rest/auth/latest/session", self.session_logout, ["DELETE"]),
        ]
        if not self.ctx.cloud:  # personal access tokens and websudo are Server/DC features
            table += [
                ("!/rest/pat/latest/tokens", self.tokens, ["GET"]),
                ("!/rest/pat/latest/tokens", self.create_token, ["POST"]),
                ("!/rest/pat/latest/tokens/{id}", self.revoke_token, ["DELETE"]),
                ("!/rest/auth/1/websudo", self.websudo_end, ["DELETE"]),
            ]
        return table

    # -- authentication --------------------------------------------------------------------------------
    def _own(self, user: str | None, secret: str) -> bool:
        same = user is None or user.casefold() == self.user.casefold()
        return same and hmac.compare_digest(secret.encode(), self.token.encode())

    def check(self, user: str, secret: str) -> str | None:
        """Login of a Basic ``user:secret`` pair, or None."""
        if self._own(user, secret):
            return self.login
        by_password = self.ctx.dir.check_password(user, secret)
        if by_password is not None:
            return by_password
        # Cloud: e-mail + API token. Server PATs go as Bearer only, but the twin's older person tokens
        # (from /_sandbox/api-tokens) are accepted as a password too.
        return self.ctx.dir.token_login(secret, user)

    def authenticate(self, scope: Scope) -> tuple[str | None, bool]:
        """(login or None, credentials were presented)."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        header = headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(value.strip()).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                return None, True
            return self.check(user, password), True
        if scheme.lower() == "bearer":
            raw = value.strip()
            return (self.login if self._own(None, raw) else self.ctx.dir.token_login(raw, None)), True
        for part in headers.get("cookie", "").split(";"):
            name, _, val = part.strip().partition("=")
            if name == "JSESSIONID" and val in self.sessions and self.sessions[val] in self.ctx.cat.users:
                return self.sessions[val], True
        return None, bool(header)

    def unauthorized(self, presented: bool) -> Response:
        if self.ctx.cloud:
            return error_response(401, ["Client must be authenticated to access this resource."])
        headers = {"X-Seraph-LoginReason": "AUTHENTICATED_FAILED" if presented else "AUTHENTICATION_DENIED"}
        msg = "You are not authenticated. Authentication required to perform this operation."
        return error_response(401, [msg], headers=headers)

    # -- session ----------------------------------------------------------------------------------------
    async def session_get(self, request: Request) -> Response:
        login = actor(request)
        user = self.ctx.cat.users[login]
        ident = f"accountId={user.account_id}" if self.ctx.cloud else f"username={login}"
        return JSONResponse({"self": f"{self.ctx.r.api()}/user?{ident}", "name": login,
                             "loginInfo": {"failedLoginCount": 0, "loginCount": 1}})

    async def session_login(self, request: Request) -> Response:
        body = await read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("username"), str) \
                or not isinstance(body.get("password"), str):
            raise ApiError(400, ["The body must be {\"username\": ..., \"password\": ...}."])
        login = self.check(body["username"], body["password"])
        if login is None:
            return self.unauthorized(True)
        sid = secrets.token_hex(16)
        self.sessions[sid] = login
        resp = JSONResponse({"session": {"name": "JSESSIONID", "value": sid},
                             "loginInfo": {"failedLoginCount": 0, "loginCount": 1}})
        resp.set_cookie("JSESSIONID", sid, httponly=True)
        return resp

    async def session_logout(self, request: Request) -> Response:
        for part in request.headers.get("cookie", "").split(";"):
            name, _, val = part.strip().partition("=")
            if name == "JSESSIONID":
                self.sessions.pop(val, None)
        return Response(status_code=204)

    # -- personal access tokens (Server/DC 8.14+) ---------------------------------------------------------------
    @staticmethod
    def _token_json(t: Token) -> dict[str, Any]:
        out: dict[str, Any] = {"id": t.id, "name": t.name, "createdAt": _iso(t.created)}
        if t.expires is not None:
            out["expiringAt"] = _iso(t.expires)
        return out

    async def tokens(self, request: Request) -> Response:
        return JSONResponse([self._token_json(t) for t in self.ctx.dir.tokens_of(actor(request))])

    async def create_token(self, request: Request) -> Response:
        body = await read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("name"), str) or not body["name"].strip():
            raise ApiError(400, [], {"name": "The token needs a name."})
        days = body.get("expirationDuration")
        if days is not None and (isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_PAT_DAYS):
            raise ApiError(400, [], {"expirationDuration": f"Expiry must be 1..{MAX_PAT_DAYS} days."})
        raw, token = self.ctx.dir.make_token(actor(request), body["name"].strip(), days)
        return JSONResponse({**self._token_json(token), "rawToken": raw}, status_code=201)

    async def revoke_token(self, request: Request) -> Response:
        raw = request.path_params["id"]
        if not raw.isdigit() or not self.ctx.dir.revoke(actor(request), int(raw)):
            raise ApiError(404, [f"No token with id '{raw}'."])
        return Response(status_code=204)

    async def websudo_end(self, request: Request) -> Response:
        """Ends the caller's administrator websudo session; REST calls never need one, so nothing else."""
        return Response(status_code=204)
