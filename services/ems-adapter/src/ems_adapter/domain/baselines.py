"""The reference algorithms the optimiser is measured against: one slot at a time, no look-ahead.

Each takes the vehicles present in a slot and the site's spare capacity and returns a power per
vehicle (kW). None of them knows prices. ``uncontrolled`` is what a site without a backend does
(every car at full power, the limit ignored); the others keep the limit: equal share, earliest
deadline first (EDF) and least laxity first (LLF), as in ACN-Sim. All honour minimum power: a car
that cannot get its minimum gets nothing and leaves the rest to the others.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .model import EPS, FloatArray


@dataclass(frozen=True)
class SlotState:
    """A present vehicle at the start of a slot: what it still needs and until when (in slots)."""

    remaining_kwh: float
    slots_left: int
    max_power_kw: float
    min_power_kw: float = 0.0


Allocation = Callable[[Sequence[SlotState], float, float], FloatArray]


def _ceiling(vehicle: SlotState, slot_hours: float) -> float:
    """The most this vehicle can use in one slot without exceeding its request."""
    return max(0.0, min(vehicle.max_power_kw, vehicle.remaining_kwh / slot_hours))


def uncontrolled(vehicles: Sequence[SlotState], capacity_kw: float, slot_hours: float) -> FloatArray:
    del capacity_kw  # a site without control does not know its limit
    return np.array([_ceiling(vehicle, slot_hours) for vehicle in vehicles])


def equal_share(vehicles: Sequence[SlotState], capacity_kw: float, slot_hours: float) -> FloatArray:
    """Water-filling: the same power for every car, capped at each one's ceiling."""
    ceiling = np.array([_ceiling(vehicle, slot_hours) for vehicle in vehicles])
    minimum = np.array([vehicle.min_power_kw for vehicle in vehicles])
    active = ceiling > EPS
    while True:
        power = _water_fill(ceiling, active, max(capacity_kw, 0.0))
        short = active & (power < minimum - EPS)
        if not short.any():
            return power
        # Drop the cars furthest below their minimum, one at a time, so the others reach theirs.
        active[np.flatnonzero(short)[np.argmax((minimum - power)[short])]] = False


def _water_fill(ceiling: FloatArray, active: np.ndarray, capacity: float) -> FloatArray:
    power = np.zeros(len(ceiling))
    order = [index for index in np.argsort(ceiling) if active[index]]
    left = capacity
    for position, index in enumerate(order):
        level = left / (len(order) - position)
        power[index] = min(ceiling[index], level)
        left -= power[index]
    return power


def _by_priority(vehicles: Sequence[SlotState], capacity_kw: float, slot_hours: float, key: FloatArray) -> FloatArray:
    power = np.zeros(len(vehicles))
    left = max(capacity_kw, 0.0)
    for index in np.argsort(key, kind="stable"):
        grant = min(_ceiling(vehicles[index], slot_hours), left)
        if grant >= max(vehicles[index].min_power_kw, EPS):
            power[index] = grant
            left -= grant
    return power


def earliest_deadline_first(vehicles: Sequence[SlotState], capacity_kw: float, slot_hours: float) -> FloatArray:
    key = np.array([vehicle.slots_left for vehicle in vehicles], dtype=np.float64)
    return _by_priority(vehicles, capacity_kw, slot_hours, key)


def least_laxity_first(vehicles: Sequence[SlotState], capacity_kw: float, slot_hours: float) -> FloatArray:
    """Laxity: slots left minus slots needed at full power."""
    key = np.array(
        [v.slots_left - v.remaining_kwh / max(v.max_power_kw * slot_hours, EPS) for v in vehicles], dtype=np.float64
    )
    return _by_priority(vehicles, capacity_kw, slot_hours, key)


BASELINES: dict[str, Allocation] = {
    "uncontrolled": uncontrolled,
    "equal share": equal_share,
    "EDF": earliest_deadline_first,
    "LLF": least_laxity_first,
}
