"""OCPP 1.6J: Core messages to contract events and RPCs; contract commands to 1.6 CALLs.

Firmware Management lives in ``v16_maintenance.py``; Local Auth List, Reservation, Smart Charging and
Remote Trigger are operator commands only (``domain/commands_v16.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ocpp.exceptions import OCPPError
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import Action, DataTransferStatus, RegistrationStatus

from ladeplan_contracts.commands import CommandBody
from ladeplan_contracts.events import (
    ChargePointBooted,
    ConnectorStatusChanged,
    MeterValuesReported,
    TransactionEnded,
)
from ladeplan_contracts.rpc import AuthorizeRequest, StartTransactionRequest
from ocpp_gateway.domain import meter_values
from ocpp_gateway.domain.command_calls import OcppCall
from ocpp_gateway.domain.commands_v16 import to_v16
from ocpp_gateway.handlers.base import utc_now_iso
from ocpp_gateway.handlers.v16_maintenance import V16Maintenance


class ChargePoint16(V16Maintenance, ChargePoint):
    @on(Action.boot_notification)
    async def on_boot_notification(
        self, charge_point_vendor: str, charge_point_model: str, **optional: Any
    ) -> call_result.BootNotification:
        await self.upstream.publish(
            ChargePointBooted(
                charge_point_id=self.id,
                vendor=charge_point_vendor,
                model=charge_point_model,
                serial_number=optional.get("charge_point_serial_number"),
                firmware_version=optional.get("firmware_version"),
            ),
            self.id,
        )
        return call_result.BootNotification(
            current_time=utc_now_iso(), interval=self.heartbeat_interval_s, status=RegistrationStatus.accepted
        )

    @on(Action.heartbeat)
    async def on_heartbeat(self) -> call_result.Heartbeat:
        return call_result.Heartbeat(current_time=utc_now_iso())

    @on(Action.status_notification)
    async def on_status_notification(
        self, connector_id: int, error_code: str, status: str, timestamp: str | None = None, **_: Any
    ) -> call_result.StatusNotification:
        await self.upstream.publish(
            ConnectorStatusChanged(
                charge_point_id=self.id,
                evse_id=connector_id,
                connector_id=connector_id,
                status=status,
                error_code=error_code,
                timestamp=datetime.fromisoformat(timestamp) if timestamp else None,
            ),
            self.id,
        )
        return call_result.StatusNotification()

    @on(Action.authorize)
    async def on_authorize(self, id_tag: str) -> call_result.Authorize:
        reply = await self.upstream.authorize(AuthorizeRequest(charge_point_id=self.id, token_uid=id_tag))
        return call_result.Authorize(id_tag_info={"status": reply.status})

    @on(Action.start_transaction)
    async def on_start_transaction(
        self, connector_id: int, id_tag: str, meter_start: int, timestamp: str, **_: Any
    ) -> call_result.StartTransaction:
        reply = await self.upstream.start_transaction(
            StartTransactionRequest(
                charge_point_id=self.id,
                evse_id=connector_id,
                connector_id=connector_id,
                token_uid=id_tag,
                meter_start_wh=meter_start,
                started_at=datetime.fromisoformat(timestamp),
            )
        )
        return call_result.StartTransaction(transaction_id=reply.transaction_id, id_tag_info={"status": reply.status})

    @on(Action.meter_values)
    async def on_meter_values(
        self,
        connector_id: int,
        meter_value: list[dict[str, Any]],
        call_unique_id: str,
        transaction_id: int | None = None,
    ) -> call_result.MeterValues:
        await self.upstream.publish(
            MeterValuesReported(
                charge_point_id=self.id,
                evse_id=connector_id,
                connector_id=connector_id,
                transaction_ref=str(transaction_id) if transaction_id is not None else None,
                meter_values=meter_values.from_v16(meter_value),
                ocpp_message_id=call_unique_id,
            ),
            self.id,
        )
        return call_result.MeterValues()

    @on(Action.stop_transaction)
    async def on_stop_transaction(
        self,
        meter_stop: int,
        timestamp: str,
        transaction_id: int,
        call_unique_id: str,
        id_tag: str | None = None,
        reason: str | None = None,
        transaction_data: list[dict[str, Any]] | None = None,
    ) -> call_result.StopTransaction:
        await self.upstream.publish(
            TransactionEnded(
                charge_point_id=self.id,
                transaction_ref=str(transaction_id),
                stopped_at=datetime.fromisoformat(timestamp),
                meter_stop_wh=meter_stop,
                reason=reason or "Local",
                token_uid=id_tag,
                meter_values=meter_values.from_v16(transaction_data or []),
                ocpp_message_id=call_unique_id,
            ),
            self.id,
        )
        if id_tag is None:
            return call_result.StopTransaction()
        try:
            reply = await self.upstream.authorize(AuthorizeRequest(charge_point_id=self.id, token_uid=id_tag))
        except OCPPError:
            # The stop is stored; idTagInfo is optional, so an unavailable authorisation must not fail it.
            return call_result.StopTransaction()
        return call_result.StopTransaction(id_tag_info={"status": reply.status})

    @on(Action.data_transfer)
    async def on_data_transfer(self, vendor_id: str, **_: Any) -> call_result.DataTransfer:
        return call_result.DataTransfer(status=DataTransferStatus.unknown_vendor_id)

    def command_call(self, command: CommandBody) -> OcppCall:
        return to_v16(command)
