"""When to replan: after every change a consumer reports, and every location with sessions every 15 minutes.

One worker task replans the locations asked for, one after the other: a burst of arrivals at one
location costs one replan, not one per arrival (requests made while a location waits are merged),
and two replans of the same location never race each other's profiles.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

log = structlog.get_logger("ems_adapter.replanner")


class Replanner:
    def __init__(
        self,
        replan: Callable[[str], Awaitable[object]],
        locations_with_sessions: Callable[[], Awaitable[list[str]]],
        *,
        interval_s: float = 900.0,
    ) -> None:
        self._replan = replan
        self._locations_with_sessions = locations_with_sessions
        self._interval_s = interval_s
        self._pending: dict[str, None] = {}  # insertion-ordered set: first asked, first planned
        self._wakeup = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._tasks: list[asyncio.Task[None]] = []

    def request(self, location_id: str) -> None:
        """Replan ``location_id`` soon (merged with a request that is still waiting)."""
        self._pending[location_id] = None
        self._idle.clear()
        self._wakeup.set()

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._work(), name="ems-replanner"),
            asyncio.create_task(self._tick(), name="ems-replan-ticker"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def idle(self) -> None:
        """Wait until every requested replan has run (for tests and orderly shutdowns)."""
        await self._idle.wait()

    async def _work(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._pending:
                location_id = next(iter(self._pending))
                del self._pending[location_id]
                try:
                    await self._replan(location_id)
                except Exception:  # one location's failure must not stop planning the others
                    log.exception("replan.failed", location_id=location_id)
            self._idle.set()

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            try:
                for location_id in await self._locations_with_sessions():
                    self.request(location_id)
            except Exception:  # the database may be away for a moment; the next tick tries again
                log.exception("replan.tick_failed")
