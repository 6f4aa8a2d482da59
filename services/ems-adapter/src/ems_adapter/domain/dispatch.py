"""Which charging profiles a location plan sends, and to whom.

Every charge point of the location gets its scheduled charge-point-max cap (EVSE 0, ``caps.py``)
when it holds none, when the cap it holds would hold its plan back noticeably in the next hour
(``caps.needs_raise``), or when the caps held would otherwise add up to more than the grid limit
at some moment (then the charge points whose held cap is furthest above their new one get the new
one, until the sum fits). A cap above the plan is harmless while the sum fits: the TxProfile
carries the plan, so a replan that only lowers or shifts a car's plan costs no cap message.

Every planned session gets its TxProfile when it holds none for its transaction or the plan
changed noticeably in the next hour. A profile that was not accepted is not recorded as held, so
the next replan tries again. Caps go out in safe batches (``caps.next_batch``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np

from ladeplan_contracts.commands import ChargingProfile

from .caps import TOLERANCE_KW, Steps, above, cap_profile, limit_over_time, moments, needs_raise, site_kw, steps
from .profiles import Electrical, Unit, significant_change, site_cap_kw, tx_profile
from .site import LocationPlan

SITE_CAP_PROFILE_ID = 1  # one cap per charge point; a new one replaces it (same id)
Held = Mapping[tuple[str, int, str], ChargingProfile]  # (charge point, evse, purpose) -> profile


@dataclass(frozen=True)
class Outgoing:
    charge_point_id: str
    evse_id: int
    profile: ChargingProfile


def cap_electrical(located: LocationPlan, units: Mapping[str, Unit]) -> dict[str, Electrical]:
    """How each charge point's cap is stated: its unit; in A, on the phases of its only session (else 3)."""
    phases: dict[str, set[int]] = {}
    for demand in located.demands:
        phases.setdefault(demand.session.charge_point_id, set()).add(demand.phases)
    return {
        cp: Electrical(unit=unit, phases=next(iter(phases[cp])) if len(phases.get(cp, ())) == 1 else 3)
        for cp, unit in units.items()
    }


def desired_caps(located: LocationPlan, units: Mapping[str, Unit]) -> dict[str, ChargingProfile]:
    """Each charge point's scheduled cap for ``located``: its sessions' planned power, then the equal share."""
    power = {cp: np.zeros(located.plan.power_kw.shape[1]) for cp in units}
    for demand, row in zip(located.demands, located.plan.power_kw, strict=True):
        if demand.session.charge_point_id in power:
            power[demand.session.charge_point_id] += row
    electrical = cap_electrical(located, units)
    return {
        cp: cap_profile(
            SITE_CAP_PROFILE_ID,
            located.start,
            located.slot_seconds,
            [float(value) for value in power[cp]],
            located.charge_point_cap_kw,
            electrical[cp],
        )
        for cp in sorted(units)
    }


def site_limit(located: LocationPlan, grid_limit_kw: float) -> Steps:
    """What the caps of ``located``'s location must keep together: its capacity per slot, then the grid limit
    (or the lower safe value ``keep_long_term`` set)."""
    after = min(grid_limit_kw, located.tail_limit_kw)
    return limit_over_time(located.start, located.slot_seconds, located.capacity_kw, after)


def keep_long_term(located: LocationPlan, safe_kw: float | None, charge_points: int) -> LocationPlan:
    """``located`` with its caps' tail at an equal share of ``safe_kw`` when that is below what it has.

    The tail is what the charge points keep once the plan's horizon has passed, i.e. during a
    backend outage longer than the plan: an OSCP provider's fallback capacity is what the DSO
    allows then, so a tail of grid limit / charge points could exceed it. None: nothing lower holds.
    """
    if safe_kw is None:
        return located
    share = site_cap_kw(safe_kw, charge_points)
    if share >= located.charge_point_cap_kw:  # at or above the grid limit's share: the grid limit binds
        return located
    return replace(
        located,
        charge_point_cap_kw=min(share, located.charge_point_cap_kw),
        tail_limit_kw=min(max(safe_kw, 0.0), located.tail_limit_kw),
    )


def caps_to_send(
    located: LocationPlan,
    units: Mapping[str, Unit],
    held: Held,
    limit_kw: float,
    now: datetime | None = None,
) -> dict[str, ChargingProfile]:
    """The new caps worth sending (module doc); the rest keep what they hold.

    ``limit_kw`` is the grid limit; within the plan's horizon its capacity per slot binds. The
    caps are judged from ``now`` on (default: the plan's start; an external plan may start earlier).
    """
    now = now or located.start
    limit = site_limit(located, limit_kw)
    desired = desired_caps(located, units)
    holding = {cp: held.get((cp, 0, "charge_point_max")) for cp in desired}
    send = {cp: cap for cp, cap in desired.items() if needs_raise(holding[cp], cap, now)}
    kept = {cp: steps(profile) for cp, profile in holding.items() if cp not in send and profile is not None}
    at = moments([*kept.values(), *(steps(cap) for cap in desired.values()), limit], now)
    limit_at = limit.at(at)
    # A cap may be unlimited (inf) somewhere, e.g. before its start: sums are taken afresh, not by
    # subtracting, so inf never meets inf.
    rows = {cp: cap.at(at) for cp, cap in kept.items()}
    rest = site_kw([steps(cap) for cap in send.values()], at)
    wanted = {cp: steps(desired[cp]).at(at) for cp in kept}
    excess = {cp: float(np.max(above(rows[cp], wanted[cp]), initial=0.0)) for cp in kept}
    # Too much held: lower the caps that hold the most above their new value first, until it fits.
    for cp in sorted(kept, key=lambda cp: (-excess[cp], cp)):
        fits = np.all(rest + sum(rows.values(), np.zeros(len(at))) <= limit_at + TOLERANCE_KW)
        if fits or excess[cp] <= TOLERANCE_KW:
            break
        rows[cp] = wanted[cp]
        send[cp] = desired[cp]
    return dict(sorted(send.items()))


def profiles_to_send(
    located: LocationPlan,
    units: Mapping[str, Unit],
    profile_ids: Mapping[str, int],
    held: Held,
    limit_kw: float,
    now: datetime | None = None,
) -> list[Outgoing]:
    """The profiles to send after ``located`` was planned; ``units`` per charge point of the location.

    Caps come first (EVSE 0, in charge point order), then TxProfiles; the caller rolls the caps out
    in safe batches.
    """
    out = [Outgoing(cp, 0, cap) for cp, cap in caps_to_send(located, units, held, limit_kw, now).items()]
    for demand, row in zip(located.demands, located.plan.power_kw, strict=True):
        session = demand.session
        electrical = Electrical(unit=units.get(session.charge_point_id, "A"), phases=demand.phases)
        profile = tx_profile(
            profile_ids[session.session_id],
            session.transaction_ref,
            located.start,
            located.slot_seconds,
            [float(value) for value in row],
            electrical,
        )
        sent = held.get((session.charge_point_id, session.evse_id, "tx"))
        if sent is not None and sent.transaction_ref != session.transaction_ref:
            sent = None  # a profile of an earlier transaction on this EVSE says nothing about this one
        if significant_change(sent, profile, located.start):
            out.append(Outgoing(session.charge_point_id, session.evse_id, profile))
    return out
