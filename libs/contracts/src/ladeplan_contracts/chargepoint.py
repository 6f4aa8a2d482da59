"""Charge point events beyond sessions: firmware, log uploads, security events, reservations, activity.

Published by the gateway on ``ladeplan.events`` (routing key = ``TYPE``) after it mapped the
message of any OCPP version; statuses are version-neutral snake_case names, so consumers never
see which version a charge point speaks. The charge point id is also in the envelope.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from ladeplan_contracts.envelope import Contract

FirmwareStatus = Literal[
    "idle",
    "download_scheduled",
    "downloading",
    "download_paused",
    "downloaded",
    "download_failed",
    "signature_verified",
    "invalid_signature",
    "install_scheduled",
    "installing",
    "install_rebooting",
    "installed",
    "installation_failed",
    "install_verification_failed",
]
"""OCPP FirmwareStatus of 1.6 (with the security extension's values), 2.0.1 and 2.1, in snake_case."""


class FirmwareStatusNotified(Contract):
    """FirmwareStatusNotification (1.6, 1.6 SignedFirmwareStatusNotification, 2.x): progress of a firmware update."""

    TYPE = "chargepoint.firmware.status_notified"
    charge_point_id: str
    status: FirmwareStatus
    request_id: int | None = None
    """The update's request id (2.x and signed 1.6 updates); None for plain 1.6 updates and idle reports."""


LogUploadStatus = Literal[
    "idle",
    "uploading",
    "uploaded",
    "upload_failed",
    "bad_message",
    "not_supported_operation",
    "permission_denied",
    "accepted_canceled",
]
"""1.6 DiagnosticsStatus and 2.x UploadLogStatus; 1.6's UploadFailed and 2.x's UploadFailure are one status."""


class LogUploadStatusNotified(Contract):
    """DiagnosticsStatusNotification (1.6) or LogStatusNotification (1.6 security extension, 2.x)."""

    TYPE = "chargepoint.log_upload.status_notified"
    charge_point_id: str
    status: LogUploadStatus
    request_id: int | None = None


class SecurityEventNotified(Contract):
    """SecurityEventNotification: ``type`` is OCPP's security event name, e.g. ``FirmwareUpdated``."""

    TYPE = "chargepoint.security_event.notified"
    charge_point_id: str
    type: str
    timestamp: datetime
    tech_info: str | None = None


ReservationUpdate = Literal["expired", "removed", "no_transaction"]
"""``no_transaction`` is 2.1 only: the reserved EVSE was used but no transaction started."""


class ReservationStatusUpdated(Contract):
    """ReservationStatusUpdate (2.x): a reservation ended without being used."""

    TYPE = "chargepoint.reservation.status_updated"
    charge_point_id: str
    reservation_id: int
    status: ReservationUpdate


class Seen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    charge_point_id: str
    last_seen_at: datetime


class ChargePointsSeen(Contract):
    """When each charge point held by a gateway node last sent a frame; one batch per node every ~30 s.

    Batched rather than per frame: a frame arrives every few seconds per charge point, and last
    seen matters at the granularity of minutes. A charge point that sent nothing since the last
    batch is left out; its connection events still say whether it is connected.
    """

    TYPE = "chargepoint.activity.seen"
    node_id: str
    charge_points: list[Seen]
