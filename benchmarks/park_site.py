"""The PARK site: 200 charge points on a 400 kW connection beside an office, a week of parkers.

Deterministic (fixed seed). Four kinds of parkers arrive as a Poisson process over the time of day,
each kind with its own daily rate, arrival-time, stay and energy distributions (``KINDS``); an
arriving car takes a free charge point or, if all 200 are taken, drives on. Parameters follow
published session statistics rather than what suits the scheduler:

- commuters: workplace data (ACN-Data, Caltech/JPL, Lee et al. 2019) has a sharp 7-9 h arrival
  peak, stays of 8-9 h and a median of about 10 kWh per session;
- short daytime stops: public/visitor sessions of 1-3 h with a few kWh;
- overnight: residents and evening parkers arriving 17-21 h, staying 10-14 h with 10-20 kWh
  (Dutch public-charging data such as ElaadNL's shows this evening plug-in peak);
- multi-day (fleet, travellers): a few a day, 1.5-3 days, 20-40 kWh.

Cars charge at 11 kW on three phases (most common AC on-board charger), some at 7.4 kW on one
phase or at 22 kW. The morning commuter wave asks for several times the connection, so the site
is tight at its peaks, but not every charge point is taken around the clock. Each car declares a
departure that is off by a normal error (sd 45 min, the "departures known only with noise" of the
issue); ``actual`` is when it goes. ``build(days, seed=...)`` with another seed gives an operator's
history of the same site (the forecast in ``park.py`` learns from one).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ems_adapter.domain.model import FloatArray

SLOT_HOURS = 0.25
PER_DAY = 96
CONNECTION_KW = 400.0
CHARGE_POINTS = 200
NOISE_SD_SLOTS = 3.0  # 45 minutes
SEED = 7
HISTORY_SEED = 1007  # the week before, for the forecast: same site, different cars


@dataclass(frozen=True)
class Kind:
    """One kind of parker: arrivals per day (weekday, weekend) per 200 charge points, and how they stay."""

    name: str
    per_day: tuple[float, float]
    arrival_h: tuple[float, float, float, float]  # mean, sd, earliest, latest (normal, clipped)
    stay_h: tuple[float, float, float, float]  # the same for the stay
    energy_kwh: tuple[float, float, float]  # lognormal median, sigma, cap


KINDS = (
    Kind("commuter", (145.0, 15.0), (8.25, 0.9, 6.0, 11.0), (8.75, 1.0, 5.0, 11.0), (10.0, 0.5, 40.0)),
    Kind("short stop", (70.0, 50.0), (13.0, 2.6, 8.0, 19.0), (1.6, 0.7, 0.5, 4.0), (6.0, 0.5, 25.0)),
    Kind("overnight", (50.0, 40.0), (18.75, 1.25, 16.0, 22.5), (12.5, 1.5, 9.0, 16.0), (14.0, 0.45, 50.0)),
    Kind("multi-day", (5.0, 5.0), (13.0, 4.0, 6.0, 21.0), (54.0, 12.0, 36.0, 72.0), (25.0, 0.35, 60.0)),
)
POWER = ((7.4, 1), (11.0, 3), (22.0, 3))  # kW, phases
POWER_SHARE = (0.2, 0.7, 0.1)


@dataclass(frozen=True)
class Session:
    id: str
    arrival: int  # slot the car can first charge in
    departure: int  # slot it is gone at (actual)
    declared: int  # slot it said it would leave at
    energy_kwh: float
    max_power_kw: float
    min_power_kw: float


@dataclass(frozen=True)
class Site:
    slots: int
    capacity_kw: FloatArray  # connection minus base load
    base_kw: FloatArray
    price: FloatArray
    sessions: list[Session]
    turned_away: int = 0  # cars that found every charge point taken


def _base_load(slots: int) -> FloatArray:
    """An office: 60 kW at night and at weekends, up to 180 kW on weekday afternoons."""
    hour = (np.arange(slots) % PER_DAY) * SLOT_HOURS
    weekday = (np.arange(slots) // PER_DAY) % 7 < 5
    office = np.clip(np.sin((hour - 7) / 11 * np.pi), 0, None) * 120
    return np.asarray(60 + np.where(weekday, office, 0.0), dtype=np.float64)


def _price(slots: int) -> FloatArray:
    """Three tiers: 0.18 EUR/kWh 22-6 h, 0.40 at the evening peak 17-20 h, 0.28 otherwise."""
    hour = (np.arange(slots) % PER_DAY) * SLOT_HOURS
    return np.where((hour >= 22) | (hour < 6), 0.18, np.where((hour >= 17) & (hour < 20), 0.40, 0.28))


def _clipped(rng: np.random.Generator, spec: tuple[float, float, float, float], n: int) -> FloatArray:
    mean, sd, low, high = spec
    return np.clip(rng.normal(mean, sd, n), low, high)


def _arrivals(rng: np.random.Generator, days: int, scale: int) -> list[tuple[int, int, float, float, float]]:
    """(arrival slot, stay slots, kWh, max kW, phases) of every car that comes, in arrival order."""
    cars = []
    for day in range(days):
        weekend = day % 7 >= 5
        for kind in KINDS:
            n = int(rng.poisson(kind.per_day[weekend] * scale))
            arrive = _clipped(rng, kind.arrival_h, n)
            stay = _clipped(rng, kind.stay_h, n)
            median, sigma, cap = kind.energy_kwh
            energy = np.minimum(median * np.exp(rng.normal(0.0, sigma, n)), cap)
            power = rng.choice(len(POWER), size=n, p=POWER_SHARE)
            for k in range(n):
                slot = day * PER_DAY + int(arrive[k] / SLOT_HOURS)
                kw, phases = POWER[power[k]]
                cars.append((slot, max(2, int(stay[k] / SLOT_HOURS)), float(energy[k]), kw, float(phases)))
    cars.sort(key=lambda car: car[0])
    return cars


def build(days: int, seed: int = SEED, scale: int = 1) -> Site:
    """The site for ``days`` days; ``scale`` multiplies charge points, arrivals and connection (for timing)."""
    rng = np.random.default_rng(seed)
    slots = days * PER_DAY
    free_at = np.zeros(CHARGE_POINTS * scale, dtype=np.int64)  # slot each charge point is free again
    sessions: list[Session] = []
    turned_away = 0
    for arrival, stay, energy, max_kw, phases in _arrivals(rng, days, scale):
        point = int(np.argmin(free_at))
        if free_at[point] > arrival:
            turned_away += 1
            continue
        departure = arrival + stay
        free_at[point] = departure
        noise = int(np.round(rng.normal(0, NOISE_SD_SLOTS)))
        sessions.append(
            Session(
                id=f"cp{point}-{len(sessions)}",
                arrival=arrival,
                departure=departure,
                declared=max(arrival + 1, departure + noise),
                energy_kwh=round(energy, 2),
                max_power_kw=max_kw,
                min_power_kw=round(6 * 230 * phases / 1000, 2),
            )
        )
    base = _base_load(slots)
    capacity = np.maximum(CONNECTION_KW * scale - base * scale, 0.0)
    return Site(slots, capacity, base * scale, _price(slots), sessions, turned_away)
