"""A 2.0.1/2.1 charging station's answers to every CSMS command of the functional blocks ladeplan uses.

State is kept (device model variables, local list, reservations, profiles) so answers follow from
earlier commands; reports, firmware and log progress and triggered messages follow as a real
station sends them (``station2_notify.py``). ``_call``/``_call_result`` are the version's modules.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ocpp.messages import MessageType
from ocpp.routing import on
from ocpp.v201.enums import Action

from ladeplan.simulator.followups import Followups
from ladeplan.simulator.smart_charging import ProfileBook
from ladeplan.simulator.station2_notify import Notify2, now_iso


@dataclass
class Variable:
    value: str
    mutability: str  # ReadOnly, WriteOnly, ReadWrite
    data_type: str
    unit: str | None = None


def device_model() -> dict[tuple[str, str], Variable]:
    return {
        ("ChargingStation", "Model"): Variable("Sim-2", "ReadOnly", "string"),
        ("ChargingStation", "VendorName"): Variable("ladeplan", "ReadOnly", "string"),
        ("OCPPCommCtrlr", "HeartbeatInterval"): Variable("300", "ReadWrite", "integer", "s"),
        ("SampledDataCtrlr", "TxUpdatedInterval"): Variable("60", "ReadWrite", "integer", "s"),
        ("AuthCtrlr", "LocalAuthorizeOffline"): Variable("true", "ReadWrite", "boolean"),
        ("SecurityCtrlr", "BasicAuthPassword"): Variable("", "WriteOnly", "string"),
    }


class Station2(Notify2):
    """Mixed into ``Sim201``/``Sim21`` before the ``ocpp`` package's ChargePoint."""

    profiles: list[dict[str, Any]]
    book: ProfileBook

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.calls_received: list[str] = []  # every CALL's action, as it came off the wire
        self.variables = device_model()
        self.local_list_version = 0
        self.local_list: dict[str, dict[str, Any]] = {}
        self.reservations: dict[int, dict[str, Any]] = {}
        self.followups = Followups(self.id)

    def _got(self, action: str, **payload: Any) -> None:
        self.received.append((action, payload))

    async def route_message(self, raw_msg: str) -> None:
        frame = json.loads(raw_msg)
        if isinstance(frame, list) and frame and frame[0] == MessageType.Call:
            self.calls_received.append(str(frame[2]))
        await super().route_message(raw_msg)  # type: ignore[misc]

    async def _report(self, request_id: int) -> None:
        await self.notify_report(request_id)

    async def _profiles(self, request_id: int, profiles: list[dict[str, Any]]) -> None:
        await self.report_charging_profiles(request_id, profiles)

    @on(Action.reset)
    async def on_reset(self, type: str, evse_id: int | None = None, **_: Any) -> Any:
        self._got("Reset", type=type, evse_id=evse_id)
        return self._call_result.Reset(status="Accepted")

    @on(Action.unlock_connector)
    async def on_unlock_connector(self, evse_id: int, connector_id: int, **_: Any) -> Any:
        self._got("UnlockConnector", evse_id=evse_id, connector_id=connector_id)
        return self._call_result.UnlockConnector(status="Unlocked" if evse_id == 1 else "UnknownConnector")

    @on(Action.change_availability)
    async def on_change_availability(
        self, operational_status: str, evse: dict[str, Any] | None = None, **_: Any
    ) -> Any:
        self._got("ChangeAvailability", operational_status=operational_status, evse=evse)
        return self._call_result.ChangeAvailability(status="Accepted")

    def _lookup(self, item: dict[str, Any]) -> tuple[str, Variable | None]:
        component, variable = item["component"]["name"], item["variable"]["name"]
        if not any(key[0] == component for key in self.variables):
            return "UnknownComponent", None
        found = self.variables.get((component, variable))
        return ("Accepted", found) if found else ("UnknownVariable", None)

    @on(Action.get_variables)
    async def on_get_variables(self, get_variable_data: list[dict[str, Any]], **_: Any) -> Any:
        self._got("GetVariables", get_variable_data=get_variable_data)
        results = []
        for item in get_variable_data:
            status, found = self._lookup(item)
            result = {"component": item["component"], "variable": item["variable"]}
            if found is not None and found.mutability == "WriteOnly":
                status = "Rejected"
            if found is not None and status == "Accepted":
                result["attribute_value"] = found.value
            results.append({"attribute_status": status, **result})
        return self._call_result.GetVariables(get_variable_result=results)

    @on(Action.set_variables)
    async def on_set_variables(self, set_variable_data: list[dict[str, Any]], **_: Any) -> Any:
        self._got("SetVariables", set_variable_data=set_variable_data)
        results = []
        for item in set_variable_data:
            status, found = self._lookup(item)
            if found is not None and found.mutability == "ReadOnly":
                status = "Rejected"
            elif found is not None:
                found.value = item["attribute_value"]
            results.append({"attribute_status": status, "component": item["component"], "variable": item["variable"]})
        return self._call_result.SetVariables(set_variable_result=results)

    @on(Action.get_base_report)
    async def on_get_base_report(self, request_id: int, report_base: str, **_: Any) -> Any:
        self._got("GetBaseReport", request_id=request_id, report_base=report_base)
        self.followups.spawn(self._report(request_id), "base report")
        return self._call_result.GetBaseReport(status="Accepted")

    @on(Action.trigger_message)
    async def on_trigger_message(self, requested_message: str, evse: dict[str, Any] | None = None, **_: Any) -> Any:
        self._got("TriggerMessage", requested_message=requested_message, evse=evse)
        evse_id, connector_id = (evse or {}).get("id", 1), (evse or {}).get("connector_id", 1)
        messages = {
            "BootNotification": lambda: self._call.BootNotification(
                charging_station={"model": "Sim-2", "vendor_name": "ladeplan"}, reason="Triggered"
            ),
            "Heartbeat": self._call.Heartbeat,
            "StatusNotification": lambda: self._call.StatusNotification(
                timestamp=now_iso(), connector_status="Available", evse_id=evse_id, connector_id=connector_id
            ),
            "MeterValues": lambda: self._call.MeterValues(evse_id=evse_id, meter_value=[self.energy_reading()]),
            "FirmwareStatusNotification": lambda: self._call.FirmwareStatusNotification(status="Idle"),
            "LogStatusNotification": lambda: self._call.LogStatusNotification(status="Idle"),
        }
        if requested_message == "TransactionEvent":
            return self._call_result.TriggerMessage(status="Rejected")  # no transaction is running
        if requested_message not in messages:
            return self._call_result.TriggerMessage(status="NotImplemented")
        self.followups.spawn(self.send(messages[requested_message]()), f"trigger {requested_message}")
        return self._call_result.TriggerMessage(status="Accepted")

    @on(Action.clear_cache)
    async def on_clear_cache(self, **_: Any) -> Any:
        self._got("ClearCache")
        return self._call_result.ClearCache(status="Accepted")

    @on(Action.data_transfer)
    async def on_data_transfer(self, vendor_id: str, message_id: str | None = None, data: Any = None, **_: Any) -> Any:
        self._got("DataTransfer", vendor_id=vendor_id, message_id=message_id, data=data)
        if vendor_id != "org.ladeplan.sim":
            return self._call_result.DataTransfer(status="UnknownVendorId")
        return self._call_result.DataTransfer(status="Accepted", data=data)

    @on(Action.update_firmware)
    async def on_update_firmware(self, request_id: int, firmware: dict[str, Any], **options: Any) -> Any:
        self._got("UpdateFirmware", request_id=request_id, firmware=firmware, **options)
        steps = ["Downloading", "Downloaded", "Installing", "Installed"]
        if firmware.get("signature"):
            steps.insert(2, "SignatureVerified")
        self.followups.spawn(self.progress(self._call.FirmwareStatusNotification, steps, request_id), "firmware")
        return self._call_result.UpdateFirmware(status="Accepted")

    @on(Action.get_log)
    async def on_get_log(self, log: dict[str, Any], log_type: str, request_id: int, **options: Any) -> Any:
        self._got("GetLog", log=log, log_type=log_type, request_id=request_id, **options)
        steps = ["Uploading", "Uploaded"]
        self.followups.spawn(self.progress(self._call.LogStatusNotification, steps, request_id), "log upload")
        return self._call_result.GetLog(status="Accepted", filename=f"{self.id}-{log_type}.log")

    @on(Action.send_local_list)
    async def on_send_local_list(
        self,
        version_number: int,
        update_type: str,
        local_authorization_list: list[dict[str, Any]] | None = None,
        **_: Any,
    ) -> Any:
        entries = local_authorization_list or []
        self._got("SendLocalList", version_number=version_number, update_type=update_type, entries=entries)
        if update_type == "Differential" and version_number <= self.local_list_version:
            return self._call_result.SendLocalList(status="VersionMismatch")
        if update_type == "Full":
            self.local_list = {}
        for entry in entries:
            uid = entry["id_token"]["id_token"]
            if "id_token_info" in entry:
                self.local_list[uid] = entry["id_token_info"]
            else:
                self.local_list.pop(uid, None)
        self.local_list_version = version_number
        return self._call_result.SendLocalList(status="Accepted")

    @on(Action.get_local_list_version)
    async def on_get_local_list_version(self, **_: Any) -> Any:
        self._got("GetLocalListVersion")
        return self._call_result.GetLocalListVersion(version_number=self.local_list_version)

    @on(Action.reserve_now)
    async def on_reserve_now(self, id: int, expiry_date_time: str, id_token: dict[str, Any], **options: Any) -> Any:
        self._got("ReserveNow", id=id, expiry_date_time=expiry_date_time, id_token=id_token, **options)
        self.reservations[id] = {"id_token": id_token, "expiry_date_time": expiry_date_time, **options}
        return self._call_result.ReserveNow(status="Accepted")

    @on(Action.cancel_reservation)
    async def on_cancel_reservation(self, reservation_id: int, **_: Any) -> Any:
        self._got("CancelReservation", reservation_id=reservation_id)
        known = self.reservations.pop(reservation_id, None) is not None
        return self._call_result.CancelReservation(status="Accepted" if known else "Rejected")

    @on(Action.clear_charging_profile)
    async def on_clear_charging_profile(
        self, charging_profile_id: int | None = None, charging_profile_criteria: dict[str, Any] | None = None, **_: Any
    ) -> Any:
        criteria = charging_profile_criteria or {}
        self._got("ClearChargingProfile", charging_profile_id=charging_profile_id, criteria=criteria)

        def matches(profile: dict[str, Any]) -> bool:
            if charging_profile_id is not None:
                return bool(profile["id"] == charging_profile_id)
            fields = ("evse_id", "charging_profile_purpose", "stack_level")
            return all(criteria.get(name) is None or profile.get(name) == criteria[name] for name in fields)

        kept = [profile for profile in self.profiles if not matches(profile)]
        cleared = len(kept) < len(self.profiles)
        self.profiles[:] = kept
        return self._call_result.ClearChargingProfile(status="Accepted" if cleared else "Unknown")

    @on(Action.get_charging_profiles)
    async def on_get_charging_profiles(
        self, request_id: int, charging_profile: dict[str, Any], evse_id: int | None = None, **_: Any
    ) -> Any:
        self._got("GetChargingProfiles", request_id=request_id, criterion=charging_profile, evse_id=evse_id)
        purpose = charging_profile.get("charging_profile_purpose")
        found = [
            p
            for p in self.profiles
            if (evse_id is None or p["evse_id"] == evse_id) and purpose in (None, p["charging_profile_purpose"])
        ]
        if not found:
            return self._call_result.GetChargingProfiles(status="NoProfiles")
        self.followups.spawn(self._profiles(request_id, found), "charging profiles report")
        return self._call_result.GetChargingProfiles(status="Accepted")

    @on(Action.get_composite_schedule)
    async def on_get_composite_schedule(
        self, duration: int, evse_id: int, charging_rate_unit: str | None = None, **_: Any
    ) -> Any:
        self._got("GetCompositeSchedule", duration=duration, evse_id=evse_id, charging_rate_unit=charging_rate_unit)
        start = datetime.now(UTC)
        unit = charging_rate_unit or "A"
        schedule = {
            "evse_id": evse_id,
            "duration": duration,
            "schedule_start": start.isoformat().replace("+00:00", "Z"),
            "charging_rate_unit": unit,
            "charging_schedule_period": self.book.composite(start, duration, evse_id, unit),
        }
        return self._call_result.GetCompositeSchedule(status="Accepted", schedule=schedule)
