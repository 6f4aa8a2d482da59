"""Plans become version-neutral OCPP charging profiles (``ladeplan_contracts.commands``).

- A TxProfile per transaction carries the vehicle's plan from now on, one period per run of equal
  setpoints, in W or in A per phase as the charge point accepts.
- A charge-point-max profile caps every charge point at its part of the plan, then at its equal
  share of the connection (``caps.py``), so the site stays under its limit even when the backend
  is gone and TxProfiles expire.
- Limits are rounded down to 0.1: rounding up could exceed a limit that the plan just met.
- A new TxProfile is only sent when the next ``lookahead`` differs noticeably from what the charge
  point already has; the replan every 15 minutes then costs no message when nothing changed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from ladeplan_contracts.commands import ChargingProfile, ChargingSchedulePeriod

Unit = Literal["A", "W"]
NOMINAL_VOLTAGE = 230.0
TX_STACK_LEVEL, SITE_CAP_STACK_LEVEL = 1, 0


@dataclass(frozen=True)
class Electrical:
    """How a charge point wants limits: ``unit`` and the phases the car charges on."""

    unit: Unit = "W"
    phases: int = 3
    voltage: float = NOMINAL_VOLTAGE

    def limit(self, power_kw: float) -> float:
        """A power in the charge point's unit, rounded down to 0.1."""
        value = power_kw * 1000.0 if self.unit == "W" else power_kw * 1000.0 / (self.phases * self.voltage)
        return math.floor(max(value, 0.0) * 10 + 1e-6) / 10


def tx_profile(
    profile_id: int,
    transaction_ref: str,
    start: datetime,
    slot_seconds: int,
    power_kw: Sequence[float],
    electrical: Electrical,
) -> ChargingProfile:
    """The TxProfile for one transaction: ``power_kw`` per slot from ``start`` on."""
    periods: list[ChargingSchedulePeriod] = []
    phases = electrical.phases if electrical.unit == "A" else None
    for index, power in enumerate(power_kw):
        limit = electrical.limit(power)
        if not periods or periods[-1].limit != limit:
            periods.append(
                ChargingSchedulePeriod(start_offset_s=index * slot_seconds, limit=limit, number_phases=phases)
            )
    if not periods:
        periods.append(ChargingSchedulePeriod(start_offset_s=0, limit=0.0, number_phases=phases))
    return ChargingProfile(
        id=profile_id,
        stack_level=TX_STACK_LEVEL,
        purpose="tx",
        transaction_ref=transaction_ref,
        unit=electrical.unit,
        start=start,
        duration_s=max(len(power_kw), 1) * slot_seconds,
        periods=periods,
    )


def site_cap_kw(worst_spare_kw: float, charge_points: int) -> float:
    """Each charge point's equal share of the spare capacity at the connection's worst moment."""
    return max(worst_spare_kw, 0.0) / max(charge_points, 1)


def _value_at(profile: ChargingProfile, at: datetime) -> float:
    """The profile's limit at ``at``; 0 before its start or after its duration (no power planned)."""
    if profile.start is None:
        return profile.periods[-1].limit
    offset = (at - profile.start).total_seconds()
    if offset < 0 or (profile.duration_s is not None and offset >= profile.duration_s):
        return 0.0
    value = profile.periods[0].limit
    for period in profile.periods:
        if period.start_offset_s <= offset:
            value = period.limit
    return value


def _breakpoints(profile: ChargingProfile) -> list[float]:
    """Seconds since the epoch where the profile's limit may change."""
    if profile.start is None:
        return []
    origin = profile.start.timestamp()
    points = [origin + period.start_offset_s for period in profile.periods]
    return [*points, origin + profile.duration_s] if profile.duration_s is not None else points


def significant_change(
    sent: ChargingProfile | None,
    new: ChargingProfile,
    now: datetime,
    *,
    lookahead_s: int = 3600,
    relative: float = 0.1,
    absolute_a: float = 1.0,
) -> bool:
    """True when ``new`` should replace ``sent`` on the charge point.

    Noticeable means: anywhere in ``[now, now + lookahead_s)`` the limits differ by more than
    ``relative`` of the larger and more than ``absolute_a`` (1 A; in W, 1 A on three phases).
    """
    if sent is None or sent.unit != new.unit:
        return True
    floor = absolute_a if new.unit == "A" else absolute_a * 3 * NOMINAL_VOLTAGE
    begin, end = now.timestamp(), now.timestamp() + lookahead_s
    moments = {begin} | {point for point in _breakpoints(sent) + _breakpoints(new) if begin <= point < end}
    for moment in sorted(moments):
        at = datetime.fromtimestamp(moment, tz=now.tzinfo)
        old_value, new_value = _value_at(sent, at), _value_at(new, at)
        difference = abs(old_value - new_value)
        if difference > floor and difference > relative * max(old_value, new_value):
            return True
    return False
