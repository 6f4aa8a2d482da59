"""A location's planning problem, built from what the service knows about its sessions.

The service plans each location on a grid of 15-minute slots starting *now* (slot 0 is what the
charge points do until the next replan). A session's demand comes from the EV's charging needs
when it sent them (ISO 15118 / OCPP 2.x NotifyEVChargingNeeds); anything it did not say is filled
with the defaults below, so a 1.6 charge point's session is planned too:

- energy ``DEFAULT_ENERGY_KWH`` (a typical top-up of a workplace or overnight stop),
- departure ``DEFAULT_STAY`` after the start; a car still there after its departure is planned
  ``OVERSTAY_SLOTS`` ahead, replan by replan, until it leaves (a departure still ahead, however
  close, is kept: nothing is planned after it),
- the connector's maximum power (``DEFAULT_POWER_KW`` when masterdata gave none) on
  ``DEFAULT_PHASES`` phases, and the IEC 61851 minimum of 6 A per phase.

The slot length is an operator setting (``EMS_SLOT_SECONDS``, 15 minutes by default): shorter
slots follow arrivals more closely at the price of more replans and profile periods.

A session is *not* clamped by a per-charge-point share of the grid limit: the plan keeps the
limit (the sum over sessions stays within the capacity of every slot), and every charge point's
max profile follows its part of the plan (``caps.py``), so a dense site (200 charge points on
400 kW) still charges the cars it can.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from .capacity import Limit, slot_limits
from .forecast import DemandForecast
from .model import FloatArray, Plan, SiteProblem, VehicleDemand
from .online import replan
from .profiles import NOMINAL_VOLTAGE, site_cap_kw

SLOT = timedelta(minutes=15)
SLOT_SECONDS = int(SLOT.total_seconds())
# Three days at 15-minute slots: multi-day parkers, without planning a week of empty slots. A count
# of slots, not a duration: with shorter slots the LP stays as small and the horizon shrinks.
MAX_SLOTS = 3 * 96
DEFAULT_ENERGY_KWH = 20.0
DEFAULT_STAY = timedelta(hours=8)
DEFAULT_POWER_KW = 11.0
DEFAULT_PHASES = 3
MIN_CURRENT_A = 6.0
OVERSTAY_SLOTS = 4


@dataclass(frozen=True)
class Needs:
    """What the EV said (absent values were not sent)."""

    requested_energy_kwh: float | None = None
    departure_at: datetime | None = None
    min_power_kw: float | None = None
    max_power_kw: float | None = None
    phases: int | None = None


@dataclass(frozen=True)
class ActiveSession:
    session_id: str
    charge_point_id: str
    evse_id: int
    transaction_ref: str
    started_at: datetime
    delivered_kwh: float
    connector_max_kw: float | None
    needs: Needs | None = None


@dataclass(frozen=True)
class Measured:
    """What a session's meter says it drew up to ``at`` (session-manager's ``session.energy.measured``)."""

    kwh: float
    at: datetime


@dataclass(frozen=True)
class SessionDemand:
    """A session's remaining demand as planned: defaults filled in, limits applied."""

    session: ActiveSession
    remaining_kwh: float
    departure_at: datetime
    max_power_kw: float
    min_power_kw: float
    phases: int
    source: str  # "ev" when the EV's needs were used, else "default"


@dataclass(frozen=True)
class LocationPlan:
    start: datetime
    slot_seconds: int
    capacity_kw: FloatArray
    price_eur_per_kwh: FloatArray
    demands: tuple[SessionDemand, ...]
    plan: Plan
    charge_point_cap_kw: float  # each charge point's cap after the plan's horizon (see caps.py)
    # What the caps may draw together after the horizon: the grid limit unless a lower safe value
    # holds for good (an OSCP fallback capacity, ``dispatch.keep_long_term``); inf: the grid limit.
    tail_limit_kw: float = math.inf


def demand_of(
    session: ActiveSession, now: datetime, cap_kw: float | None = None, *, slot: timedelta = SLOT
) -> SessionDemand:
    """The session's demand with the module's defaults for whatever the EV did not say.

    ``cap_kw`` clamps the maximum power for a caller whose charge points hold a fixed cap; the
    built-in planner passes none (its caps follow the plan, see ``caps.py``).
    """
    needs = session.needs or Needs()
    phases = needs.phases or DEFAULT_PHASES
    requested = needs.requested_energy_kwh if needs.requested_energy_kwh is not None else DEFAULT_ENERGY_KWH
    departure = needs.departure_at or session.started_at + DEFAULT_STAY
    if departure <= now:
        # Only a car past its departure is planned OVERSTAY_SLOTS ahead. One still to leave keeps its
        # departure however close: the plan may put a car's energy anywhere in its window (the peak
        # term spreads it to the window's end), so a stretched window plans energy after it left.
        departure = now + OVERSTAY_SLOTS * slot
    connector = session.connector_max_kw if session.connector_max_kw is not None else DEFAULT_POWER_KW
    maximum = min(connector, needs.max_power_kw if needs.max_power_kw is not None else connector)
    if cap_kw is not None:
        maximum = min(maximum, cap_kw)
    minimum = max(needs.min_power_kw or 0.0, MIN_CURRENT_A * phases * NOMINAL_VOLTAGE / 1000)
    if minimum > maximum:  # the car (or its connector) leaves no legal setpoint: plan nothing
        maximum = minimum = 0.0
    return SessionDemand(
        session=session,
        remaining_kwh=max(requested - session.delivered_kwh, 0.0),
        departure_at=departure,
        max_power_kw=maximum,
        min_power_kw=minimum,
        phases=phases,
        source="ev" if session.needs is not None else "default",
    )


@dataclass(frozen=True)
class Tariff:
    """A time-of-use price: ``bands`` of (local hour the price starts, EUR/kWh), repeated daily."""

    bands: tuple[tuple[float, float], ...]

    @classmethod
    def parse(cls, text: str) -> Tariff:
        """``"0:0.18,6:0.28,17:0.40,20:0.28,22:0.18"``: hour from which each price applies."""
        bands = []
        for item in text.split(","):
            hour, _, price = item.strip().partition(":")
            bands.append((float(hour), float(price)))
        if not bands or sorted(bands) != bands or bands[0][0] != 0 or any(not 0 <= h < 24 for h, _ in bands):
            raise ValueError(f"not a time-of-use tariff: {text!r} (hours ascending from 0, below 24)")
        return cls(tuple(bands))

    def price_at(self, local: datetime) -> float:
        hour = local.hour + local.minute / 60
        return next(price for start, price in reversed(self.bands) if start <= hour)


def plan_location(
    grid_limit_kw: float,
    charge_points: int,
    sessions: Sequence[ActiveSession],
    now: datetime,
    tariff: Tariff,
    timezone: str,
    *,
    slot_seconds: int = SLOT_SECONDS,
    limits: Sequence[Limit] = (),
    forecast: DemandForecast | None = None,
) -> LocationPlan:
    """Plan every active session of a location together against its grid limit, on slots of ``slot_seconds``.

    ``limits`` lower the grid limit for a while (an OSCP capacity forecast, see ``capacity.py``).
    ``forecast`` (the site's learned demand, on the same slots) lets the plan defer energy to cheaper
    slots into the room expected arrivals leave free, finishing each car early by as much as cars
    left early in history; without one, or when it does not know the days ahead, the plan is
    work-conserving (``online.replan``).
    """
    if slot_seconds <= 0:
        raise ValueError("slot length must be positive")
    if forecast is not None and forecast.slot_seconds != slot_seconds:
        # Pseudo-vehicles on other slots would be planned on the wrong windows and powers.
        raise ValueError(f"forecast slots of {forecast.slot_seconds} s for a plan on {slot_seconds} s slots")
    slot = timedelta(seconds=slot_seconds)
    demands = tuple(demand_of(session, now, slot=slot) for session in sessions)
    latest = max((demand.departure_at for demand in demands), default=now + slot)
    slots = min(MAX_SLOTS, max(1, math.ceil((latest - now) / slot)))
    zone = ZoneInfo(timezone)
    price = np.array([tariff.price_at((now + k * slot).astimezone(zone)) for k in range(slots)])
    capacity = slot_limits(now, slot, slots, grid_limit_kw, limits)
    vehicles = [
        VehicleDemand(
            id=demand.session.session_id,
            first_slot=0,
            end_slot=_end_slot(demand, now, slot, forecast),
            energy_kwh=demand.remaining_kwh,
            max_power_kw=demand.max_power_kw,
            min_power_kw=demand.min_power_kw,
        )
        for demand in demands
    ]
    problem = SiteProblem(slot_seconds / 3600, capacity, price, vehicles)
    fallback = site_cap_kw(grid_limit_kw, charge_points)
    local_now = now.astimezone(zone).replace(tzinfo=None)  # the forecast knows wall-clock days and hours
    expected = None if forecast is None else forecast.expected_arrivals(local_now, slots)
    return LocationPlan(now, slot_seconds, capacity, price, demands, replan(problem, expected=expected), fallback)


def _end_slot(demand: SessionDemand, now: datetime, slot: timedelta, forecast: DemandForecast | None) -> int:
    """The slot the car's window ends at: its departure, brought forward by what history says of early leavers.

    Only with a forecast: without one the plan is work-conserving and finishes as early as it can
    anyway. A departure the EV declared is shortened by how early cars left their declared time; a
    default one (``DEFAULT_STAY``, a guess) by how early cars that declared nothing left it. At
    least one slot stays, so a car is always planned.
    """
    end = math.floor((demand.departure_at - now) / slot)
    if forecast is not None:
        declared = demand.session.needs is not None and demand.session.needs.departure_at is not None
        end -= forecast.early_departure_slots if declared else forecast.early_default_slots
    return max(1, end)


def delivered_kwh(
    start: datetime, slot_seconds: int, power_kw: Sequence[float], since: datetime, until: datetime
) -> float:
    """Energy a plan (power per slot from ``start``) gives between ``since`` and ``until``."""
    total = 0.0
    for index, power in enumerate(power_kw):
        begin = max(start + timedelta(seconds=index * slot_seconds), since)
        end = min(start + timedelta(seconds=(index + 1) * slot_seconds), until)
        if end > begin:
            total += power * (end - begin).total_seconds() / 3600
    return total
