"""Bodies of the demand/plan API for external EMSs (validated by, and documented from, these models)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

Power = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class CapacityLimit(BaseModel):
    """The location may draw at most ``kw`` (all phases) from ``start`` until ``end`` (an OSCP forecast)."""

    start: datetime
    end: datetime
    kw: float


class SessionDemandView(BaseModel):
    session_id: str
    charge_point_id: str
    evse_id: int
    transaction_ref: str
    started_at: datetime
    delivered_kwh: float = Field(
        description="The last meter measurement (session.energy.measured) plus the plans in force since; "
        "the plans alone before the first one."
    )
    remaining_kwh: float
    departure_at: datetime
    min_power_kw: float = Field(description="Smallest non-zero setpoint (6 A per phase or the EV's minimum).")
    max_power_kw: float
    phases: int
    source: Literal["ev", "default"] = Field(description="'ev': the EV's charging needs; 'default': ladeplan's.")


class LocationDemand(BaseModel):
    location_id: str
    mode: Literal["builtin", "oscp", "external"]
    at: datetime
    slot_seconds: int = Field(description="The slot length a plan for this location must use.")
    grid_limit_kw: float
    limits: list[CapacityLimit] = Field(description="Lower limits for a while (OSCP mode), on top of the grid limit.")
    sessions: list[SessionDemandView]


class SessionPlan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session_id: str = Field(min_length=1)
    power_kw: list[Power] = Field(min_length=1, description="Power per slot from the plan's start, kW.")


class ExternalPlanBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: AwareDatetime = Field(description="Start of the first slot; at the latest one slot from now.")
    slot_seconds: int = Field(gt=0)
    sessions: list[SessionPlan] = Field(min_length=1)


class ExternalPlanAccepted(BaseModel):
    location_id: str
    received_at: datetime
    start: datetime
    slot_seconds: int
    slots: int
    sessions: list[str]


class ProfileCheck(BaseModel):
    """The last read-back of a charge point's profiles (GetCompositeSchedule against what it was sent)."""

    checked_at: datetime
    verdict: Literal["verified", "mismatch", "not_verified"] = Field(
        description="'verified': its composite schedule is what ladeplan installed; 'mismatch': it differs (the "
        "profiles are sent again on the next replan); 'not_verified': the charge point could not tell "
        "(not supported, refused, offline or no answer)."
    )
    detail: str | None = None
    evse_id: int | None = Field(default=None, description="Mismatch: the EVSE where it differs most (0: the cap).")
    differs_at: datetime | None = None
    expected_kw: float | None = Field(default=None, description="Mismatch: the limit ladeplan installed there.")
    reported_kw: float | None = Field(default=None, description="Mismatch: the limit the charge point reported.")


class ChargePointView(BaseModel):
    charge_point_id: str
    profile_check: ProfileCheck | None = Field(description="None until its profiles were first read back.")


class LocationChargePoints(BaseModel):
    location_id: str
    charge_points: list[ChargePointView]
