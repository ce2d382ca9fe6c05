"""What a twin (JIRA or Bitrix24) offers the sandbox runner, so the runner knows neither in detail."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from starlette.types import ASGIApp

from sync_engine.sandbox.common.control import TwinControl


@dataclass
class TwinSettings:
    """Settings of one twin. ``size`` is the number of issues (JIRA) or deals (Bitrix24) to seed
    beyond the demo's hand-written ones; ``state_path`` turns on SQLite persistence."""

    admin_token: str
    seed: str = "demo"
    size: int = 0
    limits: bool = True
    flavour: str = "server"
    state_path: Path | None = None
    credentials: dict[str, str] = field(default_factory=dict)
    company_size: int = 0  # Bitrix24: employees of the demo company (0 = the demo's default, about 300)


class Twin(Protocol):
    control: TwinControl

    @property
    def app(self) -> ASGIApp: ...

    def set_base_url(self, url: str) -> None:
        """Tell the twin the URL it is reachable at (for ``self`` links and webhook payloads)."""

    def connection_info(self) -> dict[str, Any]:
        """The keys this twin contributes to the sandbox JSON line."""
        ...

    async def startup(self) -> None: ...

    async def shutdown(self) -> None: ...
