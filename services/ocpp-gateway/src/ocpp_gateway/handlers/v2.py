"""OCPP 2.0.1 and 2.1: messages to contract events and RPCs; contract commands to 2.x CALLs.

Core messages and transactions live here; firmware, logs, security events and reservations in
``v2_maintenance.py``, device model reports in ``v2_device_model.py``, smart charging in
``v2_smart_charging.py``. The mixins are combined in the two version classes at the end.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ocpp.routing import on
from ocpp.v21 import ChargePoint as ChargePoint21Base
from ocpp.v21 import call_result as result21
from ocpp.v201 import ChargePoint as ChargePoint201Base
from ocpp.v201 import call_result as result201
from ocpp.v201.enums import Action

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
from ocpp_gateway.domain.commands_v2 import to_v2
from ocpp_gateway.handlers.base import ChargePointSession, new_request_id, utc_now_iso
from ocpp_gateway.handlers.v2_device_model import V2DeviceModel
from ocpp_gateway.handlers.v2_maintenance import V2Maintenance
from ocpp_gateway.handlers.v2_smart_charging import V2SmartCharging


class _V2Handlers(ChargePointSession):
    """Core handlers shared by 2.0.1 and 2.1; ``_call_result`` is the version's payload module."""

    _call_result: Any

    @on(Action.boot_notification)
    async def on_boot_notification(self, charging_station: dict[str, Any], reason: str, **_: Any) -> Any:
        await self.upstream.publish(
            ChargePointBooted(
                charge_point_id=self.id,
                vendor=charging_station["vendor_name"],
                model=charging_station["model"],
                serial_number=charging_station.get("serial_number"),
                firmware_version=charging_station.get("firmware_version"),
                reason=reason,
            ),
            self.id,
        )
        return self._call_result.BootNotification(
            current_time=utc_now_iso(), interval=self.heartbeat_interval_s, status="Accepted"
        )

    @on(Action.heartbeat)
    async def on_heartbeat(self, **_: Any) -> Any:
        return self._call_result.Heartbeat(current_time=utc_now_iso())

    @on(Action.status_notification)
    async def on_status_notification(
        self, timestamp: str, connector_status: str, evse_id: int, connector_id: int, **_: Any
    ) -> Any:
        await self.upstream.publish(
            ConnectorStatusChanged(
                charge_point_id=self.id,
                evse_id=evse_id,
                connector_id=connector_id,
                status=connector_status,
                timestamp=datetime.fromisoformat(timestamp),
            ),
            self.id,
        )
        return self._call_result.StatusNotification()

    async def _authorize(self, id_token: dict[str, Any]) -> dict[str, Any]:
        reply = await self.upstream.authorize(
            AuthorizeRequest(charge_point_id=self.id, token_uid=id_token["id_token"], token_type=id_token.get("type"))
        )
        return {"status": reply.status}

    @on(Action.authorize)
    async def on_authorize(self, id_token: dict[str, Any], **_: Any) -> Any:
        return self._call_result.Authorize(id_token_info=await self._authorize(id_token))

    @on(Action.meter_values)
    async def on_meter_values(
        self, evse_id: int, meter_value: list[dict[str, Any]], call_unique_id: str, **_: Any
    ) -> Any:
        await self.upstream.publish(
            MeterValuesReported(
                charge_point_id=self.id,
                evse_id=evse_id,
                connector_id=0,
                transaction_ref=None,
                meter_values=meter_values.from_v2(meter_value),
                ocpp_message_id=call_unique_id,
            ),
            self.id,
        )
        return self._call_result.MeterValues()

    @on(Action.transaction_event)
    async def on_transaction_event(
        self,
        event_type: str,
        timestamp: str,
        transaction_info: dict[str, Any],
        call_unique_id: str,
        evse: dict[str, Any] | None = None,
        id_token: dict[str, Any] | None = None,
        meter_value: list[dict[str, Any]] | None = None,
        **_: Any,
    ) -> Any:
        transaction_ref = transaction_info["transaction_id"]
        evse_id = int((evse or {}).get("id", 0))
        connector_id = int((evse or {}).get("connector_id", 1 if evse else 0))
        values = meter_values.from_v2(meter_value or [])
        id_token_info: dict[str, Any] | None = None
        if event_type == "Started":
            reply = await self.upstream.start_transaction(
                StartTransactionRequest(
                    charge_point_id=self.id,
                    evse_id=evse_id,
                    connector_id=connector_id,
                    token_uid=id_token["id_token"] if id_token else None,
                    token_type=id_token.get("type") if id_token else None,
                    meter_start_wh=meter_values.energy_register_wh(values, contexts=("Transaction.Begin",)),
                    started_at=datetime.fromisoformat(timestamp),
                    transaction_ref=transaction_ref,
                )
            )
            id_token_info = {"status": reply.status} if id_token else None
        if event_type == "Ended":
            await self.upstream.publish(
                TransactionEnded(
                    charge_point_id=self.id,
                    transaction_ref=transaction_ref,
                    stopped_at=datetime.fromisoformat(timestamp),
                    meter_stop_wh=meter_values.energy_register_wh(values, contexts=("Transaction.End",)),
                    reason=transaction_info.get("stopped_reason") or "Local",
                    token_uid=id_token["id_token"] if id_token else None,
                    meter_values=values,
                    ocpp_message_id=call_unique_id,
                ),
                self.id,
            )
        elif values:
            await self.upstream.publish(
                MeterValuesReported(
                    charge_point_id=self.id,
                    evse_id=evse_id,
                    connector_id=connector_id,
                    transaction_ref=transaction_ref,
                    meter_values=values,
                    ocpp_message_id=call_unique_id,
                ),
                self.id,
            )
        if event_type != "Started" and id_token is not None:
            # A token presented during a running transaction (e.g. after plug-in) is authorised now.
            id_token_info = await self._authorize(id_token)
        return self._call_result.TransactionEvent(id_token_info=id_token_info)

    @on(Action.data_transfer)
    async def on_data_transfer(self, vendor_id: str, **_: Any) -> Any:
        return self._call_result.DataTransfer(status="UnknownVendorId")

    def command_call(self, command: CommandBody) -> OcppCall:
        return to_v2(command, new_id=new_request_id)


class ChargePoint201(V2Maintenance, V2DeviceModel, V2SmartCharging, _V2Handlers, ChargePoint201Base):
    _call_result = result201


class ChargePoint21(V2Maintenance, V2DeviceModel, V2SmartCharging, _V2Handlers, ChargePoint21Base):
    _call_result = result21
