"""Online replanning: the optimiser's plan, made work-conserving unless deferring is known to be safe.

A plan only knows the cars that are already here. Capacity left unused now is lost for good, and
energy deferred to a cheap later slot competes there with cars that have not arrived yet: on an
over-subscribed site, deferring from the 17-20 h peak price to the night cost 2.4% of the energy.
Energy ranks above cost, and an undelivered kWh weighs ``ENERGY_OVER_PRICE`` times the dearest
price, so deferral pays only when the later slots are known to have room.

Without a forecast the planner cannot tell a quiet site from a busy one and serves energy first:
the spare capacity of the current slot goes to the cars with the earliest departures (each gives
the same energy back from its own latest planned slots, or takes more of its request).

With a forecast (``expected``: pseudo-vehicles for the cars expected to arrive, from
``forecast.DemandForecast``; or ``forecast_kw``: power per slot reserved for them outright), the
LP plans the real cars together with the expected ones, so it defers a real car only into
capacity the expected cars leave free. Spare capacity now is then still used where that costs
nothing: energy is pulled forward only from later slots at the same or a higher price, and
energy the plan could not place at all is taken now. Totals per car never rise above the request;
the current slot never exceeds its limit.

Last, no car is left with less than one slot at its minimum power still to charge: no later slot
could deliver such a remainder (a setpoint is 0 or at least the minimum), so it would be lost for
sure. The car finishes now if its maximum and the headroom allow, else it draws that little less
now and leaves a remainder a later slot can deliver; what that frees goes to other cars here
(pulled forward from their own later slots), or a full site would lose it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .compress import solve_compressed
from .minpower import enforce_min_power
from .model import EPS, FloatArray, Plan, SiteProblem, VehicleDemand


def replan(
    problem: SiteProblem,
    *,
    expected: Sequence[VehicleDemand] | None = None,
    forecast_kw: FloatArray | None = None,
) -> Plan:
    """The plan a replan acts on: ``solve_compressed`` plus work conservation now (module doc).

    ``expected`` are the cars expected to arrive (windows on the problem's slots; an empty list
    means none are expected), ``forecast_kw`` the power they are expected to draw per slot, held
    free for them. Neither given: unknown, and the replan is work-conserving.
    """
    forecast = None if expected is None and forecast_kw is None else list(expected or [])
    if forecast is not None and forecast_kw is not None:
        reserved = np.asarray(forecast_kw, dtype=np.float64)
        forecast += [
            VehicleDemand(f"reserved-{t}", t, t + 1, float(reserved[t]) * problem.slot_hours, float(reserved[t]))
            for t in range(1, min(len(reserved), problem.slots))
            if reserved[t] > EPS
        ]
    plan = solve_compressed(problem, expected=forecast or ())
    if not problem.vehicles or problem.slots < 2:
        return plan
    capacity = np.maximum(problem.capacity_kw, 0.0)
    site = plan.site_kw()
    price = problem.price_eur_per_kwh
    # Slots energy may be pulled forward from: any without a forecast, else none cheaper than now.
    donors = np.ones(problem.slots, dtype=bool) if forecast is None else price >= price[0] - EPS
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
        later = float(power[index, 1:][donors[1:]].sum() * dt)
        add = min(headroom, vehicle.max_power_kw - power[index, 0], (unmet + later) / dt)
        if add < max(vehicle.min_power_kw - power[index, 0], EPS):
            continue
        power[index, 0] += add
        headroom -= add
        give_back = max(add * dt - unmet, 0.0)
        for t in range(problem.slots - 1, 0, -1):  # latest first: those slots are the most contested
            if not donors[t]:
                continue
            if give_back <= EPS:
                break
            taken = min(power[index, t] * dt, give_back)
            power[index, t] -= taken / dt
            give_back -= taken
    power = enforce_min_power(problem, power, capacity)
    power = _no_stranded_remainder(problem, power, capacity)
    return Plan(plan.vehicle_ids, power, plan.slot_hours)


def _no_stranded_remainder(problem: SiteProblem, power: FloatArray, capacity: FloatArray) -> FloatArray:
    """Slot 0: finish a car, or leave it at least one minimum slot's energy (module doc)."""
    dt = problem.slot_hours
    headroom = float(capacity[0] - power[:, 0].sum())
    freed = 0.0
    for index, vehicle in enumerate(problem.vehicles):
        now = float(power[index, 0])
        left = vehicle.energy_kwh - now * dt  # what the car still needs after this slot
        floor = vehicle.min_power_kw * dt
        if now <= EPS or left <= EPS or left >= floor - EPS:
            continue
        if now + left / dt <= vehicle.max_power_kw + EPS and left / dt <= headroom + EPS:
            power[index, 0] += left / dt
            power[index, 1:] = 0.0  # done now; what the plan had later was the remainder
            headroom -= left / dt
        elif now - (floor - left) / dt >= vehicle.min_power_kw - EPS:
            power[index, 0] -= (floor - left) / dt
            freed += (floor - left) / dt
    if freed <= EPS:
        return power
    # What the cuts freed would be lost on a busy site: other cars here take it now, from their later slots.
    for index in sorted(range(len(problem.vehicles)), key=lambda i: problem.vehicles[i].end_slot):
        vehicle = problem.vehicles[index]
        now = float(power[index, 0])
        if freed <= EPS:
            break
        if problem.window(vehicle)[0] > 0:
            continue
        add = min(freed, vehicle.max_power_kw - now, vehicle.energy_kwh / dt - now)
        left = vehicle.energy_kwh - (now + add) * dt
        if EPS < left < vehicle.min_power_kw * dt - EPS:
            add -= vehicle.min_power_kw - left / dt
        if add <= EPS or now + add < vehicle.min_power_kw - EPS:
            continue
        power[index, 0] += add
        freed -= add
        excess = float(power[index].sum()) * dt - vehicle.energy_kwh
        for t in range(problem.slots - 1, 0, -1):
            if excess <= EPS:
                break
            taken = min(float(power[index, t]) * dt, excess)
            power[index, t] -= taken / dt
            excess -= taken
    return enforce_min_power(problem, power, capacity)
