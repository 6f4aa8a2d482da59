"""The built-in optimiser: one sparse linear program per site, solved by HiGHS.

Variables are ``x[i, t]``, the power of vehicle ``i`` in slot ``t`` for the slots of its window
only (so the matrix grows with the windows, not vehicles x horizon), plus the site peak ``P``
and the smallest served fraction ``f``. Rows: energy per vehicle (``sum_t x dt <= e``), spare
capacity per slot (``sum_i x <= cap``), the peak (``base + sum_i x <= P``) and the served
fraction (``sum_t x dt >= e f``).

The objective is lexicographic through weights that differ by orders of magnitude, so one solve
does what four sequential solves would: delivered energy (weighted far above any price, so no
saving can buy an undelivered kWh), then cost, then peak and fairness (max-min served share),
and last two tie-breakers that never outweigh a price difference: keep close to the previous plan
(fewer profile re-sends) and prefer earlier slots (robust when a car leaves before it said).

Minimum power (0 or at least ``min``) makes the problem a MIP. We solve the LP relaxation and
repair sub-minimum setpoints afterwards (``minpower.enforce_min_power``): sound (never above a
limit, never above a request), fast at 10,000 vehicles, and it loses at most a fraction of one
slot's minimum energy per affected vehicle, where a MIP with a time limit would lose optimality
guarantees and predictable replanning time.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
import numpy.typing as npt

from .minpower import enforce_min_power
from .model import FloatArray, Plan, SiteProblem, empty_plan

# Energy outranks cost: an extra kWh is worth this many times the dearest price (see module doc).
ENERGY_OVER_PRICE = 100.0
# A kWh for a car that is only expected (forecast) counts half as much as one for a car that is
# here: still 50 times the dearest price, so the plan never defers a real car's energy into
# capacity the expected cars need just to save money, but never sacrifices a real car's kWh to them.
EXPECTED_WEIGHT = 0.5
# Peak, fairness and the tie-breakers, as fractions of the mean cost of one kW for one slot.
PEAK_WEIGHT = 1e-2
FAIRNESS_WEIGHT = 1e-2
STICKINESS_WEIGHT = 1e-3
EARLINESS_WEIGHT = 1e-3


class SolverFailed(RuntimeError):
    """HiGHS ended without an optimal solution (the LP is always feasible: x = 0 is a solution)."""


@dataclass(frozen=True)
class Units:
    """What the LP plans: units (vehicles, or groups of them) over slots of given durations."""

    hours: FloatArray  # per slot
    capacity_kw: FloatArray
    base_kw: FloatArray
    price: FloatArray
    first: npt.NDArray[np.int64]  # per unit, half-open window [first, end)
    end: npt.NDArray[np.int64]
    energy_kwh: FloatArray
    max_kw: FloatArray
    previous_share: FloatArray | None = None  # per unit x slot: last plan / max power
    expected: npt.NDArray[np.bool_] | None = None  # per unit: a forecast, not a car (EXPECTED_WEIGHT, no fairness)


def solve_units(units: Units, *, time_limit_s: float = 60.0) -> FloatArray:
    """Power per unit and slot (kW) maximising the lexicographic objective of the module doc."""
    n, slots = len(units.energy_kwh), len(units.hours)
    lengths = np.maximum(units.end - units.first, 0)
    starts = np.concatenate([[0], np.cumsum(lengths)])
    vehicle = np.repeat(np.arange(n), lengths)
    slot = units.first[vehicle] + (np.arange(starts[-1]) - starts[vehicle])
    cols = len(vehicle)
    if cols == 0:
        return np.zeros((n, slots))
    hours, price, energy, pmax = units.hours, units.price, units.energy_kwh, units.max_kw
    mean_hours = float(hours.mean())
    unit = max(float(np.mean(np.abs(price))), 1e-3) * mean_hours  # mean cost of 1 kW for one slot

    # Objective (maximised) per x column: energy reward - cost + tie-breakers.
    dt = hours[slot]
    reward = np.full(n, ENERGY_OVER_PRICE * max(float(np.max(np.abs(price))), 1e-3))
    real = np.ones(n, dtype=bool) if units.expected is None else ~units.expected
    reward[~real] *= EXPECTED_WEIGHT
    gain = dt * (reward[vehicle] - price[slot])
    gain += EARLINESS_WEIGHT * unit * (1.0 - slot / slots)
    if units.previous_share is not None:
        gain += STICKINESS_WEIGHT * unit * units.previous_share[vehicle, slot]
    fair_weight = FAIRNESS_WEIGHT * unit * max(float(energy[real].sum()) / float(hours.sum()), 1.0)
    # Fairness counts shares of what each unit could take at most, or one short stay would pin f near 0;
    # expected cars are not served by this plan, so they are left out (a zero row bound).
    reachable = np.where(real, np.minimum(energy, np.bincount(vehicle, weights=pmax[vehicle] * dt, minlength=n)), 0.0)

    # Columns: x (cols), P, f. Rows: energy (n), capacity (slots), peak (slots), fairness (n).
    # Each x column has exactly four entries in increasing row order, so CSC is built by stacking.
    index = np.stack([vehicle, n + slot, n + slots + slot, n + 2 * slots + vehicle], axis=1)
    value = np.stack([dt, np.ones(cols), np.ones(cols), dt], axis=1)
    lp = highspy.HighsLp()
    lp.num_col_ = cols + 2
    lp.num_row_ = 2 * n + 2 * slots
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_ = np.concatenate([gain, [-PEAK_WEIGHT * unit, fair_weight]])
    lp.col_lower_ = np.zeros(cols + 2)
    lp.col_upper_ = np.concatenate([pmax[vehicle], [highspy.kHighsInf, 1.0]])
    lp.row_lower_ = np.concatenate([np.full(n + 2 * slots, -highspy.kHighsInf), np.zeros(n)])
    lp.row_upper_ = np.concatenate([energy, np.maximum(units.capacity_kw, 0.0), -units.base_kw, np.full(n, np.inf)])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.concatenate([np.arange(0, 4 * cols + 1, 4), [4 * cols + slots, 4 * cols + slots + n]])
    lp.a_matrix_.index_ = np.concatenate([index.ravel(), n + slots + np.arange(slots), n + 2 * slots + np.arange(n)])
    lp.a_matrix_.value_ = np.concatenate([value.ravel(), -np.ones(slots), -reachable])

    highs = highspy.Highs()  # type: ignore[no-untyped-call]  # highspy ships no stubs
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("time_limit", float(time_limit_s))
    highs.passModel(lp)
    highs.run()
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise SolverFailed(highs.modelStatusToString(highs.getModelStatus()))
    x = np.asarray(highs.getSolution().col_value[:cols], dtype=np.float64)
    power = np.zeros((n, slots))
    power[vehicle, slot] = np.clip(x, 0.0, pmax[vehicle])
    return power


def solve(problem: SiteProblem, *, time_limit_s: float = 60.0) -> Plan:
    """The optimal plan for ``problem`` at full resolution (LP, then minimum power repair)."""
    if not problem.vehicles or problem.slots == 0:
        return empty_plan(problem)
    windows = np.array([problem.window(vehicle) for vehicle in problem.vehicles], dtype=np.int64)
    slots = problem.slots
    previous = None
    if problem.previous_kw:
        previous = np.zeros((len(problem.vehicles), slots))
        for index, vehicle in enumerate(problem.vehicles):
            row = problem.previous_kw.get(vehicle.id)
            if row is not None and len(row) == slots and vehicle.max_power_kw > 0:
                previous[index] = row / vehicle.max_power_kw
    units = Units(
        hours=np.full(slots, problem.slot_hours),
        capacity_kw=np.maximum(problem.capacity_kw, 0.0),
        base_kw=np.zeros(slots) if problem.base_load_kw is None else problem.base_load_kw,
        price=problem.price_eur_per_kwh,
        first=windows[:, 0],
        end=windows[:, 1],
        energy_kwh=np.array([vehicle.energy_kwh for vehicle in problem.vehicles]),
        max_kw=np.array([vehicle.max_power_kw for vehicle in problem.vehicles]),
        previous_share=previous,
    )
    power = solve_units(units, time_limit_s=time_limit_s)
    return finish(problem, power)


def finish(problem: SiteProblem, power: FloatArray) -> Plan:
    """Hold the limits exactly and apply minimum power: the last step of every planner here."""
    capacity = np.maximum(problem.capacity_kw, 0.0)
    energy = np.array([vehicle.energy_kwh for vehicle in problem.vehicles])
    power = _trim_to_limits(problem, power, capacity, energy)
    power = enforce_min_power(problem, power, capacity)
    return Plan(tuple(vehicle.id for vehicle in problem.vehicles), power, problem.slot_hours)


def _trim_to_limits(problem: SiteProblem, power: FloatArray, capacity: FloatArray, energy: FloatArray) -> FloatArray:
    """Remove the solver's tolerance overshoot (~1e-7) so the plan holds the limits exactly."""
    site = power.sum(axis=0)
    over = site > capacity
    if np.any(over):
        power[:, over] *= capacity[over] / site[over]
    delivered = power.sum(axis=1) * problem.slot_hours
    scale = np.where(delivered > energy, energy / np.maximum(delivered, 1e-12), 1.0)
    return np.asarray(power * scale[:, None], dtype=np.float64)
