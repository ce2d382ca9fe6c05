"""A configured endpoint (a JIRA instance or a Bitrix24 portal) and how to authenticate to it.

Only a *reference* to the secret is stored (see :mod:`models.secret_refs`): the database is often a
shared PostgreSQL or a file that gets copied around, and must never become a credential store.
"""

from __future__ import annotations

import re
from typing import Any, Final
from urllib.parse import urlsplit

from sqlalchemy import CheckConstraint, String, true
from sqlalchemy.orm import Mapped, mapped_column, validates

from models.base import Base, TimestampMixin
from models.errors import InvalidFieldError
from models.secret_refs import parse_secret_ref

SYSTEMS: Final = ("jira", "bitrix24")
FLAVOURS: Final[dict[str, tuple[str, ...]]] = {
    "jira": ("server", "cloud"),
    "bitrix24": ("webhook", "oauth"),
}
NAME_MAX = 100
URL_MAX = 2048

# Bitrix24 inbound webhook URLs carry the secret code in the path: /rest/<user id>/<code>/
_B24_WEBHOOK_PATH_RE = re.compile(r"/rest/\d+/[^/]+")
# Settings keys that name a secret must hold a reference ("<key>_ref"), never the value.
_SECRET_KEY_RE = re.compile(r"token|secret|password|passwd|api_?key|credential", re.IGNORECASE)


def _sql_list(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


_FLAVOUR_CHECK = " OR ".join(
    f"(system = '{system}' AND flavour IN ({_sql_list(flavours)}))" for system, flavours in FLAVOURS.items()
)


def check_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidFieldError("name", "must be a non-empty string, e.g. 'jira-demo'")
    if name != name.strip():
        raise InvalidFieldError("name", f"{name!r} has leading or trailing whitespace")
    if len(name) > NAME_MAX:
        raise InvalidFieldError("name", f"longer than {NAME_MAX} characters")
    if any(not ch.isprintable() for ch in name):
        raise InvalidFieldError("name", f"{name!r} contains control characters")
    return name


def check_base_url(url: object) -> str:
    """Accept http(s) URLs without credentials; the message never echoes the URL (it may hold a secret)."""
    if not isinstance(url, str) or not url.strip():
        raise InvalidFieldError("base_url", "must be a non-empty http(s) URL, e.g. https://jira.example.com")
    if len(url) > URL_MAX:
        raise InvalidFieldError("base_url", f"longer than {URL_MAX} characters")
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise InvalidFieldError("base_url", "is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidFieldError("base_url", "must start with http:// or https:// and name a host")
    if parts.username is not None or parts.password is not None:
        raise InvalidFieldError(
            "base_url", "must not contain a user name or password; put the secret in the keyring (secret_ref)"
        )
    if parts.query or parts.fragment:
        raise InvalidFieldError("base_url", "must not contain a query string or fragment")
    if _B24_WEBHOOK_PATH_RE.search(parts.path):
        raise InvalidFieldError(
            "base_url",
            "looks like a Bitrix24 inbound webhook URL (it contains the secret code); use the portal address "
            "(e.g. https://portal.bitrix24.ru) and store the webhook URL as the secret",
        )
    return url.strip().rstrip("/")


class Connection(TimestampMixin, Base):
    __tablename__ = "connections"
    __table_args__ = (
        CheckConstraint(f"system IN ({_sql_list(SYSTEMS)})", name="system"),
        CheckConstraint(_FLAVOUR_CHECK, name="flavour"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX), unique=True)
    system: Mapped[str] = mapped_column(String(20))
    flavour: Mapped[str] = mapped_column(String(20))
    base_url: Mapped[str] = mapped_column(String(URL_MAX))
    username: Mapped[str | None] = mapped_column(String(255))
    secret_ref: Mapped[str] = mapped_column(String(512))
    verify_tls: Mapped[bool] = mapped_column(default=True, server_default=true())
    ca_file: Mapped[str | None] = mapped_column(String(1024))
    # Non-secret extras, e.g. {"app_token_ref": "keyring:...", "timezone": "Europe/Moscow"}.
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)

    @validates("name")
    def _validate_name(self, _key: str, value: object) -> str:
        return check_name(value)

    @validates("system")
    def _validate_system(self, _key: str, value: object) -> str:
        if value not in SYSTEMS:
            raise InvalidFieldError("system", f"{value!r} is not one of {', '.join(SYSTEMS)}")
        assert isinstance(value, str)
        flavour = self.__dict__.get("flavour")
        if flavour is not None and flavour not in FLAVOURS[value]:
            raise InvalidFieldError(
                "flavour", f"{flavour!r} is not valid for {value}; use one of {', '.join(FLAVOURS[value])}"
            )
        return value

    @validates("flavour")
    def _validate_flavour(self, _key: str, value: object) -> str:
        system = self.__dict__.get("system")
        allowed = FLAVOURS[system] if system in FLAVOURS else tuple(f for fs in FLAVOURS.values() for f in fs)
        if value not in allowed:
            where = f" for {system}" if system in FLAVOURS else ""
            raise InvalidFieldError("flavour", f"{value!r} is not valid{where}; use one of {', '.join(allowed)}")
        assert isinstance(value, str)
        return value

    @validates("base_url")
    def _validate_base_url(self, _key: str, value: object) -> str:
        return check_base_url(value)

    @validates("secret_ref")
    def _validate_secret_ref(self, _key: str, value: object) -> str:
        return str(parse_secret_ref(value))

    @validates("settings")
    def _validate_settings(self, _key: str, value: object) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise InvalidFieldError("settings", "must be a JSON object (a dict with string keys)")
        for key, item in value.items():
            if key.endswith("_ref"):
                if item is not None:
                    parse_secret_ref(item, field=f"settings.{key}")
            elif _SECRET_KEY_RE.search(key):
                raise InvalidFieldError(
                    f"settings.{key}",
                    f"looks like a secret; store it with the secret store and save its reference as '{key}_ref'",
                )
        return value

    def __repr__(self) -> str:
        return (
            f"Connection(id={self.id!r}, name={self.name!r}, system={self.system!r}, "
            f"flavour={self.flavour!r}, base_url={self.base_url!r})"
        )
