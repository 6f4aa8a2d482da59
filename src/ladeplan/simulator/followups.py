"""What a simulated charge point does after answering a CALL: trigger replies, firmware and log progress.

A CALL to the CSMS made while handling the CSMS's own CALL would wait forever (the ``ocpp``
package handles one frame at a time), so follow-ups run as tasks. They are kept and their
failures logged, never dropped silently.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import structlog

log = structlog.get_logger("ladeplan.simulator")


class Followups:
    def __init__(self, charge_point_id: str) -> None:
        self._charge_point_id = charge_point_id
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(work, name=f"{self._charge_point_id} {name}")
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("simulator.followup_failed", task=task.get_name(), error=repr(task.exception()))

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait until every follow-up has run (tests: the reports a command announced have been sent)."""
        if self._tasks:
            await asyncio.wait_for(asyncio.gather(*self._tasks, return_exceptions=True), timeout)
