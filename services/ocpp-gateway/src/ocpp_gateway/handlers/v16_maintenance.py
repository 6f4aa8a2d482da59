"""OCPP 1.6J Firmware Management (and the security extension's status messages): to contract events.

Each notification is published, with the broker's confirm, before it is answered: the charge
point repeats what was not answered, so no status is lost when the broker is down.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ocpp.routing import on
from ocpp.v16 import call_result
from ocpp.v16.enums import Action

from ladeplan_contracts.chargepoint import FirmwareStatusNotified, LogUploadStatusNotified, SecurityEventNotified
from ocpp_gateway.domain.notifications import firmware_status, log_upload_status
from ocpp_gateway.handlers.base import ChargePointSession


class V16Maintenance(ChargePointSession):
    @on(Action.firmware_status_notification)
    async def on_firmware_status_notification(self, status: str) -> call_result.FirmwareStatusNotification:
        await self.upstream.publish(
            FirmwareStatusNotified(charge_point_id=self.id, status=firmware_status(status)), self.id
        )
        return call_result.FirmwareStatusNotification()

    @on(Action.diagnostics_status_notification)
    async def on_diagnostics_status_notification(self, status: str) -> call_result.DiagnosticsStatusNotification:
        await self.upstream.publish(
            LogUploadStatusNotified(charge_point_id=self.id, status=log_upload_status(status)), self.id
        )
        return call_result.DiagnosticsStatusNotification()

    # --- 1.6 security extension (signed firmware, security log): the same events as 2.x -----------

    @on(Action.signed_firmware_status_notification)
    async def on_signed_firmware_status_notification(
        self, status: str, request_id: int | None = None, **_: Any
    ) -> call_result.SignedFirmwareStatusNotification:
        await self.upstream.publish(
            FirmwareStatusNotified(charge_point_id=self.id, status=firmware_status(status), request_id=request_id),
            self.id,
        )
        return call_result.SignedFirmwareStatusNotification()

    @on(Action.log_status_notification)
    async def on_log_status_notification(
        self, status: str, request_id: int | None = None, **_: Any
    ) -> call_result.LogStatusNotification:
        await self.upstream.publish(
            LogUploadStatusNotified(charge_point_id=self.id, status=log_upload_status(status), request_id=request_id),
            self.id,
        )
        return call_result.LogStatusNotification()

    @on(Action.security_event_notification)
    async def on_security_event_notification(
        self, type: str, timestamp: str, tech_info: str | None = None, **_: Any
    ) -> call_result.SecurityEventNotification:
        await self.upstream.publish(
            SecurityEventNotified(
                charge_point_id=self.id, type=type, timestamp=datetime.fromisoformat(timestamp), tech_info=tech_info
            ),
            self.id,
        )
        return call_result.SecurityEventNotification()
