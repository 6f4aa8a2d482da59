"""Last seen: when each charge point held by this node last sent a frame, kept and published in batches.

Every received frame only stamps ``session.last_frame_at`` in memory. Every ``interval_s`` the
stamps that moved are written to ``gateway.connections`` in one statement and announced in one
``chargepoint.activity.seen`` event, so a node holding thousands of charge points costs one UPDATE
and one message per interval, not one per frame. What failed to flush is retried next time.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

import structlog

from ladeplan_contracts.chargepoint import ChargePointsSeen, Seen
from ladeplan_platform.publisher import Publisher
from ocpp_gateway.registry import Registry
from ocpp_gateway.repository import PresenceRepository

log = structlog.get_logger("ocpp_gateway.last_seen")

BATCH = 1000  # charge points per chargepoint.activity.seen event (~80 bytes each)


class LastSeen:
    def __init__(
        self,
        registry: Registry,
        presence: PresenceRepository,
        publisher: Publisher,
        *,
        node_id: str,
        interval_s: float,
    ) -> None:
        self._registry = registry
        self._presence = presence
        self._publisher = publisher
        self._node_id = node_id
        self._interval = interval_s
        # (charge point, epoch) -> the stamp last written; a newer connection starts afresh.
        self._flushed: dict[tuple[str, int], float] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="last-seen-flush")

    async def stop(self) -> None:
        """Stop the timer and flush once more, so a clean shutdown loses no stamps."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._flush_logged()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            await self._flush_logged()

    async def _flush_logged(self) -> None:
        try:
            await self.flush()
        except Exception:  # the next round retries; the timer must outlive a broker or database hiccup
            log.exception("last_seen.flush_failed")

    async def flush(self) -> int:
        """Write and publish the stamps that moved since the last flush; returns how many."""
        live = {(c.charge_point_id, c.epoch): c.session.last_frame_at for c in self._registry.all()}
        moved = {key: stamp for key, stamp in live.items() if stamp > self._flushed.get(key, 0.0)}
        # Forget connections that closed (their close already stamped the table).
        self._flushed = {key: stamp for key, stamp in self._flushed.items() if key in live}
        if not moved:
            return 0
        rows = [(cp, epoch, datetime.fromtimestamp(stamp, UTC)) for (cp, epoch), stamp in moved.items()]
        await self._presence.touch(rows)
        # In chunks, so a node holding many thousand charge points still sends messages of bounded size.
        for start in range(0, len(rows), BATCH):
            chunk = rows[start : start + BATCH]
            await self._publisher.publish_event(
                ChargePointsSeen(
                    node_id=self._node_id,
                    charge_points=[Seen(charge_point_id=cp, last_seen_at=seen) for cp, _, seen in chunk],
                )
            )
        self._flushed.update(moved)
        return len(rows)
