"""Demand of cars that have not arrived yet, learned from the site's past sessions.

A replan only knows the cars that are here. Deferring their energy to a cheap later slot is safe
only if the cars arriving until then leave room, so the planner needs to know what usually comes.
This module learns it from history: for weekdays and weekends separately, per slot of the day and
per class of stay, how many cars arrive on an average day, how much energy they ask for and how
fast they can charge. ``expected_arrivals`` turns that into pseudo-vehicles for the slots ahead,
which ``online.replan(expected=...)`` plans together with the real cars at a lower energy weight
(a kWh for a car that is here outranks one for a car that may come; both outrank any price).

Choices, each for a reason:

- counts are per day of history, so a week of history and a month weigh the same per day;
- arrivals are smoothed over ``SMOOTH_MINUTES`` either side: one week has only a few cars per
  15-minute slot, and a car arriving at 8:10 instead of 8:05 needs the same capacity;
- a class's stay is the lower quartile of its stays (``STAY_QUANTILE``): a pseudo-vehicle that
  stays too long looks more flexible than the cars it stands for, and the planner would defer
  into capacity they need;
- energy and charging power are raised by ``SAFETY`` over the mean: a day's arrivals in the
  busiest hour are a Poisson count of about 25 cars at 200 charge points, one standard deviation
  is a fifth of that;
- no history for a kind of day means "unknown", never "nobody comes": ``expected_arrivals`` then
  returns ``None`` and the replan stays work-conserving;
- cars leave before the departure they declared: a plan that defers to the cheap end of a stay
  loses what a car that leaves early still needed. Where history has declared departures,
  ``early_departure_slots`` is how early the earliest ``EARLY_QUANTILE`` of cars left, and the
  planner should aim to finish that much before the declared time;
- a car that declared nothing is planned with an assumed stay (the service's default of 8 h), which
  is a guess, not a promise: ``early_default_slots`` is the same margin against that assumption,
  so on a site of one-hour stops the planner does not defer a default car's energy for hours;
- the slot length is the planner's (``slot_seconds``), whatever it is: the forecast's slots must be
  the plan's.

Pure: no clock, no I/O; times are the site's local wall-clock times.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

from .model import FloatArray, VehicleDemand

STAY_CLASSES_H = (0.0, 2.0, 4.0, 7.0, 10.0, 16.0, 36.0)  # lower edges; the last class is open
SMOOTH_MINUTES = 30
DAY_SECONDS = 24 * 3600
STAY_QUANTILE = 25.0  # percent
SAFETY = 1.2
EARLY_QUANTILE = 10.0  # percent


@dataclass(frozen=True)
class PastSession:
    """One session from history: when it arrived (local time), how long it stayed, what it asked for."""

    arrival: datetime
    stay_hours: float
    energy_kwh: float
    max_power_kw: float
    declared_stay_hours: float | None = None  # the stay the car announced, when it did
    assumed_stay_hours: float | None = None  # the stay the planner assumed for a car that announced none


@dataclass(frozen=True)
class DemandForecast:
    """Expected arrivals per day type (0 weekday, 1 weekend), slot of day and stay class."""

    slot_seconds: int
    days: tuple[int, int]  # days of history per day type
    energy_kwh: FloatArray  # [day type, slot of day, class]: kWh arriving on an average day
    count: FloatArray  # the same: cars arriving on an average day
    power_kw: FloatArray  # the same: their summed maximum power, kW
    stay_slots: FloatArray  # [day type, class]: representative stay, in slots
    early_departure_slots: int = 0  # how much earlier than declared cars leave (module doc)
    early_default_slots: int = 0  # how much earlier than assumed cars that declared nothing leave

    @property
    def slots_per_day(self) -> int:
        return DAY_SECONDS // self.slot_seconds

    def arriving_kwh(self, weekend: bool) -> FloatArray:
        """Energy (kWh) asked for by the cars arriving in each slot of an average day."""
        return np.asarray(self.energy_kwh[int(weekend)].sum(axis=1), dtype=np.float64)

    def expected_arrivals(self, start: datetime, slots: int, *, safety: float = SAFETY) -> list[VehicleDemand] | None:
        """Pseudo-vehicles for the cars expected to arrive in slots ``1..slots-1`` after ``start``.

        Slot 0 is left out: a car arriving during it is planned at the next replan. A stay that runs
        past the horizon asks only for the share of its energy that falls inside it. ``None`` when a
        slot ahead falls on a kind of day the history does not cover.
        """
        step = timedelta(seconds=self.slot_seconds)
        expected: list[VehicleDemand] = []
        for k in range(1, slots):
            moment = start + k * step
            kind = int(moment.weekday() >= 5)
            if self.days[kind] == 0:
                return None
            of_day = _slot_of_day(moment, self.slot_seconds)
            for c in np.flatnonzero(self.energy_kwh[kind, of_day] > 0.0).tolist():
                stay = max(1, round(float(self.stay_slots[kind, c])))
                end = min(k + stay, slots)
                inside = (end - k) / stay
                expected.append(
                    VehicleDemand(
                        id=f"expected-{k}-{c}",
                        first_slot=k,
                        end_slot=end,
                        energy_kwh=float(self.energy_kwh[kind, of_day, c]) * safety * inside,
                        max_power_kw=float(self.power_kw[kind, of_day, c]) * safety,
                    )
                )
        return expected


def learn(sessions: Iterable[PastSession], since: date, until: date, *, slot_seconds: int = 900) -> DemandForecast:
    """The forecast from the sessions that arrived on days ``since`` up to (not including) ``until``.

    ``slot_seconds`` must divide a day (the service's slots divide an hour).
    """
    if slot_seconds <= 0 or DAY_SECONDS % slot_seconds:
        raise ValueError(f"a slot must divide a day, got {slot_seconds} s")
    per_day = DAY_SECONDS // slot_seconds
    slot_hours = slot_seconds / 3600
    classes = len(STAY_CLASSES_H)
    days = [0, 0]
    for offset in range((until - since).days):
        days[int((since + timedelta(days=offset)).weekday() >= 5)] += 1
    energy = np.zeros((2, per_day, classes))
    count = np.zeros((2, per_day, classes))
    power = np.zeros((2, per_day, classes))
    stays: list[list[list[float]]] = [[[] for _ in range(classes)] for _ in range(2)]
    early: list[float] = []
    early_default: list[float] = []
    for session in sessions:
        if not since <= session.arrival.date() < until:
            continue
        kind = int(session.arrival.weekday() >= 5)
        of_day = _slot_of_day(session.arrival, slot_seconds)
        # bisect, not np.searchsorted: a numpy call per session was a third of learning a month of a large site.
        c = bisect_right(STAY_CLASSES_H, session.stay_hours) - 1
        energy[kind, of_day, c] += session.energy_kwh
        count[kind, of_day, c] += 1
        power[kind, of_day, c] += session.max_power_kw
        stays[kind][c].append(session.stay_hours / slot_hours)
        if session.declared_stay_hours is not None:
            early.append((session.declared_stay_hours - session.stay_hours) / slot_hours)
        elif session.assumed_stay_hours is not None:
            early_default.append((session.assumed_stay_hours - session.stay_hours) / slot_hours)
    scale = np.array([1.0 / max(d, 1) for d in days])[:, None, None]
    width = SMOOTH_MINUTES * 60 // slot_seconds
    stay_slots = np.array(
        [[float(np.percentile(s, STAY_QUANTILE)) if s else 1.0 for s in by_class] for by_class in stays]
    )
    return DemandForecast(
        slot_seconds=slot_seconds,
        days=(days[0], days[1]),
        energy_kwh=_smooth(energy, width) * scale,
        count=_smooth(count, width) * scale,
        power_kw=_smooth(power, width) * scale,
        stay_slots=stay_slots,
        early_departure_slots=_early_slots(early),
        early_default_slots=_early_slots(early_default),
    )


def _early_slots(early: Sequence[float]) -> int:
    """How many slots before the declared (or assumed) departure all but the earliest leavers are gone."""
    return max(0, math.ceil(float(np.percentile(early, 100 - EARLY_QUANTILE)))) if early else 0


def _slot_of_day(moment: datetime, slot_seconds: int) -> int:
    return (moment.hour * 3600 + moment.minute * 60 + moment.second) // slot_seconds


def _smooth(values: FloatArray, width: int) -> FloatArray:
    """Moving average over the slots of the day (axis 1), wrapping around midnight."""
    if width == 0:
        return values
    # Running sums, not one shifted copy per offset: with 5-second slots the window is 721 slots wide.
    per_day = values.shape[1]
    wrapped = np.take(values, np.arange(-width, per_day + width) % per_day, axis=1)
    sums = np.cumsum(np.pad(wrapped, ((0, 0), (1, 0), (0, 0))), axis=1)
    return np.asarray((sums[:, 2 * width + 1 :] - sums[:, : -2 * width - 1]) / (2 * width + 1), dtype=np.float64)
