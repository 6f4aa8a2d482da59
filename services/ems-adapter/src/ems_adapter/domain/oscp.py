"""OSCP 2.0 (Open Charge Alliance, 2020) messages as they travel, and the pure mappings around them.

ladeplan is the party that owns the flexible load (in OSCP 2.0 terms the Flexibility Provider,
which plans with its own Capacity Optimizer, the built-in optimiser); the DSO or site EMS is the
Capacity Provider. Field names, enumerations and optionality follow the specification's JSON
messages; every message travels as an HTTP POST to ``{base_url}/{message name in snake case}``
and is accepted with ``204 No Content``.

Unknown fields are ignored (a later 2.x may add some); known ones are checked strictly, so a
wrong unit or phase is refused with 400 rather than planned with.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from .capacity import CapacityUnit, ForecastBlock, Phase

VERSION = "2.0"
MeasurementConfiguration = Literal["CONTINUOUS", "INTERMITTENT"]
ForecastType = Literal["CONSUMPTION", "GENERATION", "FALLBACK_CONSUMPTION", "FALLBACK_GENERATION", "OPTIMUM"]
EnergyUnit = Literal["WH", "KWH"]
InstantaneousUnit = Literal["A", "W", "KW", "WH", "KWH"]


class Message(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class VersionUrl(Message):
    version: str = Field(min_length=1)
    base_url: str = Field(min_length=1)


class Register(Message):
    """The token the receiver must use towards the sender, and the sender's versions (the chosen one in a reply)."""

    token: str = Field(min_length=1, max_length=512)
    version_url: list[VersionUrl] = Field(min_length=1)

    def base_url(self) -> str | None:
        """The sender's base URL of OSCP 2.0; None when it does not speak 2.0."""
        return next((item.base_url.rstrip("/") for item in self.version_url if item.version == VERSION), None)


class RequiredBehaviour(Message):
    heartbeat_interval: int | None = Field(default=None, ge=1)
    measurement_configuration: list[MeasurementConfiguration] = Field(default_factory=list)


class Handshake(Message):
    required_behaviour: RequiredBehaviour


class HandshakeAcknowledgement(Message):
    required_behaviour: RequiredBehaviour | None = None


class Heartbeat(Message):
    offline_mode_at: AwareDatetime


class ForecastedBlock(Message):
    capacity: float
    phase: Phase
    unit: CapacityUnit
    start_time: AwareDatetime
    end_time: AwareDatetime

    @model_validator(mode="after")
    def _ordered(self) -> ForecastedBlock:
        if self.end_time <= self.start_time:
            raise ValueError("end_time must be after start_time")
        return self

    def block(self) -> ForecastBlock:
        return ForecastBlock(self.capacity, self.unit, self.phase, self.start_time, self.end_time)


class GroupCapacityForecast(Message):
    """Body of UpdateGroupCapacityForecast and of AdjustGroupCapacityForecast."""

    group_id: str = Field(min_length=1)
    type: ForecastType
    forecasted_blocks: list[ForecastedBlock] = Field(min_length=1)


class GroupCapacityComplianceError(Message):
    message: str
    forecasted_blocks: list[ForecastedBlock] = Field(default_factory=list)


class EnergyMeasurement(Message):
    value: float
    phase: Phase
    unit: EnergyUnit
    direction: Literal["NET", "IMPORT", "EXPORT"]
    measure_time: AwareDatetime
    energy_type: Literal["FLEXIBLE", "NONFLEXIBLE", "TOTAL"] | None = None
    initial_measure_time: AwareDatetime | None = None


class InstantaneousMeasurement(Message):
    value: float
    phase: Phase
    unit: InstantaneousUnit
    measure_time: AwareDatetime


class AssetMeasurement(Message):
    asset_id: str
    asset_category: Literal["CHARGING", "CONSUMPTION", "GENERATION", "STORAGE"]
    energy_measurement: EnergyMeasurement | None = None
    instantaneous_measurement: InstantaneousMeasurement | None = None


class UpdateGroupMeasurements(Message):
    group_id: str
    measurements: list[EnergyMeasurement]


class UpdateAssetMeasurements(Message):
    group_id: str
    measurements: list[AssetMeasurement]


def offline_mode_at(now: datetime, interval_s: float) -> datetime:
    """When the receiver may assume us offline: two intervals, so one late heartbeat is no outage."""
    return now + timedelta(seconds=2 * interval_s)


def energy_measurement(
    kwh_total: float, kwh_since: float, period_start: datetime, now: datetime, configuration: list[str]
) -> EnergyMeasurement:
    """One energy reading of ladeplan's charging (flexible load, imported).

    With INTERMITTENT the receiver wants the energy since ``initial_measure_time`` (here: since
    the previous report); otherwise the reading is a cumulative register, as a meter counts.
    """
    intermittent = "INTERMITTENT" in configuration
    return EnergyMeasurement(
        value=round(kwh_since if intermittent else kwh_total, 3),
        phase="ALL",
        unit="KWH",
        direction="IMPORT",
        energy_type="FLEXIBLE",
        measure_time=now,
        initial_measure_time=period_start if intermittent else None,
    )


def asset_measurement(charge_point_id: str, kwh_total: float, power_kw: float, now: datetime) -> AssetMeasurement:
    """A charge point as an OSCP asset: its cumulative energy and the power it is planned to draw now."""
    return AssetMeasurement(
        asset_id=charge_point_id,
        asset_category="CHARGING",
        energy_measurement=EnergyMeasurement(
            value=round(kwh_total, 3),
            phase="ALL",
            unit="KWH",
            direction="IMPORT",
            energy_type="FLEXIBLE",
            measure_time=now,
        ),
        instantaneous_measurement=InstantaneousMeasurement(
            value=round(power_kw, 3), phase="ALL", unit="KW", measure_time=now
        ),
    )
