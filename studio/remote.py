"""The studio driving a remote ``b24sync serve`` through its control API (``/api/v1``, Bearer token).

Same interfaces and the same views as :class:`studio.local_backend.LocalBackend`, so pages do not know the
difference. Runs are jobs on the server: the backend starts one and follows it until it finishes.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from sync_engine.fieldtypes import FieldMeta
from sync_engine.profiles.schema import Profile
from sync_engine.progress import Progress
from sync_engine.views.conflicts import ConflictView
from sync_engine.views.connections import ConnectionTest, ConnectionView
from sync_engine.views.fields import SidesFields
from sync_engine.views.jobs import JobView
from sync_engine.views.plan import PlanLine, RunOutcome
from sync_engine.views.runs import ItemView, RunSummaryView, RunView, ScopeSample


class RemoteError(Exception):
    """The service refused or failed; the message is the service's own (never contains the token)."""


class _Api:
    def __init__(self, url: str, token: str, *, poll: float, timeout: float) -> None:
        self.url = url.rstrip("/")
        self.client = httpx.AsyncClient(base_url=f"{self.url}/api/v1", timeout=60,
                                        headers={"Authorization": f"Bearer {token}"} if token else {})
        self.poll = poll
        self.timeout = timeout

    async def call(self, method: str, path: str, **kw: Any) -> Any:
        try:
            response = await self.client.request(method, path, **kw)
        except httpx.HTTPError as exc:
            raise RemoteError(f"the sync service at {self.url} did not answer: {type(exc).__name__}") from None
        if response.status_code == 401:
            raise RemoteError("the sync service refused the API token (401): check --token / B24S_API_TOKEN")
        if response.status_code == 403:
            raise RemoteError("this API token may only read (403)")
        if response.status_code >= 400:
            try:
                message = response.json().get("error") or response.text
            except ValueError:
                message = response.text
            raise RemoteError(f"{method} {path}: {response.status_code} {message}")
        return response.json() if response.content else None

    async def follow(self, job_id: int, progress: Progress | None) -> JobView:
        """Wait for a job the service runs; its final state."""
        deadline = asyncio.get_running_loop().time() + self.timeout
        while True:
            job = JobView.model_validate(await self.call("GET", f"/jobs/{job_id}"))
            if job.status in ("done", "failed", "cancelled"):
                return job
            if progress is not None:
                progress(0, None, job.status)
            if asyncio.get_running_loop().time() > deadline:
                raise RemoteError(f"job {job_id} did not finish in {self.timeout:.0f} s")
            await asyncio.sleep(self.poll)


def _outcome(job: JobView, profile: str) -> RunOutcome:
    result = job.result or {}
    summary = RunSummaryView.model_validate({"profile": profile, **{k: v for k, v in result.items()
                                                                    if k in RunSummaryView.model_fields}})
    plan = [PlanLine.model_validate(p) for p in result.get("plan_items") or []]
    return RunOutcome(summary=summary, plan=plan, error=job.error)


class RemoteConnections:
    def __init__(self, api: _Api) -> None:
        self.api = api

    async def all(self) -> list[ConnectionView]:
        return [ConnectionView.model_validate(r) for r in await self.api.call("GET", "/connections")]

    async def add(self, *, name: str, system: str, url: str, flavour: str | None = None,
                  username: str | None = None, secret: str | None = None,
                  ca_file: str | None = None) -> ConnectionView:
        raise RemoteError("connections of a sync service are configured on the server (b24sync connections add)")

    async def remove(self, name: str) -> None:
        raise RemoteError("connections of a sync service are configured on the server")

    async def test(self, name: str) -> ConnectionTest:
        return ConnectionTest.model_validate(await self.api.call("POST", f"/connections/{name}/test"))

    async def set_application_token(self, name: str, token: str) -> None:
        await self.api.call("PUT", f"/connections/{name}/application-token", json={"token": token})


class RemoteProfiles:
    def __init__(self, api: _Api) -> None:
        self.api = api

    async def all(self) -> list[Profile]:
        return [Profile.model_validate(p) for p in await self.api.call("GET", "/profiles")]

    async def save(self, profile: Profile) -> None:
        await self.api.call("PUT", f"/profiles/{profile.name}", json=profile.model_dump(mode="json"))

    async def delete(self, name: str) -> None:
        await self.api.call("DELETE", f"/profiles/{name}")

    async def fields(self, profile: Profile) -> tuple[list[FieldMeta], list[FieldMeta]]:
        body = SidesFields.model_validate(
            await self.api.call("POST", "/profiles/fields", json=profile.model_dump(mode="json")))
        return [f.meta() for f in body.jira], [f.meta() for f in body.bitrix24]

    async def sample_scope(self, profile: Profile) -> ScopeSample:
        return ScopeSample.model_validate(
            await self.api.call("POST", "/profiles/scope-test", json=profile.model_dump(mode="json")))


class RemoteRuns:
    def __init__(self, api: _Api) -> None:
        self.api = api

    async def run(self, name: str, *, dry_run: bool, progress: Progress | None = None) -> RunOutcome:
        started = await self.api.call("POST", f"/profiles/{name}/run", json={"dry_run": dry_run})
        return _outcome(await self.api.follow(int(started["job_id"]), progress), name)

    async def recent(self, limit: int = 200) -> list[RunView]:
        page = await self.api.call("GET", "/runs", params={"limit": min(limit, 500)})
        return [RunView.model_validate(r) for r in page["items"]]

    async def count_items(self, run_id: int, action: str | None = None) -> int:
        params: dict[str, Any] = {"action": action} if action else {}
        return int((await self.api.call("GET", f"/runs/{run_id}/items/count", params=params))["count"])

    async def items_page(self, run_id: int, offset: int, limit: int, action: str | None = None) -> list[ItemView]:
        params: dict[str, Any] = {"offset": offset, "limit": limit}
        if action:
            params["action"] = action
        body = await self.api.call("GET", f"/runs/{run_id}/items/page", params=params)
        return [ItemView.model_validate(i) for i in body["items"]]

    async def retry(self, profile: str, item_ids: list[int] | None = None,
                    progress: Progress | None = None) -> RunOutcome:
        if item_ids:
            jobs = [await self.api.call("POST", f"/errors/{i}/retry") for i in item_ids]
        else:
            jobs = [await self.api.call("POST", f"/profiles/{profile}/retry")]
        outcome: RunOutcome | None = None
        for job in jobs:
            outcome = _outcome(await self.api.follow(int(job["job_id"]), progress), profile)
        assert outcome is not None
        return outcome


class RemoteConflicts:
    def __init__(self, api: _Api) -> None:
        self.api = api

    async def all(self) -> list[ConflictView]:
        return [ConflictView.model_validate(c) for c in (await self.api.call("GET", "/conflicts"))["items"]]

    async def resolve(self, conflict_id: int, choice: str, value: Any = None) -> None:
        body = {"value": value} if choice == "value" else {"choose": choice}
        answer = await self.api.call("POST", f"/conflicts/{conflict_id}/resolve", json=body)
        await self.api.follow(int(answer["job_id"]), None)


class RemoteEvents:
    def __init__(self, api: _Api) -> None:
        self.api = api

    async def stream(self) -> AsyncIterator[dict[str, Any]]:
        """The service's server-sent events, reconnecting after a dropped connection."""
        while True:
            try:
                async with self.api.client.stream("GET", "/events", timeout=None) as response:
                    if response.status_code >= 400:
                        raise RemoteError(f"the event stream answered {response.status_code}")
                    async for line in response.aiter_lines():
                        if line.startswith("data: "):
                            yield json.loads(line[6:])
            except httpx.HTTPError:
                await asyncio.sleep(self.api.poll * 4)


class RemoteBackend:
    def __init__(self, url: str, token: str, *, poll: float = 0.5, timeout: float = 600.0) -> None:
        self.api = _Api(url, token, poll=poll, timeout=timeout)
        self.url = self.api.url
        self.description = f"service {self.url}"
        self.connections = RemoteConnections(self.api)
        self.profiles = RemoteProfiles(self.api)
        self.runs = RemoteRuns(self.api)
        self.conflicts = RemoteConflicts(self.api)
        self.events = RemoteEvents(self.api)

    async def close(self) -> None:
        await self.api.client.aclose()

    def shutdown(self) -> None:
        """Nothing to release that outlives the event loop (the HTTP connections close with it)."""
