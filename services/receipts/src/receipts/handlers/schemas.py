"""Request and response bodies of the operator API; the OpenAPI document is generated from them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, cast
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from ladeplan_contracts.receipts import ReceiptStatus
from receipts.domain.crypto.keys import KeyEncodingError, key_encoding
from receipts.repository.keys import KeyRecord
from receipts.repository.receipts import ReceiptRow
from receipts.use_cases.queries import ReceiptDetail

KeyEncoding = Literal["hex", "base64", "base32"]


class ReceiptListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    charge_point_id: str | None = Field(default=None, min_length=1)
    status: ReceiptStatus | None = None
    limit: int = Field(default=50, ge=1, le=500)


class ReceiptQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(default=None, ge=1, description="A superseded version; the current one if omitted.")


class ReadingOut(BaseModel):
    """A begin or end reading as the meter signed it (``value`` is the exact text)."""

    # "register" is also a class method every pydantic model inherits (abc): the field is renamed in Python only.
    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True, serialize_by_alias=True)

    record_id: int = Field(description="The signed record holding the reading.")
    context: str | None
    time: str | None = None
    time_sync: str | None = None
    reason: str | None = None
    value: str | None = None
    unit: str | None = None
    register_: str | None = Field(default=None, alias="register", description="OBIS code of the register (RI).")
    status: str | None = None
    error_flags: str | None = None


class EnergyOut(BaseModel):
    value: str = Field(description="End minus begin, exact decimal text in the meter's unit.")
    unit: str | None


class PublicKeyOut(BaseModel):
    value: str
    encoding: str
    source: str = Field(description="operator_api (configured) or signed_value (sent by the charge point).")


class ReceiptOut(BaseModel):
    receipt_id: UUID
    session_id: UUID
    version: int
    status: ReceiptStatus
    reason: str | None = Field(description="Why the session is not verified.")
    billable: bool = Field(description="Only verified sessions may be billed under a calibration-law tariff.")
    charge_point_id: str
    evse_id: int | None
    connector_id: int | None
    transaction_ref: str
    transaction_id: int = Field(description="The number pairing begin and end in the Transparenzsoftware's XML.")
    token_uid: str | None
    user_id: str | None
    started_at: datetime
    ended_at: datetime
    energy_wh: int | None = Field(description="The session's energy as session-manager computed it (unsigned).")
    measured_energy: EnergyOut | None = Field(description="The energy the signed readings prove.")
    begin: ReadingOut | None
    end: ReadingOut | None
    public_key: PublicKeyOut | None
    signed_format: str | None
    tariff_ref: str | None
    notes: list[str]
    issued_for: str = Field(description="session.completed, late_values or operator_request.")
    issued_at: datetime
    retain_until: datetime

    @classmethod
    def of(cls, receipt: ReceiptRow) -> ReceiptOut:
        energy = None
        if receipt.measured_energy is not None:
            energy = EnergyOut(value=receipt.measured_energy, unit=receipt.measured_energy_unit)
        key = None
        if receipt.public_key is not None:
            key = PublicKeyOut(
                value=receipt.public_key, encoding=_encoding(receipt.public_key), source=str(receipt.public_key_source)
            )
        return cls(
            receipt_id=receipt.id,
            session_id=receipt.session_id,
            version=receipt.version,
            status=cast(ReceiptStatus, receipt.status),  # the table's CHECK holds it to the three
            reason=receipt.reason,
            billable=receipt.billable,
            charge_point_id=receipt.charge_point_id,
            evse_id=receipt.evse_id,
            connector_id=receipt.connector_id,
            transaction_ref=receipt.transaction_ref,
            transaction_id=receipt.transaction_number,
            token_uid=receipt.token_uid,
            user_id=receipt.user_id,
            started_at=receipt.started_at,
            ended_at=receipt.ended_at,
            energy_wh=receipt.energy_wh,
            measured_energy=energy,
            begin=_reading(receipt.begin_reading),
            end=_reading(receipt.end_reading),
            public_key=key,
            signed_format=receipt.signed_format,
            tariff_ref=receipt.tariff_ref,
            notes=receipt.notes,
            issued_for=receipt.issued_for,
            issued_at=receipt.created_at,
            retain_until=receipt.retain_until,
        )


def _reading(stored: dict[str, Any] | None) -> ReadingOut | None:
    return None if stored is None else ReadingOut.model_validate(stored)


def _encoding(key: str) -> str:
    try:
        return key_encoding(key)
    except KeyEncodingError:
        return "plain"


class ReceiptList(BaseModel):
    items: list[ReceiptOut]


class SignedRecordOut(BaseModel):
    """A stored signed value, exactly as received."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    evse_id: int | None
    context: str | None
    measurand: str
    sampled_at: datetime
    signed_meter_data: str = Field(description="Exactly as the charge point sent it.")
    signing_method: str | None
    encoding_method: str | None
    public_key: str | None
    source_type: str
    source_message_id: str
    ocpp_message_id: str
    received_at: datetime
    retain_until: datetime
    record_hash: str


class ReceiptDetailOut(ReceiptOut):
    versions: list[int]
    records: list[SignedRecordOut]

    @classmethod
    def of_detail(cls, detail: ReceiptDetail) -> ReceiptDetailOut:
        summary = ReceiptOut.of(detail.receipt)
        records = [SignedRecordOut.model_validate(record) for record in detail.records]
        return cls(**summary.model_dump(), versions=detail.versions, records=records)


class SignedValueOut(BaseModel):
    context: str
    format: str = Field(description="The Transparenzsoftware's name of the format (OCMF, ALFEN, EDL_40_SIG, PCDF).")
    encoding: str = Field(description="plain, hex or base64: how signed_data encodes the meter's data.")
    signed_data: str = Field(description="The meter's signed data exactly as it was sent.")


class ReceiptExport(BaseModel):
    """The receipt's signed data as JSON: what the Transparenzsoftware XML holds, plus the verdict."""

    session_id: UUID
    version: int
    transaction_id: int
    charge_point_id: str
    evse_id: int | None
    status: ReceiptStatus
    reason: str | None
    billable: bool
    measured_energy: EnergyOut | None
    public_key: PublicKeyOut | None
    signed_values: list[SignedValueOut]

    @classmethod
    def of_detail(cls, detail: ReceiptDetail) -> ReceiptExport:
        summary = ReceiptOut.of(detail.receipt)
        values = [
            SignedValueOut(context=v.context, format=v.format, encoding=v.encoding, signed_data=v.text)
            for v in detail.export_values
        ]
        return cls(
            session_id=summary.session_id,
            version=summary.version,
            transaction_id=summary.transaction_id,
            charge_point_id=summary.charge_point_id,
            evse_id=summary.evse_id,
            status=summary.status,
            reason=summary.reason,
            billable=summary.billable,
            measured_energy=summary.measured_energy,
            public_key=summary.public_key,
            signed_values=values,
        )


class MeterKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    public_key: str = Field(min_length=1, max_length=2500, description="DER SubjectPublicKeyInfo for OCMF meters.")
    encoding: KeyEncoding | None = Field(default=None, description="Detected from the text when omitted.")


class MeterKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    charge_point_id: str
    evse_id: int
    public_key: str
    encoding: str
    source: str
    source_reference: str | None = Field(description="For keys sent with a value: the signed record's id.")
    recorded_at: datetime

    @classmethod
    def of(cls, record: KeyRecord) -> MeterKeyOut:
        return cls.model_validate(record)


class MeterKeyList(BaseModel):
    items: list[MeterKeyOut]
