"""The PARK site: 200 charge points on a 400 kW connection beside an office, a week of parkers.

Deterministic (fixed seed). Four kinds of parkers share the charge points: short daytime stops,
commuters, overnight and multi-day parkers. Each car declares a departure that is off by a normal
error (sd 45 min, the "departures known only with noise" of the issue); ``actual`` is when it goes.
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


def _kind(rng: np.random.Generator, day: int, hour: float) -> tuple[float, float, float] | None:
    """(arrival hour, stay hours, energy kWh) of the next parker at a free charge point, or None."""
    weekday = day % 7 < 5
    pick = rng.random()
    if hour < 9 and weekday and pick < 0.45:  # commuter
        return 7 + rng.random() * 2, 7.5 + rng.random() * 2, 8 + rng.random() * 20
    if 8 <= hour < 17 and pick < 0.55:  # short daytime stop
        return hour + rng.random() * 2, 0.75 + rng.random() * 2.25, 3 + rng.random() * 12
    if 16 <= hour < 22 and pick < 0.5:  # overnight
        return 17 + rng.random() * 4, 10 + rng.random() * 4, 15 + rng.random() * 35
    if pick < 0.04:  # multi-day
        return hour, 36 + rng.random() * 36, 30 + rng.random() * 40
    return None


def build(days: int, seed: int = 7, scale: int = 1) -> Site:
    """The site for ``days`` days; ``scale`` multiplies charge points and connection (for timing)."""
    rng = np.random.default_rng(seed)
    slots = days * PER_DAY
    sessions: list[Session] = []
    power_choices = [(7.4, 1), (11.0, 3), (11.0, 3), (22.0, 3)]
    for point in range(CHARGE_POINTS * scale):
        free = 0
        while free < slots:
            kind = _kind(rng, free // PER_DAY, (free % PER_DAY) * SLOT_HOURS)
            if kind is None:
                free += 2
                continue
            arrive_h, stay_h, energy = kind
            arrival = max(free, int(np.ceil((free // PER_DAY) * PER_DAY + arrive_h / SLOT_HOURS)))
            departure = arrival + max(2, int(stay_h / SLOT_HOURS))
            if arrival >= slots:
                break
            max_kw, phases = power_choices[rng.integers(len(power_choices))]
            noise = int(np.round(rng.normal(0, NOISE_SD_SLOTS)))
            sessions.append(
                Session(
                    id=f"cp{point}-{len(sessions)}",
                    arrival=arrival,
                    departure=departure,
                    declared=max(arrival + 1, departure + noise),
                    energy_kwh=round(float(energy), 2),
                    max_power_kw=max_kw,
                    min_power_kw=round(6 * 230 * phases / 1000, 2),
                )
            )
            free = departure + int(rng.integers(1, 8))
    base = _base_load(slots)
    return Site(slots, np.maximum(CONNECTION_KW * scale - base * scale, 0.0), base * scale, _price(slots), sessions)
