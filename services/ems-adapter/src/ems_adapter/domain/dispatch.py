"""Which charging profiles a location plan sends, and to whom.

Every charge point of the location gets the standing charge-point-max cap (EVSE 0) whenever it
does not hold the current one; every planned session gets its TxProfile when it holds none for
its transaction or the plan changed noticeably in the next hour (``profiles.significant_change``).
A profile that was not accepted is not recorded as held, so the next replan tries again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ladeplan_contracts.commands import ChargingProfile

from .profiles import Electrical, Unit, significant_change, site_cap_profile, tx_profile
from .site import LocationPlan

SITE_CAP_PROFILE_ID = 1  # one standing cap per charge point; a new one replaces it (same id)
Held = Mapping[tuple[str, int, str], ChargingProfile]  # (charge point, evse, purpose) -> profile


@dataclass(frozen=True)
class Outgoing:
    charge_point_id: str
    evse_id: int
    profile: ChargingProfile


def profiles_to_send(
    located: LocationPlan, units: Mapping[str, Unit], profile_ids: Mapping[str, int], held: Held
) -> list[Outgoing]:
    """The profiles to send after ``located`` was planned; ``units`` per charge point of the location."""
    out: list[Outgoing] = []
    for charge_point_id, unit in sorted(units.items()):
        cap = site_cap_profile(SITE_CAP_PROFILE_ID, located.charge_point_cap_kw, Electrical(unit=unit))
        if held.get((charge_point_id, 0, "charge_point_max")) != cap:
            out.append(Outgoing(charge_point_id, 0, cap))
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
