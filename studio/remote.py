"""The studio driving a remote ``b24sync serve`` through its control API (``/api/v1``, Bearer token).

Same coroutines as :class:`studio.backend.LocalBackend`, so pages do not know the difference. Runs are
jobs on the server: the backend starts one and follows it until it finishes.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from sync_engine.fieldtypes import FieldMeta, FieldType, Option
from sync_engine.profiles.schema import Profile


class RemoteError(Exception):
    """The service refused or failed; the message is the service's own (never contains the token)."""


def _meta(d: dict[str, Any]) -> FieldMeta:
    return FieldMeta(
        id=d["id"], label=d.get("label", d["id"]), type=FieldType(d.get("type", "unknown")),
        required=bool(d.get("required")), read_only=bool(d.get("read_only")), multiple=bool(d.get("multiple")),
        options=tuple(Option(str(o["id"]), str(o["label"])) for o in d.get("options") or ()),
        reference=d.get("reference"), system_type=d.get("system_type", ""), raw=d.get("raw") or {},
    )


class RemoteBackend:
    def __init__(self, url: str, token: str, *, poll: float = 0.5, timeout: float = 600.0) -> None:
        self.url = url.rstrip("/")
        self.description = f"service {self.url}"
        self._client = httpx.AsyncClient(base_url=f"{self.url}/api/v1", timeout=60,
                                         headers={"Authorization": f"Bearer {token}"} if token else {})
        self._poll = poll
        self._timeout = timeout

    async def _call(self, method: str, path: str, **kw: Any) -> Any:
        try:
            response = await self._client.request(method, path, **kw)
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

    async def connections(self) -> list[dict[str, Any]]:
        rows = await self._call("GET", "/connections")
        return [{"secret_ref": "service:", **r} for r in rows]

    async def add_connection(self, **fields: Any) -> dict[str, Any]:
        raise RemoteError("connections of a sync service are configured on the server (b24sync connections add)")

    async def remove_connection(self, name: str) -> None:
        raise RemoteError("connections of a sync service are configured on the server")

    async def test_connection(self, name: str) -> dict[str, Any]:
        return dict(await self._call("POST", f"/connections/{name}/test"))

    async def set_application_token(self, name: str, token: str) -> None:
        await self._call("PUT", f"/connections/{name}/application-token", json={"token": token})

    async def profiles(self) -> list[Profile]:
        return [Profile.model_validate(p) for p in await self._call("GET", "/profiles")]

    async def save_profile(self, profile: Profile) -> None:
        await self._call("PUT", f"/profiles/{profile.name}", json=profile.model_dump(mode="json"))

    async def delete_profile(self, name: str) -> None:
        await self._call("DELETE", f"/profiles/{name}")

    async def describe_fields(self, profile: Profile) -> tuple[list[FieldMeta], list[FieldMeta]]:
        body = await self._call("POST", "/profiles/fields", json=profile.model_dump(mode="json"))
        return [_meta(f) for f in body["jira"]], [_meta(f) for f in body["bitrix24"]]

    async def test_scope(self, profile: Profile) -> dict[str, Any]:
        return dict(await self._call("POST", "/profiles/scope-test", json=profile.model_dump(mode="json")))

    async def run(self, name: str, *, dry_run: bool) -> dict[str, Any]:
        job = await self._call("POST", f"/profiles/{name}/run", json={"dry_run": dry_run})
        deadline = asyncio.get_running_loop().time() + self._timeout
        while True:
            state = await self._call("GET", f"/jobs/{job['job_id']}")
            if state.get("status") in ("done", "failed", "dead"):
                break
            if asyncio.get_running_loop().time() > deadline:
                raise RemoteError(f"job {job['job_id']} did not finish in {self._timeout:.0f} s")
            await asyncio.sleep(self._poll)
        result = state.get("result") or {}
        return {"summary": {k: result.get(k) for k in ("created", "updated", "matched", "unchanged", "conflicts",
                                                        "errors", "api_calls", "seconds")} | {"profile": name},
                "plan": result.get("plan_lines") or [], "error": state.get("error")}

    async def runs(self, limit: int = 200) -> list[dict[str, Any]]:
        return list((await self._call("GET", "/runs", params={"limit": min(limit, 200)}))["items"])

    async def count_items(self, run_id: int, action: str | None = None) -> int:
        params: dict[str, Any] = {"action": action} if action else {}
        return int((await self._call("GET", f"/runs/{run_id}/items/count", params=params))["count"])

    async def items_page(self, run_id: int, offset: int, limit: int, action: str | None = None
                         ) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"offset": offset, "limit": limit}
        if action:
            params["action"] = action
        return list((await self._call("GET", f"/runs/{run_id}/items/page", params=params))["items"])

    async def retry_failed(self, profile: str) -> dict[str, Any]:
        errors = (await self._call("GET", "/errors", params={"profile": profile, "limit": 200}))["items"]
        for item in errors:
            await self._call("POST", f"/errors/{item['id']}/retry")
        return await self.run(profile, dry_run=False)

    async def conflicts(self) -> list[dict[str, Any]]:
        return list((await self._call("GET", "/conflicts"))["items"])

    async def resolve_conflict(self, conflict_id: int, choice: str, value: Any = None) -> None:
        body = {"value": value} if choice == "value" else {"choose": choice}
        await self._call("POST", f"/conflicts/{conflict_id}/resolve", json=body)

    async def close(self) -> None:
        await self._client.aclose()
