"""Effects done once: the key is committed before the call, a retry asks the remote before repeating."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import Engine

from sync_engine.jobs import EffectLog, EffectUncertain, JobStore


class Remote:
    """A remote system that keeps what it was sent, findable by the effect's marker."""

    def __init__(self) -> None:
        self.received: list[str] = []
        self.fail_after_send = False

    async def send(self, marker: str) -> dict[str, Any]:
        self.received.append(marker)
        if self.fail_after_send:
            raise ConnectionError("connection dropped after the request was sent")
        return {"id": len(self.received)}

    async def find(self, marker: str) -> dict[str, Any] | None:
        return {"id": self.received.index(marker) + 1} if marker in self.received else None


def test_a_done_effect_is_not_repeated(engine: Engine) -> None:
    log, remote = EffectLog(JobStore(engine)), Remote()
    first = asyncio.run(log.once("notice:1", "lane", lambda: remote.send("notice:1")))
    again = asyncio.run(log.once("notice:1", "lane", lambda: remote.send("notice:1")))
    assert first == again == {"id": 1} and remote.received == ["notice:1"]
    state = log.get("notice:1")
    assert state is not None and state.status == "done"


def test_an_effect_interrupted_after_the_call_is_found_not_repeated(engine: Engine) -> None:
    log, remote = EffectLog(JobStore(engine)), Remote()
    remote.fail_after_send = True
    with pytest.raises(ConnectionError):
        asyncio.run(log.once("notice:2", "lane", lambda: remote.send("notice:2"),
                             find=lambda: remote.find("notice:2")))
    remote.fail_after_send = False
    result = asyncio.run(log.once("notice:2", "lane", lambda: remote.send("notice:2"),
                                  find=lambda: remote.find("notice:2")))
    assert result == {"id": 1} and remote.received == ["notice:2"]


def test_an_effect_interrupted_before_the_call_is_done_on_the_retry(engine: Engine) -> None:
    log, remote = EffectLog(JobStore(engine)), Remote()
    state, again = log.begin("notice:3", "lane")  # the intent was committed, then the process died
    assert state.status == "pending" and not again
    result = asyncio.run(log.once("notice:3", "lane", lambda: remote.send("notice:3"),
                                  find=lambda: remote.find("notice:3")))
    assert result == {"id": 1} and remote.received == ["notice:3"]


def test_an_uncheckable_interrupted_effect_is_reported_never_repeated(engine: Engine) -> None:
    log, remote = EffectLog(JobStore(engine)), Remote()
    log.begin("notice:4", "lane")
    with pytest.raises(EffectUncertain, match="notice:4"):
        asyncio.run(log.once("notice:4", "lane", lambda: remote.send("notice:4")))
    assert remote.received == []
    log.forget("notice:4")  # a person checked: it did not happen
    asyncio.run(log.once("notice:4", "lane", lambda: remote.send("notice:4")))
    assert remote.received == ["notice:4"]


def test_a_refused_call_drops_its_intent_so_a_retry_tries_again(engine: Engine) -> None:
    log = EffectLog(JobStore(engine))

    async def refused() -> dict[str, Any]:
        raise PermissionError("403 from the remote: nothing was done")

    with pytest.raises(PermissionError):
        asyncio.run(log.once("notice:5", "lane", refused, not_performed=lambda e: isinstance(e, PermissionError)))
    assert log.get("notice:5") is None
