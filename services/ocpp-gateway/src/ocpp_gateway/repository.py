"""SQL of the ``gateway`` schema: which node holds which charge point, and since which epoch."""

from __future__ import annotations

from datetime import datetime

import asyncpg


class PresenceRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def claim(self, charge_point_id: str, node_id: str, ocpp_version: str, remote_address: str | None) -> int:
        """Record a new connection; the returned epoch is higher than any earlier connection's."""
        epoch: int = await self._pool.fetchval(
            """
            INSERT INTO connections (charge_point_id, node_id, epoch, ocpp_version, remote_address,
                                     connected_at, last_seen_at)
            VALUES ($1, $2, 1, $3, $4, now(), now())
            ON CONFLICT (charge_point_id) DO UPDATE
               SET node_id = EXCLUDED.node_id, epoch = connections.epoch + 1,
                   ocpp_version = EXCLUDED.ocpp_version, remote_address = EXCLUDED.remote_address,
                   connected_at = now(), disconnected_at = NULL, last_seen_at = now()
            RETURNING epoch
            """,
            charge_point_id,
            node_id,
            ocpp_version,
            remote_address,
        )
        return epoch

    async def release(self, charge_point_id: str, epoch: int) -> None:
        """Mark the connection closed, unless a newer epoch (a reconnect) already took over."""
        await self._pool.execute(
            "UPDATE connections SET disconnected_at = now(), last_seen_at = now() "
            "WHERE charge_point_id = $1 AND epoch = $2",
            charge_point_id,
            epoch,
        )

    async def holder(self, charge_point_id: str) -> tuple[str, int] | None:
        """``(node_id, epoch)`` of the connection that currently holds the charge point, if any."""
        row = await self._pool.fetchrow(
            "SELECT node_id, epoch FROM connections WHERE charge_point_id = $1 AND disconnected_at IS NULL",
            charge_point_id,
        )
        return (row["node_id"], row["epoch"]) if row else None

    async def touch(self, seen: list[tuple[str, int, datetime]]) -> None:
        """Record ``(charge point, epoch, last seen)`` stamps in one statement; stale epochs are skipped."""
        await self._pool.execute(
            """
            UPDATE connections AS c SET last_seen_at = greatest(c.last_seen_at, s.seen)
              FROM unnest($1::text[], $2::bigint[], $3::timestamptz[]) AS s(charge_point_id, epoch, seen)
             WHERE c.charge_point_id = s.charge_point_id AND c.epoch = s.epoch
            """,
            [row[0] for row in seen],
            [row[1] for row in seen],
            [row[2] for row in seen],
        )
