"""PARK's demand forecast: what an operator would have on file, and nothing from the evaluated future.

The forecast is learned from a week of history generated with another seed (the week before, same
site, different cars). With ``update`` it is re-learned every midnight from that history plus the
days of the run already over: a car that arrived on such a day is known by its arrival, its
requested energy and its stay (its real departure if it has left, else the departure it declared).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from benchmarks.park_site import HISTORY_SEED, PER_DAY, SLOT_HOURS, Session, Site, build
from ems_adapter.domain.forecast import DemandForecast, PastSession, learn
from ems_adapter.domain.model import VehicleDemand

EPOCH = datetime(2026, 1, 5)  # a Monday: slot 0 of every PARK site
HISTORY_DAYS = 7
SLOT = timedelta(hours=SLOT_HOURS)


def _past(session: Session, origin: datetime, stay_slots: int) -> PastSession:
    return PastSession(origin + session.arrival * SLOT, stay_slots * SLOT_HOURS, session.energy_kwh,
                       session.max_power_kw, (session.declared - session.arrival) * SLOT_HOURS)  # fmt: skip


def history(scale: int = 1, *, exact: bool = False) -> list[PastSession]:
    """The week before the run, as the operator recorded it: real and (unless ``exact``) declared departures."""
    origin = EPOCH - timedelta(days=HISTORY_DAYS)
    week = build(HISTORY_DAYS, seed=HISTORY_SEED, scale=scale)
    sessions = [replace(s, declared=s.departure) if exact else s for s in week.sessions]
    return [_past(s, origin, s.departure - s.arrival) for s in sessions]


class Forecaster:
    """Expected arrivals for a replan at slot ``now`` of ``site``, learned as the module doc says."""

    def __init__(self, site: Site, past: list[PastSession], *, update: bool = True) -> None:
        self._site, self._past, self._update = site, past, update
        self._day = -1
        self._forecast: DemandForecast | None = None

    def expected(self, now: int, slots: int) -> list[VehicleDemand] | None:
        return self._learned(now).expected_arrivals(EPOCH + now * SLOT, slots)

    def early_departure_slots(self, now: int) -> int:
        return self._learned(now).early_departure_slots

    def _learned(self, now: int) -> DemandForecast:
        day = now // PER_DAY
        if self._forecast is None or (self._update and day != self._day):
            self._day = day
            self._forecast = learn(self._past + self._seen(day), EPOCH.date() - timedelta(days=HISTORY_DAYS),
                                   (EPOCH + timedelta(days=day if self._update else 0)).date())  # fmt: skip
        return self._forecast

    def _seen(self, day: int) -> list[PastSession]:
        if not self._update:
            return []
        midnight = day * PER_DAY
        return [
            _past(s, EPOCH, (s.departure if s.departure <= midnight else s.declared) - s.arrival)
            for s in self._site.sessions
            if s.arrival < midnight
        ]
