"""Reading back what a charge point will do: its composite schedule against the profiles we installed.

A charge point that answers ``accepted`` may still not follow a profile: it may ignore it, stack it
wrongly, or hold a local profile of its own below or above ours. OCPP's GetCompositeSchedule (1.6
§5.7, 2.x K08) reports the limit the charge point itself computed from everything it holds. For
EVSE 0 that is its charge-point-max profile alone; for an EVSE with a transaction the smaller of
that and the transaction's TxProfile. We compare it with the same combination of what we recorded
as held, over the next plan periods, in kW: limits are sent rounded down to 0.1 of the unit, and a
charge point may state a limit in A on other phases than we did, so a difference up to 0.1 A on
three phases (69 W) is rounding. A difference shorter than ``JITTER_S`` is a period boundary the
charge point placed on its own clock or whole seconds, not a different schedule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import numpy as np

from ladeplan_contracts.commands import ChargingProfile

from .caps import Steps, steps
from .profiles import NOMINAL_VOLTAGE

Verdict = Literal["verified", "mismatch", "not_verified"]
ROUNDING_KW = 0.1 * 3 * NOMINAL_VOLTAGE / 1000 + 1e-6  # 0.1 A on three phases
JITTER_S = 1.0
READBACK_SLOTS = 4  # how many plan periods ahead are compared (capped by the plan's horizon)


@dataclass(frozen=True)
class Reported:
    """A composite schedule as the charge point reported it: kW from ``start`` on, per period."""

    start: datetime
    duration_s: float
    offsets_s: tuple[float, ...]
    kw: tuple[float, ...]


@dataclass(frozen=True)
class Difference:
    """Where the reported schedule differs most from what we installed, in kW (reported minus ours)."""

    evse_id: int
    at: datetime
    expected_kw: float
    reported_kw: float

    @property
    def kw(self) -> float:
        return self.reported_kw - self.expected_kw


def _datetime(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def reported_schedule(response: Mapping[str, Any], asked_at: datetime) -> Reported | None:
    """The composite schedule of a GetCompositeSchedule answer (snake_case, 1.6 or 2.x); None when it has none.

    1.6 puts ``schedule_start`` beside a ``charging_schedule``; 2.x puts a ``schedule`` with its own
    ``schedule_start``. A 1.6 schedule without a start is taken to begin when we asked. A period
    without a limit (2.1 allows a setpoint-only period) cannot be compared: None.
    """
    if "schedule" in response and isinstance(response["schedule"], Mapping):
        schedule = response["schedule"]
        start = _datetime(schedule.get("schedule_start"))
    elif isinstance(response.get("charging_schedule"), Mapping):
        schedule = response["charging_schedule"]
        start = _datetime(response.get("schedule_start")) or _datetime(schedule.get("start_schedule"))
    else:
        return None
    unit = schedule.get("charging_rate_unit")
    periods = schedule.get("charging_schedule_period") or []
    if unit not in ("A", "W") or not periods or any(period.get("limit") is None for period in periods):
        return None
    ordered = sorted(periods, key=lambda period: float(period.get("start_period", 0)))
    offsets, kw = [], []
    for period in ordered:
        limit = float(period["limit"])
        phases = int(period.get("number_phases") or 3)
        offsets.append(float(period.get("start_period", 0)))
        kw.append(limit / 1000 if unit == "W" else limit * phases * NOMINAL_VOLTAGE / 1000)
    duration = schedule.get("duration")
    return Reported(
        start=start or asked_at,
        duration_s=float(duration) if duration is not None else float("inf"),
        offsets_s=tuple(offsets),
        kw=tuple(kw),
    )


def installed(cap: ChargingProfile, tx: ChargingProfile | None) -> Steps:
    """What we installed on an EVSE as kW over time: the cap, and the smaller of cap and TxProfile where it runs."""
    ours = steps(cap)
    if tx is None:
        return ours
    theirs = steps(tx)
    times = np.unique(np.concatenate([ours.times, theirs.times]))
    times = times[np.isfinite(times)]
    return Steps(times, np.minimum(ours.at(times), theirs.at(times)))


def compare(evse_id: int, expected: Steps, reported: Reported, window_s: float) -> Difference | None:
    """The largest difference beyond rounding that lasts longer than ``JITTER_S`` in the first ``window_s``."""
    origin = reported.start.timestamp()
    end = origin + min(window_s, reported.duration_s)
    rep = Steps(origin + np.array(reported.offsets_s, dtype=np.float64), np.array(reported.kw, dtype=np.float64))
    points = np.concatenate([[origin, end], rep.times, expected.times])
    points = np.unique(points[(points >= origin) & (points <= end)])
    if len(points) < 2:
        return None
    lengths = np.diff(points)
    middles = points[:-1] + lengths / 2
    # Before its first period a reported schedule says nothing (inf), and neither does ours before its start.
    rep_at, exp_at = rep.at(middles), expected.at(middles)
    known = np.isfinite(rep_at) & np.isfinite(exp_at) & (lengths > JITTER_S)
    gaps = np.where(known, np.abs(rep_at - exp_at), 0.0)
    worst = int(np.argmax(gaps))
    if gaps[worst] <= ROUNDING_KW:
        return None
    at = reported.start + timedelta(seconds=float(middles[worst] - origin))
    return Difference(evse_id, at, float(exp_at[worst]), float(rep_at[worst]))


@dataclass(frozen=True)
class Check:
    """One EVSE's read-back: the answer's status, its schedule (if any) and what we installed there."""

    evse_id: int
    status: str
    reported: Reported | None
    expected: Steps


def verdict(checks: Sequence[Check], window_s: float) -> tuple[Verdict, Difference | None]:
    """``mismatch`` when any reported schedule differs from ours (the largest difference), else
    ``verified`` when every EVSE answered with a schedule, else ``not_verified`` (unsupported,
    rejected, offline, timed out, or a schedule we cannot read)."""
    differences = [
        difference
        for check in checks
        if check.reported is not None
        and (difference := compare(check.evse_id, check.expected, check.reported, window_s)) is not None
    ]
    if differences:
        return "mismatch", max(differences, key=lambda d: abs(d.kw))
    if checks and all(check.status == "accepted" and check.reported is not None for check in checks):
        return "verified", None
    return "not_verified", None


def window_s(slot_seconds: int, horizon_slots: int) -> int:
    """How far ahead a read-back compares: the next ``READBACK_SLOTS`` plan periods, within the plan."""
    return slot_seconds * max(1, min(READBACK_SLOTS, horizon_slots))
