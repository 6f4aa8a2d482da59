"""Keeping the demand and the read models current from the bus, and asking for a replan after each change."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg
import structlog

from ems_adapter import repository as repo
from ladeplan_contracts.envelope import Envelope
from ladeplan_contracts.events import (
    ChargePointBooted,
    ChargePointCreated,
    LocationCreated,
    SessionCompleted,
    SessionEnergyMeasured,
    TransactionEnded,
    TransactionStarted,
)
from ladeplan_contracts.smart_charging import EvChargingNeedsNotified
from ladeplan_platform.db import transaction
from ladeplan_platform.outbox import mark_processed

log = structlog.get_logger("ems_adapter.demand")


class Demand:
    """Each method applies one event in one transaction (deduplicated by message id), then asks
    ``request_replan`` for the location it touched: only after the commit, so the replan sees it."""

    def __init__(self, pool: asyncpg.Pool, request_replan: Callable[[str], None]) -> None:
        self._pool = pool
        self._request_replan = request_replan

    async def location_created(self, envelope: Envelope[Any]) -> None:
        event: LocationCreated = envelope.data
        async with transaction(self._pool, envelope.type) as conn:
            if not await mark_processed(conn, envelope.message_id):
                return
            await repo.upsert_location(conn, event)
        log.info("location.stored", location_id=event.location_id, grid_limit_kw=event.grid_limit_kw)
        self._request_replan(event.location_id)

    async def charge_point_created(self, envelope: Envelope[Any]) -> None:
        event: ChargePointCreated = envelope.data
        async with transaction(self._pool, envelope.type) as conn:
            if not await mark_processed(conn, envelope.message_id):
                return
            await repo.upsert_charge_point(conn, event)
        log.info("charge_point.stored", charge_point_id=event.charge_point_id, location_id=event.location_id)
        self._request_replan(event.location_id)  # one more charge point shares the site cap

    async def charge_point_booted(self, envelope: Envelope[Any]) -> None:
        """A charge point that was offline at the last replan holds no cap yet: replanning sends it one.

        On boot rather than on connection: OCPP has the CSMS send nothing before the BootNotification.
        Nothing is stored (a replan is harmless twice), so no inbox row either.
        """
        event: ChargePointBooted = envelope.data
        async with self._pool.acquire() as conn:
            location_id = await repo.location_of(conn, event.charge_point_id)
        self._changed(location_id, event.charge_point_id, "charge_point.booted")

    async def transaction_started(self, envelope: Envelope[Any]) -> None:
        """An arrival: a new session to plan (with default demand until the EV says more)."""
        event: TransactionStarted = envelope.data
        async with transaction(self._pool, envelope.type) as conn:
            if not await mark_processed(conn, envelope.message_id):
                return
            await repo.insert_session(conn, event)
            location_id = await repo.location_of(conn, event.charge_point_id)
        self._changed(location_id, event.charge_point_id, "session.started")

    async def transaction_ended(self, envelope: Envelope[Any]) -> None:
        """A departure: its capacity goes to the others."""
        event: TransactionEnded = envelope.data
        await self._end(envelope, event.charge_point_id, event.transaction_ref, event.stopped_at)

    async def session_completed(self, envelope: Envelope[Any]) -> None:
        """The same departure as session-manager saw it; ends the session if ``transaction.ended`` was missed."""
        event: SessionCompleted = envelope.data
        await self._end(envelope, event.charge_point_id, event.transaction_ref, event.ended_at)

    async def energy_measured(self, envelope: Envelope[Any]) -> None:
        """What the meter says a running session drew: the next replan counts it instead of its estimate.

        No replan of its own: every running session reports about once a minute, and a measurement
        only corrects the energy still to plan, which the periodic replan (``EMS_REPLAN_INTERVAL_S``)
        or the next event's replan takes up soon enough.
        """
        event: SessionEnergyMeasured = envelope.data
        async with transaction(self._pool, envelope.type) as conn:
            if not await mark_processed(conn, envelope.message_id):
                return
            stored = await repo.store_measured(conn, event.session_id, event.energy_kwh, event.measured_at)
        if not stored:  # unknown here yet, ended, or older than what we hold
            log.info("energy_measured.ignored", session_id=event.session_id, charge_point_id=event.charge_point_id)

    async def charging_needs(self, envelope: Envelope[Any]) -> None:
        """The EV's own energy and departure replace the defaults of its session."""
        event: EvChargingNeedsNotified = envelope.data
        async with transaction(self._pool, envelope.type) as conn:
            if not await mark_processed(conn, envelope.message_id):
                return
            await repo.upsert_needs(conn, event, envelope.occurred_at)
            location_id = await repo.location_of(conn, event.charge_point_id)
        self._changed(location_id, event.charge_point_id, "charging_needs.stored")

    async def _end(self, envelope: Envelope[Any], charge_point_id: str, transaction_ref: str, at: Any) -> None:
        async with transaction(self._pool, envelope.type) as conn:
            if not await mark_processed(conn, envelope.message_id):
                return
            if not await repo.end_session(conn, charge_point_id, transaction_ref, at):
                return  # already ended (transaction.ended and session.completed both arrive)
            location_id = await repo.location_of(conn, charge_point_id)
        self._changed(location_id, charge_point_id, "session.ended")

    def _changed(self, location_id: str | None, charge_point_id: str, what: str) -> None:
        if location_id is None:
            # Not in masterdata's read model (yet): nothing to plan against; kept, planned once it is.
            log.warning(f"{what}.unknown_charge_point", charge_point_id=charge_point_id)
            return
        log.info(what, charge_point_id=charge_point_id, location_id=location_id)
        self._request_replan(location_id)
