"""Events of the ems-adapter: the charging plan of a location."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from ladeplan_contracts.envelope import Contract


class PlannedSession(BaseModel):
    """One charging session's share of a location plan."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    session_id: str
    charge_point_id: str
    evse_id: int
    transaction_ref: str
    demand_source: str = Field(description="Where the demand came from: ev (charging needs) or default.")
    remaining_kwh: float = Field(ge=0, description="Energy still wanted when the plan was made.")
    departure_at: datetime
    power_kw: list[float] = Field(description="Planned power per slot from the plan's start, in kW.")


class PlanUpdated(Contract):
    """A location was replanned (on an arrival, departure, demand, limit or price change, or every 15 minutes).

    ``power_kw`` of each session is one value per slot of ``slot_seconds`` from ``start``; the sum
    over sessions never exceeds ``capacity_kw`` of the same slot.
    """

    TYPE = "ems.plan.updated"
    location_id: str
    plan_id: int = Field(ge=1, description="Grows with every plan of the location.")
    start: datetime
    slot_seconds: int = Field(gt=0)
    capacity_kw: list[float] = Field(description="What charging may draw together per slot (limit minus base load).")
    price_eur_per_kwh: list[float]
    sessions: list[PlannedSession]
    charge_point_cap_kw: float = Field(
        ge=0,
        description="Each charge point's cap after the plan's horizon, for good (its equal share of the limit); "
        "within the horizon its cap is the planned power of its sessions.",
    )
    energy_kwh: float = Field(ge=0, description="Energy the plan delivers over its horizon.")
    cost_eur: float
