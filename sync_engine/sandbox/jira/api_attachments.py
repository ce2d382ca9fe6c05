"""Attachment endpoints: upload (multipart, ``X-Atlassian-Token: no-check``), metadata, settings, delete,
and the streamed download (Server's ``/secure/attachment/{id}/{name}``, Cloud's ``attachment/content``)."""

from __future__ import annotations

from urllib.parse import quote

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response

from sync_engine.sandbox.jira.context import Context, RouteSpec, actor
from sync_engine.sandbox.jira.errors import ApiError
from sync_engine.sandbox.jira.http_util import api_version, as_bool

MAX_FILES = 50
OVERHEAD = 1024 * 1024  # multipart boundaries and headers beyond the files themselves


class AttachmentApi:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.a = ctx.attachments

    def routes(self) -> list[RouteSpec]:
        table: list[RouteSpec] = [
            ("/issue/{key}/attachments", self.upload, ["POST"]),
            ("/attachment/meta", self.meta, ["GET"]),
            ("/attachment/{id}", self.attachment, ["GET"]),
            ("/attachment/{id}", self.delete, ["DELETE"]),
        ]
        if self.ctx.cloud:
            table.append(("/attachment/content/{id}", self.content, ["GET"]))
        else:
            table.append(("!/secure/attachment/{id}/{filename}", self.content, ["GET"]))
        return table

    async def meta(self, request: Request) -> Response:
        settings = self.a.settings
        return JSONResponse({"enabled": settings.enabled, "uploadLimit": settings.max_bytes})

    async def upload(self, request: Request) -> Response:
        row = self.ctx.visible_issue(request.path_params["key"], request)
        token = request.headers.get("x-atlassian-token", "").lower()
        if token not in ("no-check", "nocheck"):
            raise ApiError(403, ["XSRF check failed: send the header 'X-Atlassian-Token: no-check'."])
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            raise ApiError(415, ["Attachments are uploaded as multipart/form-data with a 'file' part."])
        length = request.headers.get("content-length")
        limit = self.a.settings.max_bytes
        if length and length.isdigit() and int(length) > MAX_FILES * limit + OVERHEAD:
            raise ApiError(413, [f"The request is too large: attachments may be at most {limit} bytes each."])
        v = api_version(request)
        async with request.form(max_files=MAX_FILES, max_fields=10) as form:
            files = [f for f in form.getlist("file") if isinstance(f, UploadFile)]
            if not files:
                raise ApiError(400, ["The request must contain at least one 'file' part."])
            created = [self.a.add(self.ctx.s.get(str(row.id)), f.filename or "", f.content_type, f.file,
                                  actor(request)) for f in files]
        return JSONResponse([self.ctx.parts.attachment_json(c, v) for c in created])

    async def attachment(self, request: Request) -> Response:
        found = self.a.find(request.path_params["id"])
        self.ctx.visible_issue(str(found["issue_id"]), request)
        return JSONResponse(self.ctx.parts.attachment_json(found, api_version(request)))

    async def delete(self, request: Request) -> Response:
        found = self.a.find(request.path_params["id"])
        self.ctx.visible_issue(str(found["issue_id"]), request)
        if found["author"] != actor(request) and not self.ctx.dir.is_admin(actor(request)):
            raise ApiError(403, ["You do not have permission to delete this attachment."])
        self.a.delete(found, actor(request))
        return Response(status_code=204)

    async def content(self, request: Request) -> Response:
        found = self.a.find(request.path_params["id"])
        self.ctx.visible_issue(str(found["issue_id"]), request)
        if self.ctx.cloud and as_bool(request.query_params.get("redirect"), "redirect", True):
            return RedirectResponse(f"{request.url.path}?redirect=false", status_code=303)
        path = self.a.files.path(int(found["id"]))
        if not path.exists():
            raise ApiError(404, [f"The content of attachment '{found['id']}' is missing."])
        disposition = f"attachment; filename*=UTF-8''{quote(found['filename'])}"
        return FileResponse(path, media_type=found["mime"], headers={"Content-Disposition": disposition})
