"""Transactional outbox: events are written in the same transaction as the state they announce.

A relay task publishes unpublished rows with confirms and marks them published; a crash
between publish and mark re-publishes, so consumers deduplicate on the message id (``inbox``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

import asyncpg
import orjson
import structlog

from ladeplan_contracts.envelope import Contract, Envelope, new_envelope
from ladeplan_platform.bus import EVENTS, headers_for

log = structlog.get_logger("ladeplan.outbox")

OUTBOX_DDL = """
CREATE TABLE outbox (
    position     bigserial   UNIQUE,
    message_id   uuid PRIMARY KEY,
    routing_key  text        NOT NULL,
    body         text        NOT NULL,
    headers      jsonb       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    published_at timestamptz
);
-- Publication follows insertion order (position), not transaction start time (now()).
CREATE INDEX outbox_unpublished ON outbox (position) WHERE published_at IS NULL;
CREATE TABLE inbox (
    message_id   text PRIMARY KEY,
    processed_at timestamptz NOT NULL DEFAULT now()
);
"""
"""DDL for the two tables every publishing/consuming service keeps in its own schema."""


async def add_to_outbox(
    conn: asyncpg.Connection,
    body: Contract,
    *,
    charge_point_id: str | None = None,
    causation_id: str | None = None,
    correlation_id: str | None = None,
) -> Envelope[Any]:
    """Stage an event inside the caller's transaction."""
    envelope = new_envelope(
        body, charge_point_id=charge_point_id, causation_id=causation_id, correlation_id=correlation_id
    )
    headers = headers_for(envelope)
    await conn.execute(
        "INSERT INTO outbox (message_id, routing_key, body, headers) VALUES ($1, $2, $3, $4::jsonb)",
        envelope.message_id,
        body.routing_key(),
        envelope.model_dump_json(),
        orjson.dumps(headers).decode(),
    )
    return envelope


async def mark_processed(conn: asyncpg.Connection, message_id: str) -> bool:
    """Record a consumed message inside the caller's transaction; False if it was seen before."""
    inserted = await conn.fetchval(
        "INSERT INTO inbox (message_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING true", message_id
    )
    return bool(inserted)


async def mark_processed_many(conn: asyncpg.Connection, message_ids: Sequence[str]) -> set[str]:
    """:func:`mark_processed` for a batch in one round trip; returns the ids not seen before."""
    if not message_ids:
        return set()
    rows = await conn.fetch(
        "INSERT INTO inbox (message_id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING RETURNING message_id",
        list(message_ids),
    )
    return {row["message_id"] for row in rows}


class OutboxRelay:
    """Background task publishing the outbox. ``wake()`` after a commit cuts the latency to ~0."""

    def __init__(self, pool: asyncpg.Pool, broker: Any, *, poll_interval: float = 1.0, batch: int = 200) -> None:
        self._pool = pool
        self._broker = broker
        self._poll_interval = poll_interval
        self._batch = batch
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wakeup.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self._poll_interval)
            self._wakeup.clear()
            try:
                while await self.publish_pending() == self._batch:
                    pass
            except Exception:  # the relay must outlive a broker or database hiccup
                log.exception("outbox.publish_failed")

    async def publish_pending(self) -> int:
        """Publish one batch; returns how many rows went out."""
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "SELECT message_id, routing_key, body, headers FROM outbox WHERE published_at IS NULL "
                "ORDER BY position LIMIT $1 FOR UPDATE SKIP LOCKED",
                self._batch,
            )
            for row in rows:
                headers = orjson.loads(row["headers"])
                await self._broker.publish(
                    row["body"].encode(),
                    exchange=EVENTS,
                    routing_key=row["routing_key"],
                    persist=True,
                    mandatory=False,
                    message_id=str(row["message_id"]),
                    content_type="application/json",
                    # The type, not the routing key: a contract may route a type under several keys.
                    message_type=headers.get("message-type", row["routing_key"]),
                    headers=headers,
                )
            if rows:
                await conn.execute(
                    "UPDATE outbox SET published_at = now() WHERE message_id = ANY($1::uuid[])",
                    [row["message_id"] for row in rows],
                )
        return len(rows)
