"""A location's demand forecast from the sessions the service saw end there (``forecast.learn``).

The service keeps, per completed session, when it started and ended, the energy the plans gave it
(an estimate: no meter values are consumed) and the connector's power; an EV's charging needs are
kept only as the latest per EVSE, so the requested energy and declared departure are known only
for the sessions that still have theirs. Each becomes a ``PastSession`` in the site's local time:

- energy: what the EV asked for when known (a congested day delivered less than was wanted, and
  the forecast stands for demand), else the delivered estimate;
- maximum power: the connector's (``DEFAULT_POWER_KW`` when masterdata gave none), lowered to the
  EV's when it said;
- the declared stay when the EV declared a departure, else the stay the planner assumed
  (``DEFAULT_STAY``), so early departures against either are learned apart.

History begins the day after the first session the service saw at the location: days before it
would count as days nobody came, and the planner would defer into room that is not there; the
day it began is partial for the same reason. A forecast needs ``MIN_HISTORY_DAYS`` full days (a
week: every day of the week seen once; one quiet Monday says little about a Tuesday), or all
of ``EMS_FORECAST_HISTORY_DAYS`` when that is shorter; before that there is none.

Pure: no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from .forecast import DemandForecast, PastSession, learn
from .site import DEFAULT_POWER_KW, DEFAULT_STAY

HOUR = timedelta(hours=1)
MIN_HISTORY_DAYS = 7


@dataclass(frozen=True)
class CompletedSession:
    """A session that ended at the location, as the ``ems`` schema has it (times are aware)."""

    started_at: datetime
    ended_at: datetime
    delivered_kwh: float
    connector_max_kw: float | None
    requested_energy_kwh: float | None = None
    declared_departure_at: datetime | None = None
    ev_max_power_kw: float | None = None


def past_session(session: CompletedSession, zone: ZoneInfo) -> PastSession:
    """One completed session as the forecast learns from it (module doc)."""
    power = session.connector_max_kw if session.connector_max_kw is not None else DEFAULT_POWER_KW
    if session.ev_max_power_kw is not None:
        power = min(power, session.ev_max_power_kw)
    energy = session.requested_energy_kwh if session.requested_energy_kwh is not None else session.delivered_kwh
    declared = session.declared_departure_at
    return PastSession(
        arrival=session.started_at.astimezone(zone).replace(tzinfo=None),
        stay_hours=max((session.ended_at - session.started_at) / HOUR, 0.0),
        energy_kwh=energy,
        max_power_kw=power,
        declared_stay_hours=None if declared is None else (declared - session.started_at) / HOUR,
        assumed_stay_hours=DEFAULT_STAY / HOUR if declared is None else None,
    )


def history_window(today: date, history_days: int, first_started_local: date | None) -> tuple[date, date] | None:
    """The days to learn from, ``since`` up to (not including) ``today``; None when there are too few (module doc)."""
    if history_days <= 0 or first_started_local is None:
        return None
    since = max(today - timedelta(days=history_days), first_started_local + timedelta(days=1))
    return (since, today) if (today - since).days >= min(MIN_HISTORY_DAYS, history_days) else None


def learn_location(
    sessions: Iterable[CompletedSession],
    first_started_at: datetime | None,
    timezone: str,
    today: date,
    *,
    history_days: int,
    slot_seconds: int,
) -> DemandForecast | None:
    """The location's forecast on the plan's slots, from the full days of history before ``today`` (local).

    ``first_started_at`` is the start of the first session the service saw at the location at all.
    None when history is disabled (``history_days`` 0) or too short (module doc).
    """
    zone = ZoneInfo(timezone)
    first = None if first_started_at is None else first_started_at.astimezone(zone).date()
    window = history_window(today, history_days, first)
    if window is None:
        return None
    since, until = window
    return learn((past_session(s, zone) for s in sessions), since, until, slot_seconds=slot_seconds)
