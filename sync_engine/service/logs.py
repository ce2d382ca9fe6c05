"""JSON log lines carrying the run, job and profile they belong to, with secrets masked.

The context travels in :mod:`contextvars`, so the engine's own log calls made during a run get the
run's ids without the engine knowing about the service.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

LOG_CONTEXT: ContextVar[dict[str, Any] | None] = ContextVar("b24s_log_context", default=None)
# Shapes that look like credentials wherever they appear in a message.
_PATTERNS = (
    re.compile(r"(?i)(authorization:\s*(?:bearer|basic)\s+)\S+"),
    re.compile(r"(?i)((?:token|secret|password|application_token|access_token|auth)\W{0,3}[=:]\s*)[^\s&,'\"]+"),
    re.compile(r"(/rest/\d+/)[A-Za-z0-9]+"),
    re.compile(r"b24s_[A-Za-z0-9_\-]{20,}"),
)


def bind(**values: Any) -> Any:
    """Add values to the log context; returns the token for :meth:`ContextVar.reset`."""
    current = dict(LOG_CONTEXT.get() or {})
    current.update({k: v for k, v in values.items() if v is not None})
    return LOG_CONTEXT.set(current)


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    for value in secrets:
        if value and len(value) >= 4:
            text = text.replace(value, "***")
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "***", text)
    return text


class JsonFormatter(logging.Formatter):
    def __init__(self, secrets: Callable[[], Iterable[str]] = tuple) -> None:
        super().__init__()
        self._secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info:
            # Only the exception's type and message: tracebacks may quote local values.
            exc = record.exc_info[1]
            message += f" ({type(exc).__name__}: {exc})"
        doc: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": scrub(message, self._secrets()),
        }
        doc.update(LOG_CONTEXT.get() or {})
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            doc.update({k: scrub(str(v), self._secrets()) if isinstance(v, str) else v for k, v in extra.items()})
        return json.dumps(doc, ensure_ascii=False, default=str)


def setup_json_logging(level: str = "INFO", stream: TextIO | None = None,
                       secrets: Callable[[], Iterable[str]] = tuple) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return handler
