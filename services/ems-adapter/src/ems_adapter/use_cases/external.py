"""The demand/plan API for EMSs that plan per vehicle: what each session needs, and their plans accepted.

An accepted plan is stored and the location replanned through the replanner, which turns it into
profiles like any optimiser plan (``sources.py``); so the plan, its ``ems.plan.updated`` and its
profiles follow the same path and never race a concurrent replan of the same location.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

import asyncpg
import structlog

from ems_adapter import repository as repo
from ems_adapter import repository_oscp as store
from ems_adapter.api_models import (
    CapacityLimit,
    ExternalPlanAccepted,
    ExternalPlanBody,
    LocationDemand,
    SessionDemandView,
)
from ems_adapter.config import Settings
from ems_adapter.domain.external_plan import ExternalPlan, PlanRejected, external_location_plan
from ems_adapter.domain.site import demand_of
from ems_adapter.use_cases.planning import delivered_so_far, utc_now
from ems_adapter.use_cases.sources import PlanSources
from ladeplan_platform.db import transaction

log = structlog.get_logger("ems_adapter.external")


class UnknownLocation(LookupError):
    pass


class NotExternal(Exception):
    """The location is not planned by an external EMS (``EMS_MODE`` / ``EMS_MODE_BY_LOCATION``)."""


class ExternalEms:
    def __init__(
        self,
        pool: asyncpg.Pool,
        settings: Settings,
        sources: PlanSources,
        request_replan: Callable[[str], None],
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._pool = pool
        self._settings = settings
        self._sources = sources
        self._request_replan = request_replan
        self._clock = clock

    async def demand(self, location_id: str) -> LocationDemand:
        now = self._clock()
        slot = timedelta(seconds=self._settings.ems_slot_seconds)
        async with self._pool.acquire() as conn:
            location = await repo.load_location(conn, location_id)
            if location is None:
                raise UnknownLocation(location_id)
            planned = await repo.lock_active_sessions(conn, location_id, lock=False)
            previous = await repo.latest_plan(conn, location_id)
            limits = await self._sources.limits(conn, location_id, now)
        views = []
        for item in planned:
            kwh = delivered_so_far(
                previous, item.session.session_id, item.session.delivered_kwh, item.delivered_until,
                item.measured, now,
            )  # fmt: skip
            demand = demand_of(replace(item.session, delivered_kwh=kwh), now, slot=slot)
            session = demand.session
            views.append(
                SessionDemandView(
                    session_id=session.session_id,
                    charge_point_id=session.charge_point_id,
                    evse_id=session.evse_id,
                    transaction_ref=session.transaction_ref,
                    started_at=session.started_at,
                    delivered_kwh=round(kwh, 3),
                    remaining_kwh=round(demand.remaining_kwh, 3),
                    departure_at=demand.departure_at,
                    min_power_kw=round(demand.min_power_kw, 3),
                    max_power_kw=round(demand.max_power_kw, 3),
                    phases=demand.phases,
                    source="ev" if demand.source == "ev" else "default",
                )
            )
        return LocationDemand(
            location_id=location_id,
            mode=self._settings.mode_of(location_id),
            at=now,
            slot_seconds=self._settings.ems_slot_seconds,
            grid_limit_kw=location.grid_limit_kw,
            limits=[CapacityLimit(start=limit.start, end=limit.end, kw=round(limit.kw, 3)) for limit in limits],
            sessions=views,
        )

    async def accept(self, location_id: str, body: ExternalPlanBody) -> ExternalPlanAccepted:
        """Check ``body`` against the location now; store it and ask for a replan, or raise PlanRejected."""
        if self._settings.mode_of(location_id) != "external":
            raise NotExternal(location_id)
        ids = [item.session_id for item in body.sessions]
        twice = sorted({session_id for session_id in ids if ids.count(session_id) > 1})
        if twice:
            raise PlanRejected([f"{session_id}: planned more than once" for session_id in twice])
        plan = ExternalPlan(body.start, body.slot_seconds, {item.session_id: item.power_kw for item in body.sessions})
        now = self._clock()
        async with transaction(self._pool, "ems.external_plan") as conn:
            location = await repo.load_location(conn, location_id)
            if location is None:
                raise UnknownLocation(location_id)
            planned = await repo.lock_active_sessions(conn, location_id)
            external_location_plan(
                plan,
                [item.session for item in planned],
                now,
                grid_limit_kw=location.grid_limit_kw,
                charge_points=len(location.units),
                tariff=self._settings.tariff,
                timezone=location.timezone,
                limits=await self._sources.limits(conn, location_id, now),
                slot_seconds=self._settings.ems_slot_seconds,
            )
            await store.save_external_plan(conn, location_id, plan, now)
        log.info("external_plan.accepted", location_id=location_id, sessions=len(ids), slots=plan.slots)
        self._request_replan(location_id)
        return ExternalPlanAccepted(
            location_id=location_id,
            received_at=now,
            start=plan.start,
            slot_seconds=plan.slot_seconds,
            slots=plan.slots,
            sessions=ids,
        )
