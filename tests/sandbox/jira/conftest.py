"""Fixtures: JIRA twins of both flavours served on loopback by ThreadedTwinServer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from jira import JIRA

from sync_engine.sandbox.common.threaded import ThreadedTwinServer
from sync_engine.sandbox.common.twin import TwinSettings
from sync_engine.sandbox.jira.app import JiraTwin, create_twin

ADMIN = "admin-token-for-tests"


@dataclass
class Served:
    twin: JiraTwin
    url: str

    @property
    def cloud(self) -> bool:
        return self.twin.cloud

    @property
    def auth(self) -> tuple[str, str]:
        return self.twin.user, self.twin.token

    def client(self) -> JIRA:
        return JIRA(self.url, basic_auth=self.auth, max_retries=0)

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, auth=self.auth, timeout=30)

    def admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return httpx.request(method, f"{self.url}/_sandbox/{path}", json=body,
                             headers={"Authorization": f"Bearer {ADMIN}"}, timeout=60)


ServeFactory = Callable[..., Served]


@pytest.fixture
def serve() -> Iterator[ServeFactory]:
    servers: list[ThreadedTwinServer] = []

    def start(flavour: str = "server", **kw: Any) -> Served:
        kw.setdefault("limits", False)
        twin = create_twin(TwinSettings(admin_token=ADMIN, flavour=flavour, **kw))
        server = ThreadedTwinServer(twin)
        url = server.start()
        servers.append(server)
        return Served(twin, url)

    yield start
    for s in servers:
        s.stop()


@pytest.fixture(scope="module")
def server_twin() -> Iterator[Served]:
    twin = create_twin(TwinSettings(admin_token=ADMIN, flavour="server", limits=False))
    with ThreadedTwinServer(twin) as url:
        yield Served(twin, url)


@pytest.fixture(scope="module")
def cloud_twin() -> Iterator[Served]:
    twin = create_twin(TwinSettings(admin_token=ADMIN, flavour="cloud", limits=False))
    with ThreadedTwinServer(twin) as url:
        yield Served(twin, url)


@pytest.fixture(params=["server", "cloud"])
def any_twin(request: pytest.FixtureRequest) -> Served:
    served: Served = request.getfixturevalue(f"{request.param}_twin")
    return served
