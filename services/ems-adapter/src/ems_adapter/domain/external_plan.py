"""A plan made by an external EMS, checked against the same hard rules as the built-in optimiser's.

An EMS that plans per vehicle reads each session's demand and sends power per session and slot
(the service's slot length, ``EMS_SLOT_SECONDS``). ladeplan does not trust it: every slot must
stay within the location's limit, every setpoint within the session's maximum (the car's and the
connector's) and outside the forbidden band between 0 and the minimum current (IEC 61851: a car
cannot charge below 6 A, so such a setpoint would mean either nothing or more than planned). A
plan that passes becomes a :class:`LocationPlan` like the optimiser's, so profiles, caps, the
change filter and ``ems.plan.updated`` work the same way.

Energy above the estimated remaining demand and power after the estimated departure are allowed:
both are ladeplan's defaults where the EV said nothing, and the EMS may know better (a full car
stops drawing by itself).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from .capacity import Limit, slot_limits
from .model import EPS, Plan
from .profiles import site_cap_kw
from .site import SLOT_SECONDS, ActiveSession, LocationPlan, Tariff, demand_of

MAX_EXTERNAL_SLOTS = 3 * 96  # the built-in optimiser's horizon in slots


@dataclass(frozen=True)
class ExternalPlan:
    """Power in kW per session id and slot of ``slot_seconds`` from ``start``."""

    start: datetime
    slot_seconds: int
    power_kw: Mapping[str, Sequence[float]]

    @property
    def slots(self) -> int:
        return max((len(row) for row in self.power_kw.values()), default=0)

    def end(self) -> datetime:
        return self.start + timedelta(seconds=self.slot_seconds * self.slots)


class PlanRejected(ValueError):
    """The plan breaks a rule; ``faults`` says every way it does."""

    def __init__(self, faults: list[str]) -> None:
        super().__init__("; ".join(faults))
        self.faults = faults


def shape_faults(plan: ExternalPlan, now: datetime, slot_seconds: int = SLOT_SECONDS) -> list[str]:
    """What makes a plan unusable before its numbers are even looked at (slots must be the service's)."""
    faults: list[str] = []
    if plan.slot_seconds != slot_seconds:
        faults.append(f"slot_seconds must be {slot_seconds}")
    lengths = {len(row) for row in plan.power_kw.values()}
    if len(lengths) > 1:
        faults.append("every session needs the same number of slots")
    if not plan.power_kw or plan.slots == 0:
        faults.append("the plan has no slots")
    elif plan.slots > MAX_EXTERNAL_SLOTS:
        faults.append(f"at most {MAX_EXTERNAL_SLOTS} slots")
    if plan.start > now + timedelta(seconds=slot_seconds):
        faults.append("the plan must start within the next slot")
    elif plan.slots and plan.end() <= now:
        faults.append("the plan is over already")
    for session_id, row in plan.power_kw.items():
        if any(not math.isfinite(value) or value < 0 for value in row):
            faults.append(f"{session_id}: power must be finite and not negative")
    return faults


def _from_now(plan: ExternalPlan, now: datetime) -> tuple[datetime, dict[str, list[float]]]:
    """The plan on slots from the one holding ``now``: past slots dropped, a future start padded with 0 kW.

    Nothing planned before the EMS's start is the safe reading (no power cannot exceed a limit).
    """
    width = plan.slot_seconds
    offset = math.floor((now - plan.start).total_seconds() / width)
    start = plan.start + timedelta(seconds=offset * width)
    if offset >= 0:
        return start, {session: list(row[offset:]) for session, row in plan.power_kw.items()}
    return start, {session: [0.0] * -offset + list(row) for session, row in plan.power_kw.items()}


def external_location_plan(
    plan: ExternalPlan,
    sessions: Sequence[ActiveSession],
    now: datetime,
    *,
    grid_limit_kw: float,
    charge_points: int,
    tariff: Tariff,
    timezone: str,
    limits: Sequence[Limit] = (),
    strict: bool = True,
    slot_seconds: int = SLOT_SECONDS,
) -> LocationPlan:
    """``plan`` as the location's plan from now on; raises :class:`PlanRejected`.

    ``strict`` (on receipt) refuses sessions that are not running here; on a later replan the
    sessions that ended since are dropped, and sessions the EMS has not planned yet get nothing
    until it sends a new plan.
    """
    faults = shape_faults(plan, now, slot_seconds)
    known = {session.session_id for session in sessions}
    if strict:
        faults += [f"{session_id}: no active session at this location" for session_id in plan.power_kw
                   if session_id not in known]  # fmt: skip
    if faults:
        raise PlanRejected(faults)
    start, rows = _from_now(plan, now)
    slots = len(next(iter(rows.values())))
    slot = timedelta(seconds=slot_seconds)
    demands = tuple(demand_of(session, now, slot=slot) for session in sessions)
    power = np.array([rows.get(demand.session.session_id, [0.0] * slots) for demand in demands], dtype=np.float64)
    power = power.reshape(len(demands), slots)
    capacity = slot_limits(start, slot, slots, grid_limit_kw, limits)
    site = power.sum(axis=0)
    faults += [f"slot {t}: {site[t]:.3f} kW above the limit {capacity[t]:.3f} kW"
               for t in np.flatnonzero(site > capacity + EPS)]  # fmt: skip
    for index, demand in enumerate(demands):
        row = power[index]
        session_id = demand.session.session_id
        if np.any(row > demand.max_power_kw + EPS):
            faults.append(f"{session_id}: above its maximum of {demand.max_power_kw:.3f} kW")
        if np.any((row > EPS) & (row < demand.min_power_kw - EPS)):
            faults.append(f"{session_id}: a setpoint between 0 and its minimum of {demand.min_power_kw:.3f} kW")
    if faults:
        raise PlanRejected(faults)
    zone = ZoneInfo(timezone)
    price = np.array([tariff.price_at((start + k * slot).astimezone(zone)) for k in range(slots)])
    located = Plan(tuple(demand.session.session_id for demand in demands), power, slot_seconds / 3600)
    # As the built-in planner: each charge point's cap after the plan's horizon is its share of the limit.
    cap = site_cap_kw(grid_limit_kw, charge_points)
    return LocationPlan(start, slot_seconds, capacity, price, demands, located, cap)
