"""The ``status`` object of ``GET /api/v1/charge-points/{id}``: what the gateway last reported."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from masterdata.domain.model import ChargePointStatus
from masterdata.handlers.schemas import ChargePointOut

_RESPONSE = ConfigDict(extra="forbid", frozen=True)


class ConnectionOut(BaseModel):
    model_config = _RESPONSE

    connected: bool
    ocpp_version: str | None = Field(description="1.6, 2.0.1 or 2.1 (of the last connection).")
    since: datetime | None = Field(description="When the charge point connected, or disconnected if it is not.")


class BootOut(BaseModel):
    """The charge point's last BootNotification."""

    model_config = _RESPONSE

    vendor: str
    model: str
    serial_number: str | None
    firmware_version: str | None
    reason: str | None
    at: datetime


class FirmwareOut(BaseModel):
    """The last firmware status notification (progress of an update, or idle)."""

    model_config = _RESPONSE

    status: str
    request_id: int | None
    at: datetime


class ChargePointStatusOut(BaseModel):
    model_config = _RESPONSE

    connection: ConnectionOut
    last_seen_at: datetime | None = Field(description="Last frame from the charge point (updated every ~30 s).")
    boot: BootOut | None
    firmware: FirmwareOut | None

    @classmethod
    def of(cls, status: ChargePointStatus | None) -> ChargePointStatusOut:
        if status is None:  # never connected
            return cls(
                connection=ConnectionOut(connected=False, ocpp_version=None, since=None),
                last_seen_at=None,
                boot=None,
                firmware=None,
            )
        boot = None
        if status.booted_at is not None and status.vendor is not None and status.model is not None:
            boot = BootOut(
                vendor=status.vendor,
                model=status.model,
                serial_number=status.serial_number,
                firmware_version=status.firmware_version,
                reason=status.boot_reason,
                at=status.booted_at,
            )
        firmware = None
        if status.firmware_status is not None and status.firmware_status_at is not None:
            firmware = FirmwareOut(
                status=status.firmware_status, request_id=status.firmware_request_id, at=status.firmware_status_at
            )
        return cls(
            connection=ConnectionOut(
                connected=status.connected,
                ocpp_version=status.ocpp_version,
                since=status.connected_at if status.connected else status.disconnected_at,
            ),
            last_seen_at=status.last_seen_at,
            boot=boot,
            firmware=firmware,
        )


class ChargePointDetail(ChargePointOut):
    """A charge point with its connectors and what the gateway reported about it."""

    status: ChargePointStatusOut
