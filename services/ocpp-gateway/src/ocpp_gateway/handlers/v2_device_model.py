"""OCPP 2.0.1/2.1 device model reports: NotifyReport, NotifyEvent, NotifyMonitoringReport to contract events.

Reports may come in many parts (``tbc``: to be continued); each part is its own event, published
with the broker's confirm before it is answered.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ocpp.routing import on
from ocpp.v201.enums import Action

from ladeplan_contracts.device_model import DeviceEventsNotified, DeviceReportReceived, MonitoringReportReceived
from ocpp_gateway.domain import device_model
from ocpp_gateway.handlers.base import ChargePointSession


class V2DeviceModel(ChargePointSession):
    _call_result: Any

    @on(Action.notify_report)
    async def on_notify_report(
        self,
        request_id: int,
        generated_at: str,
        seq_no: int,
        report_data: list[dict[str, Any]] | None = None,
        tbc: bool = False,
        **_: Any,
    ) -> Any:
        await self.upstream.publish(
            DeviceReportReceived(
                charge_point_id=self.id,
                request_id=request_id,
                seq_no=seq_no,
                generated_at=datetime.fromisoformat(generated_at),
                more_to_follow=tbc,
                variables=device_model.report_data(report_data or []),
            ),
            self.id,
        )
        return self._call_result.NotifyReport()

    @on(Action.notify_event)
    async def on_notify_event(
        self, generated_at: str, seq_no: int, event_data: list[dict[str, Any]], tbc: bool = False, **_: Any
    ) -> Any:
        await self.upstream.publish(
            DeviceEventsNotified(
                charge_point_id=self.id,
                generated_at=datetime.fromisoformat(generated_at),
                seq_no=seq_no,
                more_to_follow=tbc,
                events=device_model.event_data(event_data),
            ),
            self.id,
        )
        return self._call_result.NotifyEvent()

    @on(Action.notify_monitoring_report)
    async def on_notify_monitoring_report(
        self,
        request_id: int,
        seq_no: int,
        generated_at: str,
        monitor: list[dict[str, Any]] | None = None,
        tbc: bool = False,
        **_: Any,
    ) -> Any:
        await self.upstream.publish(
            MonitoringReportReceived(
                charge_point_id=self.id,
                request_id=request_id,
                seq_no=seq_no,
                generated_at=datetime.fromisoformat(generated_at),
                more_to_follow=tbc,
                monitored=device_model.monitoring_data(monitor or []),
            ),
            self.id,
        )
        return self._call_result.NotifyMonitoringReport()
