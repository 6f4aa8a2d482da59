"""The site cap: every charge point's max profile follows its part of the plan.

A static cap of grid limit / charge points keeps a site safe, but it starves dense sites (200
charge points on 400 kW leaves 2 kW each, below the 6 A minimum of a three-phase car) and wastes
what the optimiser could give elsewhere. Instead each charge point holds one *scheduled*
charge-point-max profile (1.6 ChargePointMaxProfile on connector 0, 2.x ChargingStationMaxProfile
on EVSE 0, stack level 0, absolute, no duration):

- during the plan's horizon, slot by slot, the power the plan gives the sessions on that charge
  point (0 for a charge point without a session), so the caps of a location add up to at most the
  plan's total, which the LP keeps within the grid limit;
- after the horizon, its last period (no duration: it holds for good) is the equal share
  ``limit / charge points``: if the backend is gone for longer than the plan reaches, every charge
  point falls back to a share and the shares add up to the limit. The same share is what a car
  arriving at an idle charge point during an outage gets once the horizon has passed; until then
  that charge point holds 0, because the plan may have given the whole connection to the others.

Caps of different plans coexist: a charge point keeps a cap that changed too little to be worth a
message, and a replan reaches the charge points one by one. So the sum is checked on what the
charge points *hold* (``site_kw``), over every moment from now on including the tails; a new cap
is rolled out in batches that never exceed the limit in between (``next_batch``). A charge point
that never accepted a cap is counted at the equal share: it is offline or refusing, and gets its
cap when it connects.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from ladeplan_contracts.commands import ChargingProfile, ChargingSchedulePeriod

from .model import FloatArray
from .profiles import NOMINAL_VOLTAGE, SITE_CAP_STACK_LEVEL, Electrical

# kW of slack in the sum of caps: the limits themselves are rounded down to 0.1 A / 0.1 W.
TOLERANCE_KW = 1e-6


def cap_profile(
    profile_id: int,
    start: datetime,
    slot_seconds: int,
    power_kw: Sequence[float],
    fallback_kw: float,
    electrical: Electrical,
) -> ChargingProfile:
    """The scheduled charge-point-max profile: ``power_kw`` per slot from ``start``, then ``fallback_kw`` for good.

    In A, the plan's periods are stated on the phases of ``electrical`` (so a single-phase car is not
    held to a third of its plan), the fallback on three: a limit per phase lets a three-phase car
    draw three times what a single-phase one does, and any car may arrive after the horizon.
    """
    tail = Electrical(unit=electrical.unit, phases=3, voltage=electrical.voltage)
    entries = [(i * slot_seconds, p, electrical) for i, p in enumerate(power_kw)]
    entries.append((len(power_kw) * slot_seconds, fallback_kw, tail))
    periods: list[ChargingSchedulePeriod] = []
    for offset, power, stated in entries:
        limit = stated.limit(power)
        phases = stated.phases if stated.unit == "A" else None
        if not periods or (periods[-1].limit, periods[-1].number_phases) != (limit, phases):
            periods.append(ChargingSchedulePeriod(start_offset_s=offset, limit=limit, number_phases=phases))
    return ChargingProfile(
        id=profile_id,
        stack_level=SITE_CAP_STACK_LEVEL,
        purpose="charge_point_max",
        unit=electrical.unit,
        start=start,
        periods=periods,
    )


@dataclass(frozen=True)
class Steps:
    """A cap in kW as a step function: ``values[i]`` from ``times[i]`` (seconds since the epoch) on."""

    times: FloatArray
    values: FloatArray

    def at(self, moments: FloatArray) -> FloatArray:
        """The cap at each moment; unlimited (inf) before the profile starts."""
        index = np.searchsorted(self.times, moments, side="right") - 1
        return np.where(index >= 0, self.values[np.maximum(index, 0)], np.inf)


def period_kw(profile: ChargingProfile, period: ChargingSchedulePeriod) -> float:
    """A period's limit in kW (A per phase times the phases it names, three when it names none)."""
    if profile.unit == "W":
        return period.limit / 1000
    return period.limit * (period.number_phases or 3) * NOMINAL_VOLTAGE / 1000


def steps(profile: ChargingProfile) -> Steps:
    """The profile as kW over time; a profile with a duration is unlimited after it (the charge point drops it)."""
    values = [period_kw(profile, period) for period in profile.periods]
    if profile.start is None:
        return Steps(np.array([-np.inf]), np.array(values[-1:]))
    origin = profile.start.timestamp()
    times = [origin + period.start_offset_s for period in profile.periods]
    if profile.duration_s is not None:
        times.append(origin + profile.duration_s)
        values.append(np.inf)
    return Steps(np.array(times, dtype=np.float64), np.array(values, dtype=np.float64))


def limit_over_time(start: datetime, slot_seconds: int, capacity_kw: FloatArray, after_kw: float) -> Steps:
    """The limit the caps must keep together: the plan's capacity slot by slot, then ``after_kw`` for good.

    With a capacity forecast (OSCP) a slot's capacity is below the grid limit, and the caps keep it
    too; after the horizon only the grid limit binds (the caps are at their shares by then).
    """
    times = start.timestamp() + slot_seconds * np.arange(len(capacity_kw) + 1, dtype=np.float64)
    return Steps(times, np.append(np.asarray(capacity_kw, dtype=np.float64), after_kw))


def _limit(limit: Steps | float) -> Steps:
    if isinstance(limit, Steps):
        return limit
    return Steps(np.array([-np.inf]), np.array([float(limit)]))


def moments(caps: Iterable[Steps], now: datetime) -> FloatArray:
    """Every moment from ``now`` on where a sum of ``caps`` may change (they are constant in between)."""
    begin = now.timestamp()
    points = [np.array([begin])] + [cap.times[cap.times > begin] for cap in caps]
    return np.unique(np.concatenate(points))


def above(a: FloatArray, b: FloatArray) -> FloatArray:
    """How far ``a`` is above ``b`` at each moment (0 where it is not); inf where only ``a`` is unlimited."""
    return np.subtract(a, b, out=np.zeros(len(a)), where=a > b)


def site_kw(caps: Iterable[Steps], at: FloatArray) -> FloatArray:
    """The sum of ``caps`` at each moment of ``at``."""
    total = np.zeros(len(at))
    for cap in caps:
        total += cap.at(at)
    return total


def within(caps: Sequence[Steps], limit: Steps | float, now: datetime) -> bool:
    """True when the caps add up to at most ``limit`` (kW, or kW over time) at every moment from ``now`` on."""
    bound = _limit(limit)
    at = moments([*caps, bound], now)
    return bool(np.all(site_kw(caps, at) <= bound.at(at) + TOLERANCE_KW))


def lower_envelope(
    held: ChargingProfile, desired: ChargingProfile, now: datetime, electrical: Electrical
) -> ChargingProfile:
    """A profile from ``now`` on that is nowhere above ``held`` nor ``desired`` (an intermediate step).

    Stated on three phases in A: it may outlive the backend, and then any car may plug in.
    """
    electrical = Electrical(unit=electrical.unit, phases=3, voltage=electrical.voltage)
    a, b = steps(held), steps(desired)
    at = moments([a, b], now)
    low = np.minimum(a.at(at), b.at(at))
    phases = 3 if electrical.unit == "A" else None
    origin = now.timestamp()
    periods: list[ChargingSchedulePeriod] = []
    for moment, value in zip(at, low, strict=True):
        # Both are finite from now on unless neither caps (then nothing was promised): hold the smaller.
        limit = electrical.limit(float(value)) if math.isfinite(value) else 0.0
        if periods and periods[-1].limit == limit:
            continue
        # Offsets are whole seconds: a step down starts early, a step up late, so rounding never raises.
        rising = bool(periods) and limit > periods[-1].limit
        offset = math.ceil(moment - origin) if rising else math.floor(moment - origin)
        if periods and offset <= periods[-1].start_offset_s:
            previous = periods.pop()
            limit = min(limit, previous.limit)
            offset = previous.start_offset_s
        periods.append(ChargingSchedulePeriod(start_offset_s=max(offset, 0), limit=limit, number_phases=phases))
    return desired.model_copy(update={"start": now, "duration_s": None, "periods": periods})


def needs_raise(
    held: ChargingProfile | None,
    desired: ChargingProfile,
    now: datetime,
    *,
    lookahead_s: int = 3600,
    relative: float = 0.1,
    absolute_kw: float = 3 * NOMINAL_VOLTAGE / 1000,
) -> bool:
    """True when ``held`` would hold the plan back: somewhere in the next ``lookahead_s`` it is below
    ``desired`` by more than ``relative`` of the larger and ``absolute_kw`` (1 A on three phases).

    A cap *above* the plan costs nothing as long as the caps held keep the limit together (the
    TxProfile carries the plan), so lowering is left to the sum check, and a cap is not re-sent
    just because the plan's horizon, where it falls back to the share, moved.
    """
    if held is None or held.unit != desired.unit:
        return True
    old, new = steps(held), steps(desired)
    at = moments([old, new], now)
    at = at[at < now.timestamp() + lookahead_s]
    old_at, new_at = old.at(at), new.at(at)
    gap = above(new_at, old_at)
    return bool(np.any((gap > absolute_kw) & (gap > relative * np.maximum(old_at, new_at))))


@dataclass(frozen=True)
class CapStep:
    """One cap to send now; ``final`` when it is the desired one (else an intermediate lower envelope)."""

    charge_point_id: str
    profile: ChargingProfile
    final: bool


def next_batch(
    holding: Mapping[str, ChargingProfile | None],
    pending: Mapping[str, ChargingProfile],
    electrical: Mapping[str, Electrical],
    limit: Steps | float,
    fallback_kw: float,
    now: datetime,
) -> list[CapStep]:
    """Caps that may be sent together now without the held caps ever adding up to more than ``limit``.

    ``holding``: what every charge point of the location holds (None: nothing known). Sent together,
    any subset may arrive first, so a batch is safe when the others' held caps plus each member's
    larger of held and new stay within the limit. First every pure decrease (always safe), then
    raises one by one while they fit; when nothing fits, charge points whose new cap is lower
    somewhere get the lower envelope of both first, which frees that room for the others. Empty
    when nothing more can be sent safely (the rest waits for the next replan).
    """
    fallback = Steps(np.array([-np.inf]), np.array([max(fallback_kw, 0.0)]))
    held = {cp: fallback if profile is None else steps(profile) for cp, profile in holding.items()}
    new = {cp: steps(profile) for cp, profile in pending.items()}
    bound = _limit(limit)
    at = moments([*held.values(), *new.values(), bound], now)
    limit_at = bound.at(at)
    held_at = {cp: cap.at(at) for cp, cap in held.items()}
    new_at = {cp: cap.at(at) for cp, cap in new.items()}
    lowering = [cp for cp in sorted(pending) if holding.get(cp) is None or np.all(new_at[cp] <= held_at[cp])]
    if lowering:
        return [CapStep(cp, pending[cp], True) for cp in lowering]
    total = sum(held_at.values(), np.zeros(len(at)))
    batch: list[CapStep] = []
    for cp in sorted(pending):
        raised = total + above(new_at[cp], held_at[cp])
        if np.all(raised <= limit_at + TOLERANCE_KW):
            total = raised
            batch.append(CapStep(cp, pending[cp], True))
    if batch:
        return batch
    return [
        CapStep(cp, lower_envelope(profile, pending[cp], now, electrical[cp]), False)
        for cp in sorted(pending)
        if (profile := holding.get(cp)) is not None and np.any(new_at[cp] < held_at[cp] - TOLERANCE_KW)
    ]
