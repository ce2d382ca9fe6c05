"""A job kind for tests only (``test.probe``), loaded by ``b24sync serve`` through its ``job_plugins`` setting.

Each job performs one effect on a small recording server (``B24S_TEST_PROBE_URL``): it pauses before the
call and after it, so a SIGKILL can land in both windows: before the remote saw anything, and after the
remote did it but before the queue knew.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import httpx

from sync_engine.jobs import JobBatch, JobHandler


class ProbeHandler(JobHandler):
    kind = "test.probe"

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    async def run(self, batch: JobBatch) -> None:
        async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
            for job in batch.jobs:
                key = str(job.payload["key"])

                async def perform(key: str = key, before: float = float(job.payload.get("before", 0)),
                                  after: float = float(job.payload.get("after", 0))) -> dict[str, Any]:
                    await asyncio.sleep(before)
                    answer = (await client.post(f"{self.url}/effects", json={"key": key})).raise_for_status().json()
                    await asyncio.sleep(after)
                    return {"id": answer["id"]}

                async def find(key: str = key) -> dict[str, Any] | None:
                    found = (await client.get(f"{self.url}/effects", params={"key": key})).raise_for_status().json()
                    return {"id": found["id"]} if found else None

                result = await batch.effect(f"probe:{key}", perform, find=find, job=job)
                batch.done([job], {"key": key, **result})


def make(service: Any) -> ProbeHandler:
    return ProbeHandler(os.environ["B24S_TEST_PROBE_URL"])
