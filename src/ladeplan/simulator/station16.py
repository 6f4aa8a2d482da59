"""A 1.6J charge point's answers to every CSMS command of the profiles ladeplan uses, and its notifications.

Core, Firmware Management, Local Auth List Management, Reservation, Smart Charging and Remote
Trigger: state is kept (configuration, local list, reservations, profiles) so answers follow
from earlier commands, and firmware updates, diagnostics uploads and triggers are followed by the
notifications a real charge point sends. Every CALL received is recorded in ``received``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from ocpp.messages import MessageType
from ocpp.routing import on
from ocpp.v16 import call, call_result
from ocpp.v16.enums import Action

from ladeplan.simulator.followups import Followups
from ladeplan.simulator.smart_charging import ProfileBook

CONFIGURATION = {
    # key: (value, read-only)
    "HeartbeatInterval": ("300", False),
    "MeterValueSampleInterval": ("60", False),
    "NumberOfConnectors": ("2", True),
    "LocalAuthListEnabled": ("true", False),
    "SupportedFeatureProfiles": (
        "Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger",
        True,
    ),
    # 1.6 security whitepaper: the HTTP Basic password, hex-encoded. Write-only: never reported.
    "AuthorizationKey": ("", False),
}
WRITE_ONLY = frozenset({"AuthorizationKey"})


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class Station16:
    """Mixed into ``Sim16`` before ``ocpp.v16.ChargePoint``."""

    id: str
    call: Any
    profiles: list[dict[str, Any]]
    book: ProfileBook

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.calls_received: list[str] = []  # every CALL's action, as it came off the wire
        self.configuration = {key: value for key, (value, _) in CONFIGURATION.items()}
        self.local_list_version = 0
        self.local_list: dict[str, dict[str, Any]] = {}
        self.reservations: dict[int, dict[str, Any]] = {}
        self.followups = Followups(self.id)
        self.energy_wh = 1000

    def _got(self, action: str, **payload: Any) -> None:
        self.received.append((action, payload))

    async def route_message(self, raw_msg: str) -> None:
        frame = json.loads(raw_msg)
        if isinstance(frame, list) and frame and frame[0] == MessageType.Call:
            self.calls_received.append(str(frame[2]))
        await super().route_message(raw_msg)  # type: ignore[misc]

    @on(Action.reset)
    async def on_reset(self, type: str) -> call_result.Reset:
        self._got("Reset", type=type)
        return call_result.Reset(status="Accepted")

    @on(Action.unlock_connector)
    async def on_unlock_connector(self, connector_id: int) -> call_result.UnlockConnector:
        self._got("UnlockConnector", connector_id=connector_id)
        return call_result.UnlockConnector(status="Unlocked" if connector_id >= 1 else "NotSupported")

    @on(Action.change_availability)
    async def on_change_availability(self, connector_id: int, type: str) -> call_result.ChangeAvailability:
        self._got("ChangeAvailability", connector_id=connector_id, type=type)
        return call_result.ChangeAvailability(status="Accepted")

    @on(Action.get_configuration)
    async def on_get_configuration(self, key: list[str] | None = None) -> call_result.GetConfiguration:
        self._got("GetConfiguration", key=key)
        wanted = key or [k for k in self.configuration if k not in WRITE_ONLY]
        return call_result.GetConfiguration(
            configuration_key=[
                {"key": k, "readonly": CONFIGURATION[k][1], "value": self.configuration[k]}
                for k in wanted
                if k in self.configuration and k not in WRITE_ONLY
            ],
            unknown_key=[k for k in wanted if k not in self.configuration or k in WRITE_ONLY],
        )

    @on(Action.change_configuration)
    async def on_change_configuration(self, key: str, value: str) -> call_result.ChangeConfiguration:
        self._got("ChangeConfiguration", key=key, value=value)
        if key not in CONFIGURATION:
            return call_result.ChangeConfiguration(status="NotSupported")
        if CONFIGURATION[key][1]:
            return call_result.ChangeConfiguration(status="Rejected")
        self.configuration[key] = value
        return call_result.ChangeConfiguration(status="Accepted")

    @on(Action.trigger_message)
    async def on_trigger_message(
        self, requested_message: str, connector_id: int | None = None
    ) -> call_result.TriggerMessage:
        self._got("TriggerMessage", requested_message=requested_message, connector_id=connector_id)
        messages = {
            "BootNotification": lambda: call.BootNotification(
                charge_point_model="Sim-16", charge_point_vendor="ladeplan"
            ),
            "Heartbeat": call.Heartbeat,
            "StatusNotification": lambda: call.StatusNotification(
                connector_id=connector_id or 0, error_code="NoError", status="Available", timestamp=_now()
            ),
            "MeterValues": lambda: call.MeterValues(
                connector_id=connector_id or 1,
                meter_value=[{"timestamp": _now(), "sampled_value": [{"value": str(self.energy_wh), "unit": "Wh"}]}],
            ),
            "FirmwareStatusNotification": lambda: call.FirmwareStatusNotification(status="Idle"),
            "DiagnosticsStatusNotification": lambda: call.DiagnosticsStatusNotification(status="Idle"),
        }
        if requested_message not in messages:
            return call_result.TriggerMessage(status="NotImplemented")
        self.followups.spawn(self.send(messages[requested_message]()), f"trigger {requested_message}")
        return call_result.TriggerMessage(status="Accepted")

    @on(Action.clear_cache)
    async def on_clear_cache(self) -> call_result.ClearCache:
        self._got("ClearCache")
        return call_result.ClearCache(status="Accepted")

    @on(Action.data_transfer)
    async def on_data_transfer(
        self, vendor_id: str, message_id: str | None = None, data: str | None = None
    ) -> call_result.DataTransfer:
        self._got("DataTransfer", vendor_id=vendor_id, message_id=message_id, data=data)
        if vendor_id != "org.ladeplan.sim":
            return call_result.DataTransfer(status="UnknownVendorId")
        return call_result.DataTransfer(status="Accepted", data=data)

    @on(Action.update_firmware)
    async def on_update_firmware(self, location: str, retrieve_date: str, **options: Any) -> call_result.UpdateFirmware:
        self._got("UpdateFirmware", location=location, retrieve_date=retrieve_date, **options)
        steps = ("Downloading", "Downloaded", "Installing", "Installed")
        self.followups.spawn(self._statuses(call.FirmwareStatusNotification, steps), "firmware update")
        return call_result.UpdateFirmware()

    @on(Action.get_diagnostics)
    async def on_get_diagnostics(self, location: str, **options: Any) -> call_result.GetDiagnostics:
        self._got("GetDiagnostics", location=location, **options)
        steps = ("Uploading", "Uploaded")
        self.followups.spawn(self._statuses(call.DiagnosticsStatusNotification, steps), "diagnostics upload")
        return call_result.GetDiagnostics(file_name=f"{self.id}-diagnostics.log")

    @on(Action.send_local_list)
    async def on_send_local_list(
        self, list_version: int, update_type: str, local_authorization_list: list[dict[str, Any]] | None = None
    ) -> call_result.SendLocalList:
        entries = local_authorization_list or []
        self._got("SendLocalList", list_version=list_version, update_type=update_type, entries=entries)
        if update_type == "Differential" and list_version <= self.local_list_version:
            return call_result.SendLocalList(status="VersionMismatch")
        if update_type == "Full":
            self.local_list = {}
        for entry in entries:
            if "id_tag_info" in entry:
                self.local_list[entry["id_tag"]] = entry["id_tag_info"]
            else:
                self.local_list.pop(entry["id_tag"], None)
        self.local_list_version = list_version
        return call_result.SendLocalList(status="Accepted")

    @on(Action.get_local_list_version)
    async def on_get_local_list_version(self) -> call_result.GetLocalListVersion:
        self._got("GetLocalListVersion")
        return call_result.GetLocalListVersion(list_version=self.local_list_version)

    @on(Action.reserve_now)
    async def on_reserve_now(
        self, connector_id: int, expiry_date: str, id_tag: str, reservation_id: int, **options: Any
    ) -> call_result.ReserveNow:
        self._got("ReserveNow", connector_id=connector_id, id_tag=id_tag, reservation_id=reservation_id, **options)
        self.reservations[reservation_id] = {"connector_id": connector_id, "id_tag": id_tag, "expiry_date": expiry_date}
        return call_result.ReserveNow(status="Accepted")

    @on(Action.cancel_reservation)
    async def on_cancel_reservation(self, reservation_id: int) -> call_result.CancelReservation:
        self._got("CancelReservation", reservation_id=reservation_id)
        known = self.reservations.pop(reservation_id, None) is not None
        return call_result.CancelReservation(status="Accepted" if known else "Rejected")

    @on(Action.clear_charging_profile)
    async def on_clear_charging_profile(self, **criteria: Any) -> call_result.ClearChargingProfile:
        self._got("ClearChargingProfile", **criteria)

        def matches(profile: dict[str, Any]) -> bool:
            if criteria.get("id") is not None:
                return bool(profile["charging_profile_id"] == criteria["id"])
            fields = ("connector_id", "charging_profile_purpose", "stack_level")
            return all(criteria.get(name) is None or profile.get(name) == criteria[name] for name in fields)

        kept = [profile for profile in self.profiles if not matches(profile)]
        cleared = len(kept) < len(self.profiles)
        self.profiles[:] = kept
        return call_result.ClearChargingProfile(status="Accepted" if cleared else "Unknown")

    @on(Action.get_composite_schedule)
    async def on_get_composite_schedule(
        self, connector_id: int, duration: int, charging_rate_unit: str | None = None
    ) -> call_result.GetCompositeSchedule:
        self._got("GetCompositeSchedule", connector_id=connector_id, duration=duration, unit=charging_rate_unit)
        start = datetime.now(UTC)
        unit = charging_rate_unit or "A"
        return call_result.GetCompositeSchedule(
            status="Accepted",
            connector_id=connector_id,
            schedule_start=start.isoformat().replace("+00:00", "Z"),
            charging_schedule={
                "duration": duration,
                "charging_rate_unit": unit,
                "charging_schedule_period": self.book.composite(start, duration, connector_id, unit),
            },
        )

    # --- notifications -------------------------------------------------------------------------

    async def send(self, payload: Any) -> Any:
        return await self.call(payload)

    async def _statuses(self, message: Any, steps: tuple[str, ...]) -> None:
        for status in steps:
            await self.call(message(status=status))

    async def firmware_status(self, status: str) -> Any:
        return await self.call(call.FirmwareStatusNotification(status=status))

    async def diagnostics_status(self, status: str) -> Any:
        return await self.call(call.DiagnosticsStatusNotification(status=status))

    async def security_event(self, type: str, tech_info: str | None = None) -> Any:
        """1.6 security extension (OCPP 1.6 Security Whitepaper)."""
        return await self.call(call.SecurityEventNotification(type=type, timestamp=_now(), tech_info=tech_info))

    async def log_status(self, status: str, request_id: int) -> Any:
        return await self.call(call.LogStatusNotification(status=status, request_id=request_id))

    async def signed_firmware_status(self, status: str, request_id: int) -> Any:
        return await self.call(call.SignedFirmwareStatusNotification(status=status, request_id=request_id))
