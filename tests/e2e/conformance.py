"""The operator commands the conformance tests send, per OCPP version family, and what they must do.

Both conformance tests use this table: the Python simulator (``ocpp`` package) and the strict npm
client (``ocpp-rpc``). ``status``/``detail``/``check`` describe the simulator's answers, which follow
from its state (a second cancel of one reservation is refused, ...); ``action`` is the OCPP CALL the
charge point must receive (None: the command is ``not_supported`` on that version and never sent).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from tests.e2e.support import Stack


@dataclass(frozen=True)
class Case:
    kind: str
    body: dict[str, Any]
    action: str | None
    status: str = "accepted"
    detail: str | None = None
    check: Callable[[dict[str, Any]], bool] = field(default=lambda response: True)

    @property
    def name(self) -> str:
        return f"{self.kind}{self.body}"


def _later(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


PROFILE = {"id": 901, "purpose": "tx_default", "unit": "A", "periods": [{"start_offset_s": 0, "limit": 16}]}
LOCAL_LIST = {
    "version": 1,
    "update": "full",
    "entries": [{"token_uid": "LOCAL-1", "status": "accepted", "expires_at": _later(24)}],
}
HEARTBEAT_VARIABLE = {"component": "OCPPCommCtrlr", "variable": "HeartbeatInterval"}


def _common(transaction_ref: str, start: str, stop: str, log: str) -> list[Case]:
    """Commands every version sends, with the version's names of start, stop and log upload."""
    return [
        Case("remote_start", {"token_uid": "CONF-TOKEN", "evse_id": 1}, start),
        Case("remote_stop", {"transaction_ref": transaction_ref}, stop),
        Case("set_charging_profile", {"evse_id": 1, "profile": PROFILE}, "SetChargingProfile"),
        Case("reset", {"mode": "hard"}, "Reset"),
        Case("unlock_connector", {"evse_id": 1}, "UnlockConnector", detail="Unlocked"),
        Case("change_availability", {"operative": False, "evse_id": 1}, "ChangeAvailability"),
        Case("trigger_message", {"message": "status_notification", "evse_id": 1}, "TriggerMessage"),
        Case("clear_cache", {}, "ClearCache"),
        Case("update_firmware", {"location": "https://fw.example/sim.bin", "retrieve_at": _later(0)}, "UpdateFirmware"),
        Case("send_local_list", LOCAL_LIST, "SendLocalList"),
        Case(
            "reserve_now",
            {"reservation_id": 5, "token_uid": "LOCAL-1", "expires_at": _later(1), "evse_id": 1},
            "ReserveNow",
        ),
        Case("cancel_reservation", {"reservation_id": 5}, "CancelReservation"),
        Case("cancel_reservation", {"reservation_id": 5}, "CancelReservation", status="rejected", detail="Rejected"),
        Case("clear_charging_profile", {"profile_id": 901}, "ClearChargingProfile"),
        Case(
            "clear_charging_profile", {"profile_id": 901}, "ClearChargingProfile", status="rejected", detail="Unknown"
        ),
        Case("get_log", {"location": "ftp://logs.example/upload"}, log),
    ]


V16 = [
    *_common("77", "RemoteStartTransaction", "RemoteStopTransaction", "GetDiagnostics"),
    Case("set_charging_profile", {"evse_id": 1, "profile": PROFILE}, "SetChargingProfile"),
    Case(
        "get_composite_schedule",
        {"duration_s": 3600, "evse_id": 1, "unit": "A"},
        "GetCompositeSchedule",
        check=lambda r: r["charging_schedule"]["charging_schedule_period"][0]["limit"] == 16.0,
    ),
    Case("reset", {"mode": "on_idle"}, None, status="not_supported"),
    Case(
        "get_configuration",
        {"keys": ["HeartbeatInterval", "NoSuchKey"]},
        "GetConfiguration",
        detail="unknown keys: NoSuchKey",
        check=lambda r: r["configuration_key"][0] == {"key": "HeartbeatInterval", "readonly": False, "value": "300"},
    ),
    Case("set_configuration", {"key": "HeartbeatInterval", "value": "120"}, "ChangeConfiguration"),
    Case("set_configuration", {"key": "NumberOfConnectors", "value": "3"}, "ChangeConfiguration", status="rejected"),
    Case("get_variables", {"variables": [HEARTBEAT_VARIABLE]}, None, status="not_supported"),
    Case("set_variables", {"variables": [{**HEARTBEAT_VARIABLE, "value": "60"}]}, None, status="not_supported"),
    Case("get_base_report", {"request_id": 1, "report": "summary_inventory"}, None, status="not_supported"),
    Case("trigger_message", {"message": "transaction_event"}, None, status="not_supported"),
    Case(
        "data_transfer",
        {"vendor_id": "org.ladeplan.sim", "message_id": "Echo", "data": "ping"},
        "DataTransfer",
        check=lambda r: r["data"] == "ping",
    ),
    Case("get_log", {"location": "ftp://logs.example/upload", "log_type": "security"}, None, status="not_supported"),
    Case("get_local_list_version", {}, "GetLocalListVersion", check=lambda r: r["list_version"] == 1),
    Case("get_charging_profiles", {"request_id": 3}, None, status="not_supported"),
]

V2 = [
    *_common("tx-77", "RequestStartTransaction", "RequestStopTransaction", "GetLog"),
    Case("set_charging_profile", {"evse_id": 1, "profile": PROFILE}, "SetChargingProfile"),
    Case("get_charging_profiles", {"request_id": 61, "evse_id": 1}, "GetChargingProfiles"),
    Case(
        "get_composite_schedule",
        {"duration_s": 3600, "evse_id": 1, "unit": "A"},
        "GetCompositeSchedule",
        check=lambda r: r["schedule"]["charging_schedule_period"][0]["limit"] == 16.0,
    ),
    Case("reset", {"mode": "on_idle", "evse_id": 1}, "Reset"),
    Case("get_configuration", {"keys": ["HeartbeatInterval"]}, None, status="not_supported"),
    Case("set_configuration", {"key": "HeartbeatInterval", "value": "120"}, None, status="not_supported"),
    Case(
        "set_variables",
        {"variables": [{**HEARTBEAT_VARIABLE, "value": "120"}]},
        "SetVariables",
        detail="1 of 1 accepted",
    ),
    Case(
        "get_variables",
        {"variables": [HEARTBEAT_VARIABLE, {"component": "NoSuchCtrlr", "variable": "X"}]},
        "GetVariables",
        status="rejected",
        detail="1 of 2 accepted; NoSuchCtrlr.X: UnknownComponent",
        check=lambda r: r["get_variable_result"][0]["attribute_value"] == "120",
    ),
    Case("get_base_report", {"request_id": 62, "report": "full_inventory"}, "GetBaseReport"),
    Case("trigger_message", {"message": "transaction_event", "evse_id": 1}, "TriggerMessage", status="rejected"),
    Case(
        "data_transfer",
        {"vendor_id": "org.ladeplan.sim", "message_id": "Echo", "data": {"n": [1, 2]}},
        "DataTransfer",
        check=lambda r: r["data"] == {"n": [1, 2]},
    ),
    Case("get_log", {"location": "ftp://logs.example/upload", "log_type": "security", "request_id": 63}, "GetLog"),
    Case("get_local_list_version", {}, "GetLocalListVersion", check=lambda r: r["version_number"] == 1),
]


def cases_for(version: str) -> list[Case]:
    return V16 if version == "1.6" else V2


async def send_command(http: aiohttp.ClientSession, stack: Stack, cp_id: str, case: Case) -> dict[str, Any]:
    url = f"{stack.masterdata_url}/charge-points/{cp_id}/commands/{case.kind}"
    async with http.post(url, json={**case.body, "timeout_s": 10}) as response:
        assert response.status == 200, f"{case.name}: {response.status} {await response.text()}"
        reply: dict[str, Any] = await response.json()
        return reply
