"""Control-API bearer tokens: made once, shown once, kept only as a hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, cast

from sqlalchemy import Engine, Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from models.base import utcnow
from models.db import write_transaction
from models.service import ServiceToken

Role = Literal["admin", "read"]
ROLES: tuple[Role, ...] = ("admin", "read")
TOKEN_PREFIX = "b24s_"
TOKENS = cast(Table, ServiceToken.__table__)


class TokenError(ValueError):
    """A token could not be made (duplicate name, bad role)."""


def token_hash(token: str) -> str:
    """SHA-256 is enough: tokens are 256 random bits, not guessable passwords needing a slow hash."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    role: Role
    created_at: datetime
    last_used_at: datetime | None


class TokenStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, name: str, role: Role = "admin") -> str:
        name = name.strip()
        if not name or len(name) > 100:
            raise TokenError("a token name must be 1 to 100 characters")
        if role not in ROLES:
            raise TokenError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        try:
            with write_transaction(self.engine) as conn:
                conn.execute(insert(TOKENS).values(name=name, token_hash=token_hash(token), role=role,
                                                   created_at=utcnow()))
        except IntegrityError:
            raise TokenError(f"a token named {name!r} exists already; revoke it first") from None
        return token

    def verify(self, token: str) -> TokenInfo | None:
        digest = token_hash(token)
        with self.engine.connect() as conn:
            row = conn.execute(select(TOKENS).where(TOKENS.c.token_hash == digest)).first()
        if row is None or not hmac.compare_digest(row.token_hash, digest):
            return None
        now = utcnow()
        # Written at most once a minute: an API poller must not turn every read into a write.
        if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
            with write_transaction(self.engine) as conn:
                conn.execute(update(TOKENS).where(TOKENS.c.id == row.id).values(last_used_at=now))
        return TokenInfo(row.id, row.name, row.role, row.created_at, now)

    def list(self) -> list[TokenInfo]:
        with self.engine.connect() as conn:
            return [TokenInfo(r.id, r.name, r.role, r.created_at, r.last_used_at)
                    for r in conn.execute(select(TOKENS).order_by(TOKENS.c.name))]

    def revoke(self, name: str) -> bool:
        with write_transaction(self.engine) as conn:
            return bool(conn.execute(delete(TOKENS).where(TOKENS.c.name == name)).rowcount)
