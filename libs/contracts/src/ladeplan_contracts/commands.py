"""Version-neutral commands to charge points, routed on ``ladeplan.commands`` by charge point id."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ladeplan_contracts.commands_charging import (
    CancelReservation,
    ClearChargingProfile,
    GetChargingProfiles,
    GetCompositeSchedule,
    GetLocalListVersion,
    ReserveNow,
    SendLocalList,
)
from ladeplan_contracts.commands_device import (
    ChangeAvailability,
    ClearCache,
    DataTransfer,
    GetBaseReport,
    GetConfiguration,
    GetLog,
    GetVariables,
    Reset,
    SetConfiguration,
    SetVariables,
    TriggerMessage,
    UnlockConnector,
    UpdateFirmware,
)
from ladeplan_contracts.commands_security import SetBasicAuthPassword
from ladeplan_contracts.envelope import Contract


class ChargingSchedulePeriod(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    start_offset_s: int = Field(ge=0)
    limit: float = Field(ge=0, description="In ``unit``; rounded to 0.1 when sent.")
    number_phases: int | None = Field(default=None, ge=1, le=3)


class ChargingProfile(BaseModel):
    """A charging profile independent of OCPP version; the gateway maps it to 1.6 or 2.x."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: int = Field(ge=1)
    stack_level: int = Field(default=0, ge=0)
    purpose: Literal["tx", "tx_default", "charge_point_max"]
    kind: Literal["absolute", "relative"] = "absolute"
    transaction_ref: str | None = None
    unit: Literal["A", "W"]
    start: datetime | None = None
    duration_s: int | None = Field(default=None, ge=1)
    periods: list[ChargingSchedulePeriod] = Field(min_length=1)


class RemoteStart(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["remote_start"] = "remote_start"
    token_uid: str
    evse_id: int | None = Field(default=None, ge=1)
    charging_profile: ChargingProfile | None = None


class RemoteStop(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["remote_stop"] = "remote_stop"
    transaction_ref: str


class SetChargingProfile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["set_charging_profile"] = "set_charging_profile"
    evse_id: int = Field(ge=0, description="0 = the whole charge point.")
    profile: ChargingProfile


CommandBody = Annotated[
    RemoteStart
    | RemoteStop
    | SetChargingProfile
    # commands_device.py and commands_charging.py: one model per further operator action.
    | Reset
    | UnlockConnector
    | ChangeAvailability
    | GetConfiguration
    | SetConfiguration
    | GetVariables
    | SetVariables
    | GetBaseReport
    | TriggerMessage
    | ClearCache
    | DataTransfer
    | UpdateFirmware
    | GetLog
    | SendLocalList
    | GetLocalListVersion
    | ReserveNow
    | CancelReservation
    | ClearChargingProfile
    | GetChargingProfiles
    | GetCompositeSchedule
    # commands_security.py: sent by masterdata's password rotation only (INTERNAL_COMMANDS).
    | SetBasicAuthPassword,
    Field(discriminator="kind"),
]


class Command(Contract):
    TYPE = "command"
    charge_point_id: str
    command: CommandBody
    timeout_s: float = Field(default=30.0, gt=0, le=300)


CommandStatus = Literal["accepted", "rejected", "offline", "timeout", "not_supported", "error"]


class CommandReply(Contract):
    """``accepted``/``rejected`` mirror the charge point's answer; ``offline`` and ``timeout`` mean none came."""

    TYPE = "command.reply"
    status: CommandStatus
    detail: str | None = None
    response: dict[str, object] = {}
