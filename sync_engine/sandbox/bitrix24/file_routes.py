"""HTTP routes that are not REST methods: file downloads and the second step of a Disk upload.

``/rest/download.json?token=`` serves a Disk file version (the ``DOWNLOAD_URL`` of ``disk.file.get``),
``/rest/upload.json?token=`` takes the multipart POST of a two-step upload and answers like
``disk.folder.uploadfile`` would, ``/upload/b24twin/{id}/{name}?token=`` serves attachments (photos,
timeline files, list file fields). Tokens are signed (``files.LinkSigner``); a wrong one is a 404.
"""

from __future__ import annotations

import time
import urllib.parse

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sync_engine.sandbox.bitrix24.disk_store import DiskStore
from sync_engine.sandbox.bitrix24.envelope import BitrixError, error_response, json_response, time_block
from sync_engine.sandbox.bitrix24.files import MAX_FILE_BYTES, FileContent
from sync_engine.sandbox.bitrix24.portal import Portal


def _file_response(name: str, content_type: str | None, data: bytes) -> Response:
    quoted = urllib.parse.quote(name)
    return Response(data, media_type=content_type or "application/octet-stream",
                    headers={"Content-Disposition": f"attachment; filename*=utf-8''{quoted}"})


def _missing() -> Response:
    return error_response(BitrixError(404, "ERROR_NOT_FOUND", "File not found"), time.time())


def file_routes(portal: Portal, disk: DiskStore) -> list[Route]:
    signer = disk.signer

    async def download(request: Request) -> Response:
        payload = signer.check(request.query_params.get("token", ""))
        parts = payload.split("|") if payload else []
        if len(parts) != 3 or parts[0] != "disk" or not parts[1].isdigit() or not parts[2].isdigit():
            return _missing()
        found = disk.content(int(parts[1]), int(parts[2]))
        if found is None:
            return _missing()
        return _file_response(*found)

    async def blob(request: Request) -> Response:
        raw_id = request.path_params["blob_id"]
        payload = signer.check(request.query_params.get("token", ""))
        if not raw_id.isdigit() or payload != f"blob|{raw_id}":
            return _missing()
        found = portal.blob(int(raw_id))
        if found is None:
            return _missing()
        return _file_response(*found)

    async def upload(request: Request) -> Response:
        start = time.time()
        payload = signer.check(request.query_params.get("token", ""))
        parts = payload.split("|", 4) if payload else []
        if len(parts) != 5 or parts[0] != "upload" or not parts[1].isdigit():
            return error_response(BitrixError(400, "ERROR_ARGUMENT", "Invalid upload token"), start)
        folder_id, unique, user_id, name = int(parts[1]), parts[2] == "1", int(parts[3] or 1), parts[4]
        try:
            form = await request.form(max_part_size=MAX_FILE_BYTES)
        except Exception:  # a broken multipart body: nothing uploaded
            form = None
        field = form.get("file") if form is not None else None
        if field is None or isinstance(field, str):
            return error_response(BitrixError(400, "ERROR_ARGUMENT", "Invalid value of parameter {Parameter #2}"),
                                  start)
        data = await field.read()
        folder = disk.get(folder_id)
        if folder is None or folder["TYPE"] != "folder":
            return error_response(BitrixError(400, "ERROR_NOT_FOUND", f"Could not find entity with id `{folder_id}`"),
                                  start)
        try:
            file_name = disk.check_name(name or field.filename or "", 1)
            file_id = disk.add_file(folder_id, file_name, FileContent(file_name, data), user_id, unique=unique)
        except BitrixError as exc:
            return error_response(exc, start)
        stored = disk.get(file_id)
        assert stored is not None
        return json_response({"result": disk.view(file_id, stored),
                              "time": time_block(start, time.time(), 0.0, None)})

    return [
        Route("/rest/download.json", download, methods=["GET", "HEAD"]),
        Route("/rest/download", download, methods=["GET", "HEAD"]),
        Route("/rest/upload.json", upload, methods=["POST"]),
        Route("/rest/upload", upload, methods=["POST"]),
        Route("/upload/b24twin/{blob_id}/{name:path}", blob, methods=["GET", "HEAD"]),
    ]
