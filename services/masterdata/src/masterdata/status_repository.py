"""SQL of the charge point status read model (``masterdata.charge_point_status``).

Every write is an upsert guarded by the event's own clock (connection epoch, or the time it
happened), so events applied late, twice or out of order never overwrite newer state.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from masterdata.domain.model import ChargePointStatus
from masterdata.repository import Executor


async def connection_opened(
    conn: Executor, charge_point_id: str, *, epoch: int, ocpp_version: str, node_id: str, at: datetime
) -> None:
    await conn.execute(
        """
        INSERT INTO charge_point_status AS s
               (charge_point_id, connected, ocpp_version, node_id, epoch, connected_at, last_seen_at)
        VALUES ($1, true, $2, $3, $4, $5, $5)
        ON CONFLICT (charge_point_id) DO UPDATE
           SET connected = true, ocpp_version = EXCLUDED.ocpp_version, node_id = EXCLUDED.node_id,
               epoch = EXCLUDED.epoch, connected_at = EXCLUDED.connected_at, disconnected_at = NULL,
               last_seen_at = greatest(s.last_seen_at, EXCLUDED.last_seen_at)
         WHERE s.epoch IS NULL OR s.epoch < EXCLUDED.epoch
        """,
        charge_point_id,
        ocpp_version,
        node_id,
        epoch,
        at,
    )


async def connection_closed(conn: Executor, charge_point_id: str, *, epoch: int, at: datetime) -> None:
    # A close of an older connection (a reconnect took over) leaves the newer one connected.
    await conn.execute(
        """
        INSERT INTO charge_point_status AS s (charge_point_id, connected, epoch, disconnected_at, last_seen_at)
        VALUES ($1, false, $2, $3, $3)
        ON CONFLICT (charge_point_id) DO UPDATE
           SET connected = false, epoch = EXCLUDED.epoch, disconnected_at = EXCLUDED.disconnected_at,
               last_seen_at = greatest(s.last_seen_at, EXCLUDED.last_seen_at)
         WHERE s.epoch IS NULL OR s.epoch <= EXCLUDED.epoch
        """,
        charge_point_id,
        epoch,
        at,
    )


async def booted(
    conn: Executor,
    charge_point_id: str,
    *,
    vendor: str,
    model: str,
    serial_number: str | None,
    firmware_version: str | None,
    reason: str | None,
    at: datetime,
) -> None:
    await conn.execute(
        """
        INSERT INTO charge_point_status AS s (charge_point_id, vendor, model, serial_number, firmware_version,
                                              boot_reason, booted_at, last_seen_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
        ON CONFLICT (charge_point_id) DO UPDATE
           SET vendor = EXCLUDED.vendor, model = EXCLUDED.model, serial_number = EXCLUDED.serial_number,
               firmware_version = EXCLUDED.firmware_version, boot_reason = EXCLUDED.boot_reason,
               booted_at = EXCLUDED.booted_at, last_seen_at = greatest(s.last_seen_at, EXCLUDED.last_seen_at)
         WHERE s.booted_at IS NULL OR s.booted_at <= EXCLUDED.booted_at
        """,
        charge_point_id,
        vendor,
        model,
        serial_number,
        firmware_version,
        reason,
        at,
    )


async def firmware_status(
    conn: Executor, charge_point_id: str, *, status: str, request_id: int | None, at: datetime
) -> None:
    await conn.execute(
        """
        INSERT INTO charge_point_status AS s (charge_point_id, firmware_status, firmware_request_id,
                                              firmware_status_at, last_seen_at)
        VALUES ($1, $2, $3, $4, $4)
        ON CONFLICT (charge_point_id) DO UPDATE
           SET firmware_status = EXCLUDED.firmware_status, firmware_request_id = EXCLUDED.firmware_request_id,
               firmware_status_at = EXCLUDED.firmware_status_at,
               last_seen_at = greatest(s.last_seen_at, EXCLUDED.last_seen_at)
         WHERE s.firmware_status_at IS NULL OR s.firmware_status_at <= EXCLUDED.firmware_status_at
        """,
        charge_point_id,
        status,
        request_id,
        at,
    )


async def seen(conn: Executor, stamps: list[tuple[str, datetime]]) -> None:
    """Many charge points' last-seen times in one statement (a gateway node's batch)."""
    await conn.execute(
        """
        INSERT INTO charge_point_status AS s (charge_point_id, last_seen_at)
        SELECT * FROM unnest($1::text[], $2::timestamptz[])
        ON CONFLICT (charge_point_id) DO UPDATE
           SET last_seen_at = greatest(s.last_seen_at, EXCLUDED.last_seen_at)
        """,
        [charge_point_id for charge_point_id, _ in stamps],
        [at for _, at in stamps],
    )


async def get(conn: Executor, charge_point_id: str) -> ChargePointStatus | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        """
        SELECT connected, ocpp_version, connected_at, disconnected_at, last_seen_at, vendor, model, serial_number,
               firmware_version, boot_reason, booted_at, firmware_status, firmware_request_id, firmware_status_at
          FROM charge_point_status WHERE charge_point_id = $1
        """,
        charge_point_id,
    )
    return None if row is None else ChargePointStatus(**dict(row))
