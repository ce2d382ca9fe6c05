"""The studio test driver (a module of its own so test files never import a conftest by name)."""

from __future__ import annotations

import asyncio
from typing import Any


class Studio:
    def __init__(self, window: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.window = window
        self.loop = loop

    def settle(self, seconds: float = 0.1) -> None:
        """Let background operations finish (and the UI update)."""

        async def wait() -> None:
            await asyncio.sleep(seconds)
            await self.window.wait_ops()
            await asyncio.sleep(0.05)
            await self.window.wait_ops()

        self.loop.run_until_complete(asyncio.wait_for(wait(), 120))

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)
