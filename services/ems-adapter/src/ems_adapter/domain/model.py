"""Planning problems and plans on a slot grid.

A problem is what one replanning sees: a site's spare capacity per slot (connection limit minus
non-flexible base load), a price per slot and the vehicles with their remaining demand. Windows
are whole slots: a vehicle may draw power in slot ``t`` only if ``first_slot <= t < end_slot``,
so a plan never schedules power while the car is not there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

# Numerical slack for comparisons of kW and kWh after LP solves (HiGHS' feasibility tolerance is 1e-7).
EPS = 1e-6


@dataclass(frozen=True)
class VehicleDemand:
    """What one vehicle still wants: energy by the start of ``end_slot``, within its power range.

    ``min_power_kw`` is the smallest non-zero setpoint (IEC 61851: 6 A per phase); a plan gives
    either 0 or at least this much.
    """

    id: str
    first_slot: int
    end_slot: int
    energy_kwh: float
    max_power_kw: float
    min_power_kw: float = 0.0

    def __post_init__(self) -> None:
        if self.energy_kwh < 0 or self.max_power_kw < 0 or self.min_power_kw < 0:
            raise ValueError(f"vehicle {self.id}: energy and power must not be negative")
        if self.min_power_kw > self.max_power_kw:
            raise ValueError(f"vehicle {self.id}: min power above max power")


@dataclass(frozen=True)
class SiteProblem:
    """One planning run for one site.

    ``capacity_kw`` is what vehicles may draw together in each slot; ``base_load_kw`` is only
    used for the peak objective (the site's peak is base load plus vehicles). ``previous_kw``
    is the last plan per vehicle id on the same grid; among equally good plans the optimiser
    keeps close to it, so profiles are not re-sent for ties.
    """

    slot_hours: float
    capacity_kw: FloatArray
    price_eur_per_kwh: FloatArray
    vehicles: Sequence[VehicleDemand]
    base_load_kw: FloatArray | None = None
    previous_kw: Mapping[str, FloatArray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.slot_hours <= 0:
            raise ValueError("slot length must be positive")
        if len(self.capacity_kw) != len(self.price_eur_per_kwh):
            raise ValueError("capacity and price need one value per slot")
        if self.base_load_kw is not None and len(self.base_load_kw) != len(self.capacity_kw):
            raise ValueError("base load needs one value per slot")

    @property
    def slots(self) -> int:
        return len(self.capacity_kw)

    def window(self, vehicle: VehicleDemand) -> tuple[int, int]:
        """The vehicle's usable slots clipped to the horizon, as a half-open range."""
        first = min(max(vehicle.first_slot, 0), self.slots)
        return first, max(first, min(vehicle.end_slot, self.slots))


@dataclass(frozen=True)
class Plan:
    """Power per vehicle (rows, in problem order) and slot (columns), in kW."""

    vehicle_ids: tuple[str, ...]
    power_kw: FloatArray
    slot_hours: float

    def energy_kwh(self) -> FloatArray:
        """Energy per vehicle over the horizon."""
        return np.asarray(self.power_kw.sum(axis=1) * self.slot_hours, dtype=np.float64)

    def site_kw(self) -> FloatArray:
        """Power drawn by all vehicles together per slot."""
        return np.asarray(self.power_kw.sum(axis=0), dtype=np.float64)

    def row(self, vehicle_id: str) -> FloatArray:
        return np.asarray(self.power_kw[self.vehicle_ids.index(vehicle_id)], dtype=np.float64)


def empty_plan(problem: SiteProblem) -> Plan:
    ids = tuple(vehicle.id for vehicle in problem.vehicles)
    return Plan(ids, np.zeros((len(ids), problem.slots)), problem.slot_hours)


def plan_cost_eur(plan: Plan, price_eur_per_kwh: FloatArray) -> float:
    return float(plan.site_kw() @ price_eur_per_kwh * plan.slot_hours)


def check_plan(problem: SiteProblem, plan: Plan) -> list[str]:
    """Every way ``plan`` breaks ``problem``'s hard rules; empty when the plan is feasible."""
    faults: list[str] = []
    over = np.flatnonzero(plan.site_kw() > problem.capacity_kw + EPS)
    faults += [f"slot {t}: {plan.site_kw()[t]:.3f} kW above the limit {problem.capacity_kw[t]:.3f}" for t in over]
    energy = plan.energy_kwh()
    for index, vehicle in enumerate(problem.vehicles):
        row = plan.power_kw[index]
        first, end = problem.window(vehicle)
        outside = np.concatenate([row[:first], row[end:]])
        if np.any(outside > EPS):
            faults.append(f"{vehicle.id}: power outside its window")
        if np.any(row > vehicle.max_power_kw + EPS):
            faults.append(f"{vehicle.id}: power above its maximum")
        if np.any((row > EPS) & (row < vehicle.min_power_kw - EPS)):
            faults.append(f"{vehicle.id}: a setpoint between 0 and its minimum")
        if energy[index] > vehicle.energy_kwh + EPS:
            faults.append(f"{vehicle.id}: more energy than requested")
    return faults
