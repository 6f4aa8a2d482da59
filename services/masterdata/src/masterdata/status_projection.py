"""Keep what the gateway reports about charge points: connection, boot info, firmware and last seen.

Each event is applied in its own transaction together with its message id in the inbox, so a
redelivered event changes nothing; the repository's guards keep late events from undoing newer
ones. Nothing is published: the events this read model is built from are the announcement.
"""

from __future__ import annotations

import asyncpg

from ladeplan_contracts.chargepoint import ChargePointsSeen, FirmwareStatusNotified
from ladeplan_contracts.envelope import Envelope
from ladeplan_contracts.events import ChargePointBooted, ChargePointConnected, ChargePointDisconnected
from ladeplan_platform.db import transaction
from ladeplan_platform.outbox import mark_processed
from masterdata import status_repository
from masterdata.domain.model import ChargePointStatus


class StatusProjection:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def status(self, charge_point_id: str) -> ChargePointStatus | None:
        return await status_repository.get(self._pool, charge_point_id)

    async def connected(self, envelope: Envelope[ChargePointConnected]) -> None:
        event = envelope.data
        async with transaction(self._pool, "status_connected") as conn:
            if await mark_processed(conn, envelope.message_id):
                await status_repository.connection_opened(
                    conn,
                    event.charge_point_id,
                    epoch=event.epoch,
                    ocpp_version=event.ocpp_version,
                    node_id=event.node_id,
                    at=envelope.occurred_at,
                )

    async def disconnected(self, envelope: Envelope[ChargePointDisconnected]) -> None:
        event = envelope.data
        async with transaction(self._pool, "status_disconnected") as conn:
            if await mark_processed(conn, envelope.message_id):
                await status_repository.connection_closed(
                    conn, event.charge_point_id, epoch=event.epoch, at=envelope.occurred_at
                )

    async def booted(self, envelope: Envelope[ChargePointBooted]) -> None:
        event = envelope.data
        async with transaction(self._pool, "status_booted") as conn:
            if await mark_processed(conn, envelope.message_id):
                await status_repository.booted(
                    conn,
                    event.charge_point_id,
                    vendor=event.vendor,
                    model=event.model,
                    serial_number=event.serial_number,
                    firmware_version=event.firmware_version,
                    reason=event.reason,
                    at=envelope.occurred_at,
                )

    async def firmware(self, envelope: Envelope[FirmwareStatusNotified]) -> None:
        event = envelope.data
        async with transaction(self._pool, "status_firmware") as conn:
            if await mark_processed(conn, envelope.message_id):
                await status_repository.firmware_status(
                    conn,
                    event.charge_point_id,
                    status=event.status,
                    request_id=event.request_id,
                    at=envelope.occurred_at,
                )

    async def seen(self, envelope: Envelope[ChargePointsSeen]) -> None:
        stamps = [(entry.charge_point_id, entry.last_seen_at) for entry in envelope.data.charge_points]
        async with transaction(self._pool, "status_seen") as conn:
            if await mark_processed(conn, envelope.message_id) and stamps:
                await status_repository.seen(conn, stamps)
