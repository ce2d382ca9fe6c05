"""Connections as the studio and the control API show them: never the secret, only where it is kept."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

SecretLocation = Literal["keyring", "file", "env", "service"]


class ConnectionView(BaseModel):
    name: str
    system: str
    flavour: str
    base_url: str
    username: str | None = None
    verify_tls: bool = True
    ca_file: str | None = None
    settings: dict[str, Any] = Field(default_factory=dict)
    secret_location: SecretLocation = Field("keyring", description="where the connection's secret is kept")
    secret_where: str = Field("", description="the same, in words (e.g. 'private file /home/u/.../secrets.cfg')")
    registration: dict[str, Any] | None = Field(None, description="webhook registrations (sync service only)")
    application_token_set: bool | None = None
    webhook_secret_set: bool | None = None


class ConnectionTest(BaseModel):
    """Who we are on the remote system: what "Test connection" shows."""

    name: str
    system: str
    server: str | None = None
    version: str | None = None
    deployment: str | None = None
    portal: str | None = None
    user: str | None = None
    email: str | None = None
    admin: bool | None = None
    api_calls: int = 0
