"""Attachments: files kept on disk beside the state (or in a temporary folder), metadata in SQLite.

Uploads are copied in chunks from the multipart spool, so a 20 MB file never sits whole in memory, and
refused past the upload limit (Jira's "Attachment size", 10 MB by default on Server); downloads are
streamed from the file. Adding or removing one is an issue change (the ``Attachment`` history item),
as in Jira.
"""

from __future__ import annotations

import contextlib
import hashlib
import mimetypes
import shutil
import tempfile
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sync_engine.sandbox.jira.errors import ApiError
from sync_engine.sandbox.jira.service import IssueService
from sync_engine.sandbox.jira.store import IssueRow

CHUNK = 1 << 16
SERVER_LIMIT = 10 * 1024 * 1024  # Jira Server/DC's default attachment size
CLOUD_LIMIT = 1024 * 1024 * 1024  # Jira Cloud allows up to 1 GB per file by default


@dataclass
class AttachmentSettings:
    enabled: bool = True
    max_bytes: int = SERVER_LIMIT


def _item(attachment: dict[str, Any], gone: bool = False) -> dict[str, Any]:
    ident, name = str(attachment["id"]), attachment["filename"]
    return {"field": "Attachment", "fieldtype": "jira", "from": ident if gone else None,
            "fromString": name if gone else None, "to": None if gone else ident, "toString": None if gone else name}


class FileStore:
    """One file per attachment id; a temporary folder (removed with the twin) when state is in memory."""

    def __init__(self, folder: Path | None) -> None:
        if folder is None:
            self.root = Path(tempfile.mkdtemp(prefix="jira-twin-attachments-"))
            weakref.finalize(self, shutil.rmtree, str(self.root), True)
        else:
            self.root = folder
            self.root.mkdir(parents=True, exist_ok=True)

    def path(self, attachment_id: int) -> Path:
        return self.root / str(int(attachment_id))

    def save(self, attachment_id: int, source: IO[bytes], limit: int) -> tuple[int, str]:
        """Copy ``source`` to the attachment's file; (size, sha256). Refuses (and keeps nothing) past ``limit``."""
        target = self.path(attachment_id)
        digest = hashlib.sha256()
        size = 0
        with target.open("wb") as out:
            while chunk := source.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    break
                digest.update(chunk)
                out.write(chunk)
        if size > limit:
            target.unlink(missing_ok=True)
            raise ApiError(413, [f"The file is too large: attachments may be at most {limit} bytes."])
        return size, digest.hexdigest()

    def remove(self, attachment_id: int) -> None:
        with contextlib.suppress(OSError):
            self.path(attachment_id).unlink()

    def clear(self) -> None:
        for f in self.root.iterdir():
            with contextlib.suppress(OSError):
                f.unlink()


class AttachmentService:
    def __init__(self, service: IssueService, files: FileStore, settings: AttachmentSettings) -> None:
        self.s = service
        self.store = service.store
        self.files = files
        self.settings = settings

    def find(self, attachment_id: str) -> dict[str, Any]:
        found = self.store.attachments(attachment_id=int(attachment_id)) if attachment_id.isdigit() and \
            len(attachment_id) < 19 else []
        if not found:
            raise ApiError(404, [f"The attachment with id '{attachment_id}' does not exist"])
        return found[0]

    def add(self, row: IssueRow, filename: str, declared_type: str | None, source: IO[bytes],
            actor: str) -> dict[str, Any]:
        if not self.settings.enabled:
            raise ApiError(403, ["Attachments are disabled on this Jira instance."])
        name = Path(filename.replace("\\", "/")).name.strip()
        if not name:
            raise ApiError(400, ["The attachment must have a file name."])
        attachment_id = self.store.next_value("attachment_id", 10000)
        size, sha = self.files.save(attachment_id, source, self.settings.max_bytes)
        guessed = mimetypes.guess_type(name)[0]
        mime = guessed if not declared_type or declared_type == "application/octet-stream" else declared_type
        attachment = {"id": attachment_id, "issue_id": row.id, "filename": name, "size": size,
                      "mime": (mime or "application/octet-stream").split(";")[0].strip(), "author": actor,
                      "created": self.s.clock(), "sha256": sha}
        self.store.add_attachment(attachment)
        before = self.s.snapshot(row)
        self.s.change(row, before, actor, "issue_updated", [_item(attachment)])
        return attachment

    def delete(self, attachment: dict[str, Any], actor: str) -> None:
        row = self.s.get(str(attachment["issue_id"]))
        self.store.delete_attachment(int(attachment["id"]))
        self.files.remove(int(attachment["id"]))
        before = self.s.snapshot(row)
        self.s.change(row, before, actor, "issue_updated", [_item(attachment, gone=True)])

    def forget_issue(self, row: IssueRow) -> None:
        """An issue (or its project) is deleted: its files go with it."""
        for a in self.store.attachments(row.id):
            self.files.remove(int(a["id"]))
