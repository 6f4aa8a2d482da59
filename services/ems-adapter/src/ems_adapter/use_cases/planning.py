"""Replanning one location: estimate what was delivered, plan, store and announce, send the profiles.

The plan, its ``ems.plan.updated`` outbox row and the delivered-energy estimates commit together;
the profiles go out afterwards (a command waits for the charge point, which must not hold the
transaction open). Only profiles a charge point accepted are recorded as held, so a charge point
that was offline or refused gets them again on the next replan.

Caps go out in batches (``caps.next_batch``): decreases first, then raises while the caps held
stay within the limit, so the site keeps its limit while a replan reaches the charge points one by
one, and a raise that would only be safe once an offline charge point accepted its decrease waits.
TxProfiles follow (they only lower what a cap allows). Then every charge point that accepted all
it was sent is read back (GetCompositeSchedule, ``readback.py``) in the background.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from itertools import groupby
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import asyncpg
import structlog

from ems_adapter import repository as repo
from ems_adapter.domain.capacity import Limit
from ems_adapter.domain.caps import next_batch
from ems_adapter.domain.dispatch import (
    Held,
    Outgoing,
    cap_electrical,
    keep_long_term,
    profiles_to_send,
    site_limit,
)
from ems_adapter.domain.forecast import DemandForecast
from ems_adapter.domain.history import learn_location
from ems_adapter.domain.model import plan_cost_eur
from ems_adapter.domain.profiles import Unit
from ems_adapter.domain.site import (
    SLOT_SECONDS,
    ActiveSession,
    LocationPlan,
    Measured,
    Tariff,
    delivered_kwh,
    plan_location,
)
from ems_adapter.use_cases.readback import ReadBack
from ladeplan_contracts.commands import ChargingProfile, CommandBody, CommandReply, SetChargingProfile
from ladeplan_contracts.ems import PlannedSession, PlanUpdated
from ladeplan_platform.db import transaction
from ladeplan_platform.outbox import add_to_outbox

log = structlog.get_logger("ems_adapter.planning")


class CommandSender(Protocol):
    async def send(self, charge_point_id: str, command: CommandBody, *, timeout_s: float = 30.0) -> CommandReply: ...


class PlanSource(Protocol):
    """Where a location's capacity limits or its whole plan come from besides the optimiser (``sources.py``)."""

    async def limits(self, conn: asyncpg.Connection, location_id: str, now: datetime) -> Sequence[Limit]: ...

    async def external(
        self, conn: asyncpg.Connection, location: repo.Location, sessions: Sequence[ActiveSession], now: datetime
    ) -> LocationPlan | None: ...

    async def long_term_kw(self, conn: asyncpg.Connection, location: repo.Location, now: datetime) -> float | None: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


class Planning:
    def __init__(
        self,
        pool: asyncpg.Pool,
        commands: CommandSender,
        tariff: Tariff,
        *,
        on_commit: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = utc_now,
        command_timeout_s: float = 30.0,
        slot_seconds: int = SLOT_SECONDS,
        sources: PlanSource | None = None,
        forecast_history_days: int = 0,
        readback: ReadBack | None = None,
    ) -> None:
        self._pool = pool
        self._commands = commands
        self._tariff = tariff
        self._on_commit = on_commit
        self._clock = clock
        self._timeout_s = command_timeout_s
        self._slot_seconds = slot_seconds
        self._sources = sources
        self._history_days = forecast_history_days
        self._readback = readback
        # Learned once per local day and location: history changes by a day's sessions, and the
        # query reads a month of them. Kept with the zone, so a cached day is checked without the database.
        self._forecasts: dict[str, tuple[ZoneInfo, date, DemandForecast | None]] = {}

    async def replan(self, location_id: str) -> PlanUpdated | None:
        """Plan ``location_id`` now; None when its location is not known (yet)."""
        now = self._clock()
        # Before the transaction: a day's first replan reads and learns a month of sessions, which
        # must not hold the locks on the location's running sessions that the consumers wait for.
        forecast = await self._forecast(location_id, now)
        async with transaction(self._pool, "ems.replan") as conn:
            location = await repo.load_location(conn, location_id)
            if location is None:
                return None
            planned = await repo.lock_active_sessions(conn, location_id)
            previous = await repo.latest_plan(conn, location_id)
            sessions = []
            for item in planned:
                kwh = delivered_so_far(
                    previous, item.session.session_id, item.session.delivered_kwh, item.delivered_until,
                    item.measured, now,
                )  # fmt: skip
                await repo.set_delivered(conn, item.session.session_id, kwh, now)
                sessions.append(replace(item.session, delivered_kwh=kwh))
            located = None if self._sources is None else await self._sources.external(conn, location, sessions, now)
            if located is None:
                limits = () if self._sources is None else await self._sources.limits(conn, location_id, now)
                # The LP takes ~0.1 s at 1,000 cars: off the event loop, so the API and consumers stay responsive.
                located = await asyncio.to_thread(
                    plan_location, location.grid_limit_kw, len(location.units), sessions, now, self._tariff,
                    location.timezone, slot_seconds=self._slot_seconds, limits=limits, forecast=forecast,
                )  # fmt: skip
            if self._sources is not None:  # the caps' tails keep an OSCP fallback below the grid limit
                safe_kw = await self._sources.long_term_kw(conn, location, now)
                located = keep_long_term(located, safe_kw, len(location.units))
            body = plan_updated(location_id, await repo.next_plan_id(conn), located)
            await repo.save_plan(conn, location_id, body.plan_id, now, body.model_dump_json())
            await add_to_outbox(conn, body)
            held = await repo.held_profiles(conn, list(location.units))
        self._on_commit()
        profile_ids = {item.session.session_id: item.profile_id for item in planned}
        outgoing = profiles_to_send(located, location.units, profile_ids, held, location.grid_limit_kw, now)
        caps = {item.charge_point_id: item.profile for item in outgoing if item.evse_id == 0}
        took: dict[str, bool] = {}  # charge point -> accepted everything this replan sent it
        await self._roll_out_caps(located, location.units, held, caps, location.grid_limit_kw, now, took)
        await self._send([item for item in outgoing if item.evse_id != 0], now, took)
        if self._readback is not None:  # in the background: a replan never waits for a read-back
            self._readback.after_replan(sorted(cp for cp, ok in took.items() if ok), located, location.units)
        log.info("plan.updated", location_id=location_id, plan_id=body.plan_id, sessions=len(sessions),
                 profiles_sent=len(outgoing))  # fmt: skip
        return body

    async def _forecast(self, location_id: str, now: datetime) -> DemandForecast | None:
        """The location's demand forecast for its local today (``domain/history.py``); None when there is none.

        Used by the optimiser only (an external EMS's plan ignores it). A location is learned once it
        has a car to plan: with none there is nothing to defer, and history may still be on its way.
        """
        if self._history_days <= 0:
            return None
        cached = self._forecasts.get(location_id)
        if cached is not None and now.astimezone(cached[0]).date() == cached[1]:
            return cached[2]
        async with self._pool.acquire() as conn:
            timezone = await repo.timezone_if_charging(conn, location_id)
            if timezone is None:
                return None
            # A day more than the window: the window is in local days, and the zone may be ahead of UTC.
            since = now - timedelta(days=self._history_days + 1)
            rows, first = await repo.completed_sessions(conn, location_id, since)
        zone = ZoneInfo(timezone)
        today = now.astimezone(zone).date()
        # Converting and learning a month of a large site's sessions takes a while: off the event loop.
        forecast = await asyncio.to_thread(
            lambda: learn_location(repo.completed(rows), first, timezone, today,
                                   history_days=self._history_days, slot_seconds=self._slot_seconds)
        )  # fmt: skip
        self._forecasts[location_id] = (zone, today, forecast)
        log.info("forecast.learned", location_id=location_id, day=today.isoformat(), sessions=len(rows),
                 known=forecast is not None)  # fmt: skip
        return forecast

    async def _roll_out_caps(
        self,
        located: LocationPlan,
        units: Mapping[str, Unit],
        held: Held,
        pending: dict[str, ChargingProfile],
        limit_kw: float,
        now: datetime,
        took: dict[str, bool],
    ) -> None:
        """Send ``pending`` caps batch by batch, each batch in parallel, never above the limit in between."""
        holding = {cp: held.get((cp, 0, "charge_point_max")) for cp in units}
        electrical = cap_electrical(located, units)
        limit = site_limit(located, limit_kw)
        while pending:
            batch = next_batch(holding, pending, electrical, limit, located.charge_point_cap_kw, now)
            if not batch:
                log.warning("caps.deferred", charge_points=sorted(pending))  # retried on the next replan
                return
            steps = [Outgoing(step.charge_point_id, 0, step.profile) for step in batch]
            accepted = await self._send(steps, now, took)
            for step in batch:
                if step.charge_point_id in accepted:
                    holding[step.charge_point_id] = step.profile
                if step.final or step.charge_point_id not in accepted:
                    del pending[step.charge_point_id]

    async def _send(self, outgoing: list[Outgoing], now: datetime, took: dict[str, bool]) -> set[str]:
        """Per charge point in order, charge points in parallel: one slow one delays no other.

        Returns the charge points that accepted everything sent to them; ``took`` collects that over
        the replan's calls (False once a charge point did not accept one).
        """
        accepted: set[str] = set()

        async def to_charge_point(items: list[Outgoing]) -> None:
            held_all = True
            if self._readback is not None:
                self._readback.sending(items[0].charge_point_id)
            for item in items:
                command = SetChargingProfile(evse_id=item.evse_id, profile=item.profile)
                reply = await self._commands.send(item.charge_point_id, command, timeout_s=self._timeout_s)
                if reply.status != "accepted":
                    log.warning("profile.not_held", charge_point_id=item.charge_point_id, evse_id=item.evse_id,
                                purpose=item.profile.purpose, status=reply.status, detail=reply.detail)  # fmt: skip
                    held_all = False
                    continue
                async with transaction(self._pool, "ems.profile_held") as conn:
                    await repo.record_held(conn, item, now)
            charge_point_id = items[0].charge_point_id
            took[charge_point_id] = took.get(charge_point_id, True) and held_all
            if held_all:
                accepted.add(charge_point_id)

        ordered = sorted(outgoing, key=lambda item: item.charge_point_id)  # stable: each cap stays first
        groups = [list(items) for _, items in groupby(ordered, key=lambda item: item.charge_point_id)]
        await asyncio.gather(*(to_charge_point(items) for items in groups))
        return accepted


def delivered_so_far(
    previous: dict[str, Any] | None,
    session_id: str,
    estimated_kwh: float,
    estimated_until: datetime,
    measured: Measured | None,
    now: datetime,
) -> float:
    """The session's delivered energy now: the meter's figure where one arrived, the plans' estimate on top.

    The previous plan only says what a car was allowed, not what it drew (a car tapering at a
    high state of charge, a charge point ignoring its profile): a new measurement replaces the
    estimate up to its time, and the plan is trusted only from then on. A measurement older
    than the last estimate still replaces it, being the truth up to its time; the plan in force
    before the previous one is gone, so what that one gave between the measurement and the
    previous plan's start is not counted: the car is planned a little more, never left short.
    """
    if measured is None:
        return estimated_kwh + _delivered_since(previous, session_id, estimated_until, now)
    return measured.kwh + _delivered_since(previous, session_id, measured.at, now)


def _delivered_since(previous: dict[str, Any] | None, session_id: str, since: datetime, until: datetime) -> float:
    """What the last plan gave the session since its last estimate (an estimate: a car may draw less)."""
    if previous is None or until <= since:
        return 0.0
    row = next((s for s in previous["sessions"] if s["session_id"] == session_id), None)
    if row is None:
        return 0.0
    start = datetime.fromisoformat(previous["start"])
    given = delivered_kwh(start, previous["slot_seconds"], row["power_kw"], since, until)
    return min(given, float(row["remaining_kwh"]))


def plan_updated(location_id: str, plan_id: int, located: LocationPlan) -> PlanUpdated:
    """The ``ems.plan.updated`` body (and the operator API's answer) for a location plan."""
    plan = located.plan
    return PlanUpdated(
        location_id=location_id,
        plan_id=plan_id,
        start=located.start,
        slot_seconds=located.slot_seconds,
        capacity_kw=[round(float(value), 3) for value in located.capacity_kw],
        price_eur_per_kwh=[float(value) for value in located.price_eur_per_kwh],
        sessions=[
            PlannedSession(
                session_id=demand.session.session_id,
                charge_point_id=demand.session.charge_point_id,
                evse_id=demand.session.evse_id,
                transaction_ref=demand.session.transaction_ref,
                demand_source=demand.source,
                remaining_kwh=round(demand.remaining_kwh, 3),
                departure_at=demand.departure_at,
                # Rounded down: the rounded plan must keep the limit the exact one keeps.
                power_kw=[int(float(value) * 1000) / 1000 for value in row],
            )
            for demand, row in zip(located.demands, plan.power_kw, strict=True)
        ],
        charge_point_cap_kw=round(located.charge_point_cap_kw, 3),
        energy_kwh=round(float(plan.energy_kwh().sum()), 3),
        cost_eur=round(plan_cost_eur(plan, located.price_eur_per_kwh), 4),
    )
