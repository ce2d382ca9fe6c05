"""File contents as REST methods receive them (``[name, base64]``) and the signed links that serve them.

Every method that takes a file (Disk uploads, ``PERSONAL_PHOTO``, timeline ``FILES``, list ``F``
fields, feed ``FILES``) decodes it here, so one malformed value gets the same clear error everywhere.
Download links carry an HMAC of what they point at, as the portal's ``download.json?token=`` does:
anyone holding the link can fetch the bytes, nobody can forge a link to another file.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import mimetypes
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sync_engine.sandbox.bitrix24.phpquery import ci_get

MAX_FILE_BYTES = 50 * 1024 * 1024  # far above anything a test sends; stops a fuzzer filling memory


class FileProblem(ValueError):
    """A file parameter that is not ``[name, base64]`` (the caller turns it into its method's error)."""


@dataclass(frozen=True)
class FileContent:
    name: str
    data: bytes

    @property
    def content_type(self) -> str:
        return mimetypes.guess_type(self.name)[0] or "application/octet-stream"


def _pair(value: Any) -> tuple[Any, Any] | None:
    if isinstance(value, list | tuple) and len(value) >= 2:
        return value[0], value[1]
    if isinstance(value, Mapping):
        if "0" in value and "1" in value:
            return value["0"], value["1"]
        inner = ci_get(value, "fileData")
        if inner is not None:
            return _pair(inner)
    return None


def decode_file(value: Any) -> FileContent:
    """``["a.png", "iVBOR..."]`` (also ``{"fileData": [...]}`` and the form-encoded ``{"0": .., "1": ..}``)."""
    pair = _pair(value)
    if pair is None:
        raise FileProblem("a file must be given as [file name, base64 content]")
    name, content = pair
    if not isinstance(name, str) or not name.strip() or "/" in name or "\\" in name:
        raise FileProblem("the file name is empty or contains a path separator")
    if not isinstance(content, str):
        raise FileProblem("the file content must be a base64 string")
    if len(content) > MAX_FILE_BYTES * 4 // 3 + 4:
        raise FileProblem("the file is too large")
    try:
        data = base64.b64decode("".join(content.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise FileProblem("the file content is not valid base64") from exc
    return FileContent(name.strip(), data)


def is_file_value(value: Any) -> bool:
    return _pair(value) is not None


class LinkSigner:
    """Signs and checks the opaque tokens of download and upload links."""

    def __init__(self, secret: Callable[[], bytes], base_url: Callable[[], str]) -> None:
        """``secret`` is read per link, so a portal kept in a state file keeps its links valid across restarts."""
        self.secret = secret
        self.base_url = base_url

    def _sig(self, payload: str) -> str:
        return hmac.new(self.secret(), payload.encode(), hashlib.sha256).hexdigest()[:32]

    def token(self, payload: str) -> str:
        return f"{payload}|{self._sig(payload)}"

    def check(self, token: str) -> str | None:
        payload, _, sig = token.rpartition("|")
        if not payload or not hmac.compare_digest(sig, self._sig(payload)):
            return None
        return payload

    def disk_download(self, object_id: int, version: int) -> str:
        token = self.token(f"disk|{object_id}|{version}")
        return f"{self.base_url()}/rest/download.json?token={urllib.parse.quote(token, safe='')}"

    def upload_url(self, payload: str) -> str:
        token = self.token(f"upload|{payload}")
        return f"{self.base_url()}/rest/upload.json?token={urllib.parse.quote(token, safe='')}"

    def blob_url(self, blob_id: int, name: str) -> str:
        """Attachments (timeline comments, list file fields, photos): a stable link to the stored bytes."""
        token = self.token(f"blob|{blob_id}")
        quoted = urllib.parse.quote(name)
        return f"{self.base_url()}/upload/b24twin/{blob_id}/{quoted}?token={urllib.parse.quote(token, safe='')}"
