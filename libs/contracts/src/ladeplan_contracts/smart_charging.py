"""Smart charging events from charge points: what an EV needs, and the limits and profiles in force.

``chargepoint.ev_charging_needs.notified`` is what an energy management system plans with: the
energy the driver asked for, the departure time and what the car and the EVSE can take.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from ladeplan_contracts.envelope import Contract

_MODEL = ConfigDict(extra="forbid", frozen=True)


class EvChargingNeedsNotified(Contract):
    """NotifyEVChargingNeeds (2.x, ISO 15118): the EV's request for the charging session at ``evse_id``.

    Units: Wh, A, V, W, percent. ``phases`` comes from the requested energy transfer mode (1, 2 or
    3 for AC; None for DC and modes that do not say). Absent values were not sent by the EV.
    """

    TYPE = "chargepoint.ev_charging_needs.notified"
    charge_point_id: str
    evse_id: int
    energy_transfer: str
    """dc, ac_single_phase, ac_two_phase, ac_three_phase (2.1 adds ac_bpt, dc_bpt, ...)."""
    phases: int | None = None
    requested_energy_wh: float | None = None
    departure_time: datetime | None = None
    min_current_a: float | None = None
    max_current_a: float | None = None
    max_voltage_v: float | None = None
    max_power_w: float | None = None
    state_of_charge_pct: int | None = None
    battery_capacity_wh: float | None = None
    max_schedule_tuples: int | None = None


class SchedulePeriod(BaseModel):
    model_config = _MODEL

    start_offset_s: int
    limit: float | None = None
    """In the schedule's unit; None for 2.1 periods that give a setpoint instead of a limit."""
    number_phases: int | None = None


class Schedule(BaseModel):
    """A charging schedule as a charge point reports it."""

    model_config = _MODEL

    id: int | None = None
    unit: str
    """A or W."""
    start: datetime | None = None
    duration_s: int | None = None
    periods: list[SchedulePeriod]


class EvChargingScheduleNotified(Contract):
    """NotifyEVChargingSchedule (2.x): the schedule the EV negotiated, relative to ``time_base``."""

    TYPE = "chargepoint.ev_charging_schedule.notified"
    charge_point_id: str
    evse_id: int
    time_base: datetime
    schedule: Schedule


class ChargingLimitNotified(Contract):
    """NotifyChargingLimit (2.x): a limit set by someone other than ladeplan (an EMS, the grid operator)."""

    TYPE = "chargepoint.charging_limit.notified"
    charge_point_id: str
    evse_id: int | None = None
    source: str
    """ems, other, so (system operator) or cso."""
    grid_critical: bool | None = None
    schedules: list[Schedule] = []


class ChargingLimitCleared(Contract):
    """ClearedChargingLimit (2.x): an external limit no longer applies."""

    TYPE = "chargepoint.charging_limit.cleared"
    charge_point_id: str
    evse_id: int | None = None
    source: str


class ReportedChargingProfile(BaseModel):
    model_config = _MODEL

    id: int
    stack_level: int
    purpose: str
    """tx, tx_default, charge_point_max, external_constraints (2.1 adds priority_charging, local_generation)."""
    kind: str
    """absolute, recurring, relative (2.1 adds dynamic)."""
    recurrency: str | None = None
    transaction_ref: str | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    schedules: list[Schedule]


class ChargingProfilesReported(Contract):
    """ReportChargingProfiles (2.x), the answer to a ``get_charging_profiles`` command; may come in parts."""

    TYPE = "chargepoint.charging_profiles.reported"
    charge_point_id: str
    request_id: int
    source: str
    evse_id: int
    more_to_follow: bool
    profiles: list[ReportedChargingProfile]
