"""Replanning at scale: the same LP on a coarser problem, expanded back to every vehicle and slot.

An online replan only acts on the next slot, so the far future needs less detail (the usual
receding-horizon practice): slots are merged into blocks, one slot each for the first two hours,
hourly to a day, four-hourly beyond, always cut where the price changes. A block's capacity is the
smallest of its slots, so a plan held flat over a block never breaks a slot's limit; a window is
rounded inwards to block boundaries, so no power is planned while a car may be gone. The next
replan, one slot later, sees the near future in full detail again.

Vehicles with the same window, power range and similar energy (within ``BAND`` of each other)
form one group. A group's power is split between its members in proportion to their energy, so
each member gets the same share of its request (fair), and the split is always feasible if the
group's power stays below ``max_power * group_energy / largest_member_energy``, the bound we give
the LP. That bound costs flexibility only at full power, by at most a factor ``BAND``.

Expected cars (a forecast's pseudo-vehicles, ``expected``) are merged per block window into one
unit each, with windows rounded *outwards*: a forecast has no minimum power and no car to cut
off, and a short stay rounded inwards would vanish and reserve nothing. They take capacity in the
LP at a lower energy weight (``optimiser.EXPECTED_WEIGHT``) and are dropped from the plan.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from .model import FloatArray, Plan, SiteProblem, VehicleDemand, empty_plan
from .optimiser import Units, finish, solve_units

BAND = 1.1
FINE_HOURS, HOURLY_UNTIL_HOURS, COARSE_HOURS = 2.0, 24.0, 4.0


def block_starts(problem: SiteProblem) -> npt.NDArray[np.int64]:
    """First slot of every block; the horizon's end closes the last block."""
    per_hour = max(1, round(1 / problem.slot_hours))
    cuts: set[int] = set(range(min(problem.slots, math.ceil(FINE_HOURS * per_hour))))
    cuts |= set(range(0, min(problem.slots, round(HOURLY_UNTIL_HOURS * per_hour)), per_hour))
    cuts |= set(range(0, problem.slots, round(COARSE_HOURS * per_hour)))
    changes = np.flatnonzero(np.diff(problem.price_eur_per_kwh)) + 1
    cuts |= {int(slot) for slot in changes}
    return np.array(sorted(cuts), dtype=np.int64)


def solve_compressed(
    problem: SiteProblem, *, expected: Sequence[VehicleDemand] = (), time_limit_s: float = 60.0
) -> Plan:
    """A feasible plan for ``problem`` from the coarse problem (see module doc)."""
    if not problem.vehicles or problem.slots == 0:
        return empty_plan(problem)
    starts = block_starts(problem)
    bounds = np.append(starts, problem.slots)
    block_of_slot = np.repeat(np.arange(len(starts)), np.diff(bounds))
    hours = np.diff(bounds) * problem.slot_hours
    capacity = np.minimum.reduceat(np.maximum(problem.capacity_kw, 0.0), starts)
    base = np.zeros(len(starts)) if problem.base_load_kw is None else np.maximum.reduceat(problem.base_load_kw, starts)
    price = np.add.reduceat(problem.price_eur_per_kwh, starts) / np.diff(bounds)

    groups: dict[tuple[int, int, float, float, int], list[int]] = defaultdict(list)
    for index, vehicle in enumerate(problem.vehicles):
        first, end = problem.window(vehicle)
        first_block = int(np.searchsorted(bounds, first, side="left"))  # inwards: round up
        end_block = int(np.searchsorted(bounds, end, side="right")) - 1  # inwards: round down
        if vehicle.energy_kwh <= 0 or end_block <= first_block or vehicle.max_power_kw <= 0:
            continue
        band = math.floor(math.log(vehicle.energy_kwh) / math.log(BAND))
        groups[(first_block, end_block, vehicle.max_power_kw, vehicle.min_power_kw, band)].append(index)

    members = list(groups.values())
    keys = list(groups)
    energy = np.array([problem.vehicles[index].energy_kwh for index in range(len(problem.vehicles))])
    group_energy = np.array([energy[group].sum() for group in members])
    largest = np.array([energy[group].max() for group in members])
    previous = _previous_share(problem, members, bounds, block_of_slot) if problem.previous_kw else None
    forecast = _expected_units(problem, expected, bounds)
    if previous is not None:
        previous = np.vstack([previous, np.zeros((len(forecast), previous.shape[1]))])
    group_max = np.array([key[2] for key in keys]) * group_energy / np.maximum(largest, 1e-12)
    units = Units(
        hours=hours,
        capacity_kw=capacity,
        base_kw=base,
        price=price,
        first=np.array([key[0] for key in keys] + [key[0] for key in forecast], dtype=np.int64),
        end=np.array([key[1] for key in keys] + [key[1] for key in forecast], dtype=np.int64),
        energy_kwh=np.concatenate([group_energy, [value[0] for value in forecast.values()]]),
        max_kw=np.concatenate([group_max, [value[1] for value in forecast.values()]]),
        previous_share=previous,
        expected=np.arange(len(keys) + len(forecast)) >= len(keys),
    )
    group_power = solve_units(units, time_limit_s=time_limit_s)[: len(keys)]

    power = np.zeros((len(problem.vehicles), problem.slots))
    for group, row in zip(members, group_power, strict=True):
        share = energy[group] / energy[group].sum()
        power[group] = share[:, None] * row[block_of_slot][None, :]
    return finish(problem, power)


def _expected_units(
    problem: SiteProblem, expected: Sequence[VehicleDemand], bounds: npt.NDArray[np.int64]
) -> dict[tuple[int, int], tuple[float, float]]:
    """(first block, end block) -> (kWh, kW) of the expected cars with that window, rounded outwards."""
    units: dict[tuple[int, int], tuple[float, float]] = {}
    for vehicle in expected:
        first, end = problem.window(vehicle)
        if vehicle.energy_kwh <= 0 or end <= first or vehicle.max_power_kw <= 0:
            continue
        key = (int(np.searchsorted(bounds, first, side="right")) - 1, int(np.searchsorted(bounds, end, side="left")))
        kwh, kw = units.get(key, (0.0, 0.0))
        units[key] = (kwh + vehicle.energy_kwh, kw + vehicle.max_power_kw)
    return units


def _previous_share(
    problem: SiteProblem, members: list[list[int]], bounds: npt.NDArray[np.int64], block_of_slot: npt.NDArray[np.int64]
) -> FloatArray:
    """Each group's last plan per block as a share of its maximum, for the stickiness tie-breaker."""
    blocks = len(bounds) - 1
    share = np.zeros((len(members), blocks))
    for group_index, group in enumerate(members):
        total = np.zeros(problem.slots)
        for index in group:
            row = problem.previous_kw.get(problem.vehicles[index].id)
            if row is not None and len(row) == problem.slots:
                total += row
        capacity = sum(problem.vehicles[index].max_power_kw for index in group)
        per_block = np.bincount(block_of_slot, weights=total, minlength=blocks) / np.diff(bounds)
        share[group_index] = per_block / max(capacity, 1e-12)
    return share
