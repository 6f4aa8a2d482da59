"""Online replanning: the optimiser's plan, made work-conserving unless deferring is known to be safe.

A plan only knows the cars that are already here. Capacity left unused now is lost for good, and
energy deferred to a cheap later slot competes there with cars that have not arrived yet: on the
over-subscribed PARK site, deferring from the 17-20 h peak price to the night cost 2.4% of the
energy. Energy ranks above cost, and an undelivered kWh weighs ``ENERGY_OVER_PRICE`` times the
dearest price, so deferral pays only when the later slots are very likely to have room.

So the spare capacity of the current slot goes to the cars with the earliest departures (each gives
the same energy back from its own latest planned slots, or takes more of its request) unless a
forecast of later arrivals (``forecast_kw``, power per slot) shows that, within
``CONGESTION_LOOKAHEAD``, the plan plus the forecast stays below ``CONGESTED`` of every slot's
capacity. Without a forecast the planner cannot tell a quiet site from a busy one and serves energy
first. Totals per car never rise above the request; the current slot never exceeds its limit.
"""

from __future__ import annotations

import numpy as np

from .compress import solve_compressed
from .minpower import enforce_min_power
from .model import EPS, FloatArray, Plan, SiteProblem

CONGESTION_LOOKAHEAD = 48  # slots
CONGESTED = 0.98  # share of a slot's capacity


def replan(problem: SiteProblem, *, forecast_kw: FloatArray | None = None) -> Plan:
    """The plan a replan acts on: ``solve_compressed`` plus work conservation now (module doc).

    ``forecast_kw`` is the power cars that are not here yet are expected to draw per slot of the
    problem (``None``: unknown).
    """
    plan = solve_compressed(problem)
    if not problem.vehicles or problem.slots < 2:
        return plan
    capacity = np.maximum(problem.capacity_kw, 0.0)
    site = plan.site_kw()
    if forecast_kw is not None:
        ahead = slice(1, min(problem.slots, CONGESTION_LOOKAHEAD))
        expected = site[ahead] + np.asarray(forecast_kw, dtype=np.float64)[ahead]
        if not np.any(expected >= CONGESTED * capacity[ahead] - EPS):
            return plan
    power = plan.power_kw.copy()
    dt = problem.slot_hours
    headroom = capacity[0] - site[0]
    planned = power.sum(axis=1) * dt
    order = sorted(range(len(problem.vehicles)), key=lambda index: problem.vehicles[index].end_slot)
    for index in order:
        if headroom <= EPS:
            break
        vehicle = problem.vehicles[index]
        first, end = problem.window(vehicle)
        if first > 0 or end <= 0:  # not here now
            continue
        unmet = max(vehicle.energy_kwh - planned[index], 0.0)
        later = float(power[index, 1:].sum() * dt)
        add = min(headroom, vehicle.max_power_kw - power[index, 0], (unmet + later) / dt)
        if add < max(vehicle.min_power_kw - power[index, 0], EPS):
            continue
        power[index, 0] += add
        headroom -= add
        give_back = max(add * dt - unmet, 0.0)
        for t in range(problem.slots - 1, 0, -1):  # latest first: those slots are the most contested
            if give_back <= EPS:
                break
            taken = min(power[index, t] * dt, give_back)
            power[index, t] -= taken / dt
            give_back -= taken
    power = enforce_min_power(problem, power, capacity)
    return Plan(plan.vehicle_ids, power, plan.slot_hours)
