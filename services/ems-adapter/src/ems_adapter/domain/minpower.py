"""Minimum power: a setpoint is 0 or at least the vehicle's minimum (6 A per phase in IEC 61851).

The LP relaxation may leave setpoints between 0 and the minimum, typically when a scarce slot is
shared fairly: ten cars splitting 30 kW get 3 kW each, below every 4.14 kW minimum. Zeroing
them would leave the slot empty; this repair instead walks the slots in time order and, in each,
concentrates the slot's planned total on as few cars as possible:

1. every car's *want* is what the plan gave it up to this slot minus what it got so far (its own
   planned setpoint plus whatever earlier slots could not give it);
2. cars whose want reaches their minimum get it; then cars below their minimum are rounded *up*
   to it, least laxity first, while the slot's budget lasts; the others carry their want on;
3. what is left of the budget goes to the charging cars, least laxity first: first energy the plan
   gives them later (pulled forward), then, if the plan's total for the slot is still not reached,
   more of their request.

The budget is the plan's total for the slot (or, when carried wants exceed it, the slot's
capacity), so slot totals, and with them cost and peak, stay those of the plan wherever the cars
can take them. Energy that no later slot in a car's window could carry is placed last, cheapest
slot first, into any headroom (opening a slot at the minimum, paid for by a slot above it, when
the remainder is below the minimum). Never above a limit, a maximum or a request.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .model import EPS, FloatArray, SiteProblem


def enforce_min_power(problem: SiteProblem, power: FloatArray, capacity: FloatArray) -> FloatArray:
    """``power`` without sub-minimum setpoints, slot totals kept where the cars allow (module doc)."""
    power[power <= EPS] = 0.0
    minimum = np.array([vehicle.min_power_kw for vehicle in problem.vehicles])
    low = (power > 0.0) & (power < minimum[:, None] - EPS)
    if not low.any():
        return power
    start = int(np.flatnonzero(low.any(axis=0))[0])  # slots before it are already valid
    planned = power.copy()
    repaired = _consolidate(problem, planned, capacity, minimum, start)
    _place_remainders(problem, repaired, capacity, planned.sum(axis=1) * problem.slot_hours)
    return repaired


def _consolidate(
    problem: SiteProblem, planned: FloatArray, capacity: FloatArray, minimum: FloatArray, start: int
) -> FloatArray:
    dt = problem.slot_hours
    maximum = np.array([vehicle.max_power_kw for vehicle in problem.vehicles])
    request = np.array([vehicle.energy_kwh for vehicle in problem.vehicles])
    windows = np.array([problem.window(vehicle) for vehicle in problem.vehicles], dtype=np.int64).reshape(-1, 2)
    first, end = windows[:, 0], windows[:, 1]
    cumulative = np.cumsum(planned, axis=1) * dt
    total = cumulative[:, -1]
    out = planned.copy()
    out[:, start:] = 0.0
    delivered = out.sum(axis=1) * dt
    for t in range(start, problem.slots):
        present = (first <= t) & (t < end)
        room = np.where(present, np.minimum(maximum, np.maximum(request - delivered, 0.0) / dt), 0.0)
        room[room < minimum - EPS] = 0.0  # less than a minimum's worth left: not in this slot
        want = np.minimum(np.maximum(cumulative[:, t] - delivered, 0.0) / dt, room)
        want[want <= EPS] = 0.0
        budget = min(float(capacity[t]), max(float(planned[:, t].sum()), float(want.sum())))
        ahead = np.maximum(total - delivered, 0.0) / dt  # the plan's energy still to come, as kW now
        laxity = (end - t) - ahead / np.maximum(maximum, EPS)
        order = np.argsort(laxity, kind="stable")
        grant = np.zeros(len(want))
        # 2. on-plan cars, then sub-minimum wants rounded up to the minimum.
        budget -= _give(grant, order, np.where(want >= minimum - EPS, want, 0.0), minimum, budget)
        rounded = np.where((want > 0.0) & (want < minimum - EPS), minimum, 0.0)
        budget -= _give(grant, order, rounded, rounded, budget, all_or_nothing=True)
        # 3. fill up to the budget: planned energy pulled forward, then new cars, then more request.
        charging = grant > 0.0
        budget -= _give(grant, order, np.where(charging, np.minimum(room, ahead) - grant, 0.0), 0 * minimum, budget)
        opening = ~charging & (np.minimum(room, ahead) >= minimum - EPS)
        budget -= _give(grant, order, np.where(opening, np.minimum(room, ahead), 0.0), minimum, budget)
        _give(grant, order, np.where(grant > 0.0, room - grant, 0.0), 0 * minimum, budget)
        out[:, t] = grant
        delivered += grant * dt
    return out


def _give(
    grant: FloatArray,
    order: npt.NDArray[np.intp],
    amount: FloatArray,
    floor: FloatArray,
    budget: float,
    *,
    all_or_nothing: bool = False,
) -> float:
    """Add ``amount`` to ``grant`` in ``order`` while ``budget`` lasts; return what was added.

    A car gets its amount in full, or (unless ``all_or_nothing``) what is left of the budget, but
    never less than its ``floor``; a car that cannot reach its floor is skipped.
    """
    ranked = order[amount[order] > EPS]
    if ranked.size == 0 or budget <= EPS:
        return 0.0
    wanted = amount[ranked]
    before = np.cumsum(wanted) - wanted
    given = np.minimum(wanted, np.maximum(budget - before, 0.0))
    if all_or_nothing:
        given[given < wanted - EPS] = 0.0
    given[given < floor[ranked] - EPS] = 0.0
    # Skipped cars leave budget behind; the next car that can use it at its floor takes it.
    left = budget - float(given.sum())
    for position in np.flatnonzero(given <= 0.0).tolist():
        if left <= EPS:
            break
        take = min(float(wanted[position]), left)
        if take >= float(floor[ranked[position]]) - EPS and (not all_or_nothing or take >= wanted[position] - EPS):
            given[position] = take
            left -= take
    grant[ranked] += given
    return float(given.sum())


def _place_remainders(problem: SiteProblem, power: FloatArray, capacity: FloatArray, planned: FloatArray) -> None:
    """Energy the plan gave a car that the time-ordered pass could not: into headroom, cheapest first."""
    dt = problem.slot_hours
    short = planned - power.sum(axis=1) * dt
    site = power.sum(axis=0)
    order = np.lexsort((np.arange(problem.slots), problem.price_eur_per_kwh))  # cheapest, then earliest
    for index in np.flatnonzero(short > EPS).tolist():
        vehicle = problem.vehicles[index]
        row = power[index]
        wanted_kw = min(float(short[index]), vehicle.energy_kwh - float(row.sum()) * dt) / dt
        first, end = problem.window(vehicle)
        slots = [int(t) for t in order if first <= t < end]
        wanted_kw = _top_up(row, site, capacity, slots, vehicle.min_power_kw, vehicle.max_power_kw, wanted_kw)
        if EPS < wanted_kw < vehicle.min_power_kw - EPS:  # larger remainders found no headroom at all
            _open_slot_by_moving(row, site, capacity, slots, vehicle.min_power_kw, wanted_kw)


def _top_up(row: FloatArray, site: FloatArray, capacity: FloatArray, slots: list[int], low: float, high: float,
            wanted_kw: float) -> float:  # fmt: skip
    """Add ``wanted_kw`` (as kW for one slot) to slots; return what is left."""
    for t in slots:
        if wanted_kw <= EPS:
            break
        add = min(high - row[t], capacity[t] - site[t], wanted_kw)
        if row[t] <= EPS and add < low - EPS:
            continue  # a fresh slot must start at the minimum
        if add > EPS:
            row[t] += add
            site[t] += add
            wanted_kw -= add
    return max(wanted_kw, 0.0)


def _open_slot_by_moving(row: FloatArray, site: FloatArray, capacity: FloatArray, slots: list[int], low: float,
                         wanted_kw: float) -> None:  # fmt: skip
    """Place a remainder below the minimum: open a slot at the minimum, paid for by a slot above it.

    The new slot gets ``low``; ``low - wanted_kw`` is taken from a slot that stays at or above
    ``low``, so the total rises by exactly ``wanted_kw``.
    """
    shift = low - wanted_kw
    donors = [t for t in slots if row[t] - shift >= low - EPS and row[t] > EPS]
    for t in slots:
        if row[t] > EPS or capacity[t] - site[t] < low - EPS:
            continue
        donor = next((d for d in reversed(donors) if d != t), None)  # dearest donor gives
        if donor is None:
            return
        row[donor] -= shift
        site[donor] -= shift
        row[t] = low
        site[t] += low
        return
