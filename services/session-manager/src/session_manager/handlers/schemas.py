"""Request and response bodies of the operator API; the OpenAPI document is generated from them."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from ladeplan_contracts.meter import SignedMeterValue
from session_manager.domain.session import SessionStatus
from session_manager.repository import MeterValueRow
from session_manager.use_cases.queries import SessionWithMeterValues


class SessionListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    charge_point_id: str | None = Field(default=None, min_length=1)
    status: SessionStatus | None = None
    limit: int = Field(default=50, ge=1, le=500)


class SessionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    charge_point_id: str
    evse_id: int | None = Field(description="None only when the start of the transaction is unknown.")
    connector_id: int | None
    transaction_id: int
    transaction_ref: str = Field(description="The charge point's transaction id (1.6: our integer as text).")
    token_uid: str | None
    user_id: str | None
    authorization_status: str
    status: SessionStatus
    started_at: datetime | None
    ended_at: datetime | None
    meter_start_wh: int | None
    meter_stop_wh: int | None
    energy_wh: int | None = Field(description="None when the meter reported too little to tell.")
    stop_reason: str | None
    unknown_start: bool = Field(description="The end arrived for a transaction never seen starting.")


class SessionList(BaseModel):
    items: list[SessionOut]


class MeterValueOut(BaseModel):
    sampled_at: datetime
    value: str = Field(description="Exactly as the charge point sent it.")
    measurand: str
    unit: str | None
    phase: str | None
    context: str | None
    location: str | None
    format: str | None
    signed: SignedMeterValue | None
    unknown_transaction: bool = Field(description="It arrived before its session was known.")
    ocpp_message_id: str

    @classmethod
    def of(cls, row: MeterValueRow) -> MeterValueOut:
        signed = None
        if row.signed_meter_data is not None:
            signed = SignedMeterValue(
                signed_meter_data=row.signed_meter_data,
                signing_method=row.signing_method,
                encoding_method=row.encoding_method,
                public_key=row.public_key,
            )
        return cls(
            sampled_at=row.sampled_at,
            value=row.value,
            measurand=row.measurand,
            unit=row.unit,
            phase=row.phase,
            context=row.context,
            location=row.location,
            format=row.format,
            signed=signed,
            unknown_transaction=row.unknown_transaction,
            ocpp_message_id=row.ocpp_message_id,
        )


class SessionDetail(SessionOut):
    meter_values: list[MeterValueOut]

    @classmethod
    def of(cls, found: SessionWithMeterValues) -> SessionDetail:
        summary = SessionOut.model_validate(found.session)
        return cls(**summary.model_dump(), meter_values=[MeterValueOut.of(r) for r in found.meter_values])


class RemoteStartBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # 36 is OCPP 2.x's idToken limit; a 1.6 charge point (20) is answered by the gateway.
    token_uid: str = Field(min_length=1, max_length=36)
    evse_id: int | None = Field(default=None, ge=1)
