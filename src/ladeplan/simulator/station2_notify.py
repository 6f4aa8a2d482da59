"""What a simulated 2.0.1/2.1 charging station tells the CSMS on its own: reports, events and notifications.

Payloads are built for the station's version (``_call`` is ``ocpp.v201.call`` or ``ocpp.v21.call``)
and follow the official schemas, which differ in a few places (noted where they do).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ladeplan.simulator.station2 import Variable


def now_iso(offset_s: float = 0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=offset_s)).isoformat().replace("+00:00", "Z")


class Notify2:
    id: str
    call: Any
    _call: Any
    _call_result: Any
    _ocpp_version: str
    variables: dict[tuple[str, str], Variable]
    energy_wh: int = 1000

    async def send(self, payload: Any) -> Any:
        return await self.call(payload)

    async def progress(self, message: Any, steps: list[str], request_id: int) -> None:
        for status in steps:
            await self.call(message(status=status, request_id=request_id))

    def energy_reading(self) -> dict[str, Any]:
        return {
            "timestamp": now_iso(),
            "sampled_value": [
                {
                    "value": self.energy_wh,
                    "measurand": "Energy.Active.Import.Register",
                    "unit_of_measure": {"unit": "Wh"},
                }
            ],
        }

    async def firmware_status(self, status: str, request_id: int | None = None) -> Any:
        return await self.call(self._call.FirmwareStatusNotification(status=status, request_id=request_id))

    async def log_status(self, status: str, request_id: int | None = None) -> Any:
        return await self.call(self._call.LogStatusNotification(status=status, request_id=request_id))

    async def security_event(self, type: str, tech_info: str | None = None) -> Any:
        return await self.call(
            self._call.SecurityEventNotification(type=type, timestamp=now_iso(), tech_info=tech_info)
        )

    async def reservation_status_update(self, reservation_id: int, status: str) -> Any:
        return await self.call(
            self._call.ReservationStatusUpdate(reservation_id=reservation_id, reservation_update_status=status)
        )

    async def notify_report(self, request_id: int) -> list[Any]:
        """The device model in two parts, as large reports arrive (``tbc`` on all but the last); the answers."""
        items = [self._report_item(component, variable, v) for (component, variable), v in self.variables.items()]
        half = len(items) // 2
        answers = []
        for seq_no, (part, more) in enumerate(((items[:half], True), (items[half:], False))):
            report = self._call.NotifyReport(
                request_id=request_id, generated_at=now_iso(), seq_no=seq_no, report_data=part, tbc=more
            )
            answers.append(await self.call(report))
        return answers

    @staticmethod
    def _report_item(component: str, variable: str, v: Variable) -> dict[str, Any]:
        attribute: dict[str, Any] = {
            "type": "Actual",
            "mutability": v.mutability,
            "persistent": True,
            "constant": False,
        }
        if v.mutability != "WriteOnly":
            attribute["value"] = v.value
        characteristics: dict[str, Any] = {"data_type": v.data_type, "supports_monitoring": False}
        if v.unit:
            characteristics["unit"] = v.unit
        return {
            "component": {"name": component},
            "variable": {"name": variable},
            "variable_attribute": [attribute],
            "variable_characteristics": characteristics,
        }

    async def notify_event(self, actual_value: str = "81.5") -> Any:
        event = {
            "event_id": 1,
            "timestamp": now_iso(),
            "trigger": "Alerting",
            "actual_value": actual_value,
            "tech_code": "OVERTEMP",
            "event_notification_type": "HardWiredMonitor",
            "component": {"name": "ChargingStation"},
            "variable": {"name": "Temperature"},
        }
        return await self.call(self._call.NotifyEvent(generated_at=now_iso(), seq_no=0, event_data=[event], tbc=False))

    async def notify_monitoring_report(self, request_id: int) -> Any:
        monitor: dict[str, Any] = {"id": 1, "transaction": False, "value": 80, "type": "UpperThreshold", "severity": 4}
        if self._ocpp_version == "2.1":
            monitor["event_notification_type"] = "HardWiredMonitor"  # required from 2.1 on
        entry = {
            "component": {"name": "ChargingStation"},
            "variable": {"name": "Temperature"},
            "variable_monitoring": [monitor],
        }
        return await self.call(
            self._call.NotifyMonitoringReport(
                request_id=request_id, seq_no=0, generated_at=now_iso(), monitor=[entry], tbc=False
            )
        )

    async def notify_ev_charging_needs(
        self, evse_id: int = 1, *, energy_wh: int = 30000, max_current_a: int = 16, departure_in_s: int = 4 * 3600
    ) -> Any:
        needs = {
            "requested_energy_transfer": "AC_three_phase",
            "departure_time": now_iso(departure_in_s),
            "ac_charging_parameters": {
                "energy_amount": energy_wh,
                "ev_min_current": 6,
                "ev_max_current": max_current_a,
                "ev_max_voltage": 400,
            },
        }
        return await self.call(
            self._call.NotifyEVChargingNeeds(evse_id=evse_id, charging_needs=needs, max_schedule_tuples=3)
        )

    @staticmethod
    def schedule(schedule_id: int, limit: float, unit: str = "W") -> dict[str, Any]:
        return {
            "id": schedule_id,
            "charging_rate_unit": unit,
            "charging_schedule_period": [
                {"start_period": 0, "limit": limit},
                {"start_period": 1800, "limit": limit / 2},
            ],
        }

    async def notify_ev_charging_schedule(self, evse_id: int = 1) -> Any:
        return await self.call(
            self._call.NotifyEVChargingSchedule(
                time_base=now_iso(), charging_schedule=self.schedule(1, 11000), evse_id=evse_id
            )
        )

    async def notify_charging_limit(self, source: str = "EMS", limit_w: float = 7000) -> Any:
        return await self.call(
            self._call.NotifyChargingLimit(
                charging_limit={"charging_limit_source": source, "is_grid_critical": True},
                charging_schedule=[self.schedule(2, limit_w)],
                evse_id=1,
            )
        )

    async def cleared_charging_limit(self, source: str = "EMS") -> Any:
        return await self.call(self._call.ClearedChargingLimit(charging_limit_source=source, evse_id=1))

    async def report_charging_profiles(self, request_id: int, profiles: list[dict[str, Any]]) -> list[Any]:
        """One report per EVSE, as the schema names one EVSE per message; the answers."""
        by_evse: dict[int, list[dict[str, Any]]] = {}
        for profile in profiles:
            by_evse.setdefault(profile["evse_id"], []).append({k: v for k, v in profile.items() if k != "evse_id"})
        answers = []
        for number, (evse_id, evse_profiles) in enumerate(by_evse.items(), start=1):
            report = self._call.ReportChargingProfiles(
                request_id=request_id,
                charging_limit_source="CSO",
                charging_profile=evse_profiles,
                evse_id=evse_id,
                tbc=number < len(by_evse),
            )
            answers.append(await self.call(report))
        return answers
