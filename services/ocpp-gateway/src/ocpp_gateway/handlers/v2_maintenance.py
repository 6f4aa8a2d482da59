"""OCPP 2.0.1/2.1 Firmware Management, diagnostics, security events and reservations: to contract events.

Each notification is published, with the broker's confirm, before it is answered (the charge
point repeats what was not answered). ``_call_result`` is the version's payload module.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ocpp.routing import on
from ocpp.v201.enums import Action

from ladeplan_contracts.chargepoint import (
    FirmwareStatusNotified,
    LogUploadStatusNotified,
    ReservationStatusUpdated,
    SecurityEventNotified,
)
from ocpp_gateway.domain.notifications import firmware_status, log_upload_status, reservation_update
from ocpp_gateway.handlers.base import ChargePointSession


class V2Maintenance(ChargePointSession):
    _call_result: Any

    @on(Action.firmware_status_notification)
    async def on_firmware_status_notification(self, status: str, request_id: int | None = None, **_: Any) -> Any:
        await self.upstream.publish(
            FirmwareStatusNotified(charge_point_id=self.id, status=firmware_status(status), request_id=request_id),
            self.id,
        )
        return self._call_result.FirmwareStatusNotification()

    @on(Action.log_status_notification)
    async def on_log_status_notification(self, status: str, request_id: int | None = None, **_: Any) -> Any:
        await self.upstream.publish(
            LogUploadStatusNotified(charge_point_id=self.id, status=log_upload_status(status), request_id=request_id),
            self.id,
        )
        return self._call_result.LogStatusNotification()

    @on(Action.security_event_notification)
    async def on_security_event_notification(
        self, type: str, timestamp: str, tech_info: str | None = None, **_: Any
    ) -> Any:
        await self.upstream.publish(
            SecurityEventNotified(
                charge_point_id=self.id, type=type, timestamp=datetime.fromisoformat(timestamp), tech_info=tech_info
            ),
            self.id,
        )
        return self._call_result.SecurityEventNotification()

    @on(Action.reservation_status_update)
    async def on_reservation_status_update(self, reservation_id: int, reservation_update_status: str, **_: Any) -> Any:
        await self.upstream.publish(
            ReservationStatusUpdated(
                charge_point_id=self.id,
                reservation_id=reservation_id,
                status=reservation_update(reservation_update_status),
            ),
            self.id,
        )
        return self._call_result.ReservationStatusUpdate()
