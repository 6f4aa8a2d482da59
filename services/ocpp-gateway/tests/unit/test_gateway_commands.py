"""Contract commands to OCPP 1.6 / 2.0.1 / 2.1 CALLs, checked against the official JSON schemas."""

from __future__ import annotations

import itertools
import typing
from datetime import UTC, datetime
from typing import Any

import pytest
from ocpp.charge_point import remove_nones, snake_to_camel_case
from ocpp.messages import Call, validate_payload
from pydantic import ValidationError

from ladeplan_contracts.commands import (
    ChargingProfile,
    ChargingSchedulePeriod,
    CommandBody,
    RemoteStart,
    RemoteStop,
    SetChargingProfile,
)
from ladeplan_contracts.commands_charging import (
    CancelReservation,
    ClearChargingProfile,
    GetChargingProfiles,
    GetCompositeSchedule,
    GetLocalListVersion,
    LocalAuthEntry,
    ReserveNow,
    SendLocalList,
)
from ladeplan_contracts.commands_device import (
    ChangeAvailability,
    ClearCache,
    DataTransfer,
    GetBaseReport,
    GetConfiguration,
    GetLog,
    GetVariables,
    Reset,
    SetConfiguration,
    SetVariables,
    TriggerMessage,
    UnlockConnector,
    UpdateFirmware,
    VariableRef,
    VariableValue,
)
from ladeplan_contracts.commands_security import SetBasicAuthPassword
from ocpp_gateway.domain.command_calls import Inapplicable, OcppCall, Unsupported
from ocpp_gateway.domain.commands_v2 import to_v2
from ocpp_gateway.domain.commands_v16 import to_v16

pytestmark = pytest.mark.unit

WHEN = datetime(2026, 11, 25, 10, 30, tzinfo=UTC)
PROFILE = ChargingProfile(
    id=3,
    purpose="tx_default",
    unit="A",
    periods=[ChargingSchedulePeriod(start_offset_s=0, limit=16), ChargingSchedulePeriod(start_offset_s=600, limit=8)],
)

SAMPLES: list[CommandBody] = [
    RemoteStart(token_uid="TOKEN-1", evse_id=1, charging_profile=PROFILE.model_copy(update={"purpose": "tx"})),
    RemoteStop(transaction_ref="42"),
    SetChargingProfile(evse_id=0, profile=PROFILE),
    Reset(mode="soft"),
    Reset(mode="on_idle", evse_id=2),
    UnlockConnector(evse_id=1),
    ChangeAvailability(operative=False, evse_id=1),
    ChangeAvailability(operative=True),
    GetConfiguration(keys=["HeartbeatInterval", "MeterValueSampleInterval"]),
    GetConfiguration(),
    SetConfiguration(key="HeartbeatInterval", value="120"),
    GetVariables(
        variables=[
            VariableRef(component="OCPPCommCtrlr", variable="HeartbeatInterval"),
            VariableRef(component="EVSE", evse_id=1, connector_id=1, variable="Power", attribute="max_set"),
        ]
    ),
    SetVariables(variables=[VariableValue(component="OCPPCommCtrlr", variable="HeartbeatInterval", value="120")]),
    GetBaseReport(request_id=7, report="full_inventory"),
    TriggerMessage(message="status_notification", evse_id=1),
    TriggerMessage(message="log_status"),
    TriggerMessage(message="transaction_event", evse_id=1, connector_id=1),
    ClearCache(),
    DataTransfer(vendor_id="com.example", message_id="Ping", data={"nested_key": [1, 2]}),
    UpdateFirmware(location="https://fw.example/v2.bin", retrieve_at=WHEN, retries=3, retry_interval_s=60),
    UpdateFirmware(
        location="https://fw.example/v3.bin", retrieve_at=WHEN, install_at=WHEN, signature="c2ln", request_id=9
    ),
    GetLog(location="ftp://logs.example/up", oldest=WHEN, latest=WHEN, request_id=11),
    GetLog(location="ftp://logs.example/up", log_type="security"),
    SendLocalList(
        version=4,
        update="full",
        entries=[
            LocalAuthEntry(token_uid="AA11", status="accepted", expires_at=WHEN),
            LocalAuthEntry(token_uid="BB22", status="blocked"),
        ],
    ),
    SendLocalList(version=5, update="differential", entries=[LocalAuthEntry(token_uid="AA11")]),
    SendLocalList(version=6, update="full"),
    GetLocalListVersion(),
    ReserveNow(reservation_id=5, token_uid="AA11", expires_at=WHEN, evse_id=1, group_token_uid="GROUP1"),
    ReserveNow(reservation_id=6, token_uid="AA11", expires_at=WHEN),
    CancelReservation(reservation_id=5),
    ClearChargingProfile(profile_id=3),
    ClearChargingProfile(evse_id=1, purpose="tx_default", stack_level=0),
    ClearChargingProfile(),
    ClearChargingProfile(purpose="external_constraints"),
    GetChargingProfiles(request_id=12, evse_id=1, purpose="tx", profile_ids=[3], sources=["cso", "ems"]),
    GetChargingProfiles(request_id=13),
    GetCompositeSchedule(duration_s=3600, evse_id=1, unit="W"),
    SetBasicAuthPassword(password="0123456789abcdefXYZ!"),
]

# (version family, sample index) pairs that must be answered not_supported; everything else maps.
NOT_SUPPORTED_V16 = {
    "reset:on_idle",
    "get_variables",
    "set_variables",
    "get_base_report",
    "trigger_message:transaction_event",
    "update_firmware:signed",
    "get_log:security",
    "clear_charging_profile:external_constraints",
    "get_charging_profiles",
}
NOT_SUPPORTED_V2 = {"get_configuration", "set_configuration"}


def label(command: CommandBody) -> str:
    """A sample's name in the tables above."""
    qualifier = {
        "reset": getattr(command, "mode", ""),
        "trigger_message": getattr(command, "message", ""),
        "update_firmware": "signed" if getattr(command, "signature", None) else "",
        "get_log": getattr(command, "log_type", ""),
        "clear_charging_profile": getattr(command, "purpose", "") or "",
    }.get(command.kind, "")
    return (
        f"{command.kind}:{qualifier}"
        if qualifier in {"on_idle", "transaction_event", "signed", "security", "external_constraints"}
        else command.kind
    )


def mapped(version: str, command: CommandBody) -> OcppCall:
    ids = itertools.count(1000)
    return to_v16(command) if version == "1.6" else to_v2(command, new_id=lambda: next(ids))


async def check_schema(version: str, call: OcppCall) -> None:
    await validate_payload(Call("test-1", call.action, remove_nones(snake_to_camel_case(call.payload))), version)


def test_every_command_kind_has_a_sample() -> None:
    union = typing.get_args(typing.get_args(CommandBody)[0])
    kinds = {model.model_fields["kind"].default for model in union}
    assert kinds == {command.kind for command in SAMPLES}
    assert len(kinds) == 24


@pytest.mark.parametrize("version", ["1.6", "2.0.1", "2.1"])
@pytest.mark.parametrize("command", SAMPLES, ids=lambda c: f"{label(c)}")
async def test_each_command_is_a_schema_valid_call_or_not_supported(version: str, command: CommandBody) -> None:
    unsupported = NOT_SUPPORTED_V16 if version == "1.6" else NOT_SUPPORTED_V2
    if label(command) in unsupported:
        with pytest.raises(Unsupported):
            mapped(version, command)
        return
    await check_schema(version, mapped(version, command))


@pytest.mark.parametrize(
    ("mode", "v16", "v2"),
    [
        ("soft", "Soft", "Immediate"),
        ("hard", "Hard", "Immediate"),
        ("immediate", "Hard", "Immediate"),
        ("on_idle", None, "OnIdle"),
    ],
)
def test_reset_modes_per_version(mode: Any, v16: str | None, v2: str) -> None:
    command = Reset(mode=mode)
    assert mapped("2.0.1", command).payload == {"type": v2}
    if v16 is None:
        with pytest.raises(Unsupported, match="idle"):
            to_v16(command)
    else:
        assert to_v16(command).payload == {"type": v16}
    with pytest.raises(Unsupported, match="whole charge point"):
        to_v16(Reset(mode="hard", evse_id=1))


def test_v16_addresses_connectors_by_evse_id_and_zero_for_the_whole_charge_point() -> None:
    assert to_v16(UnlockConnector(evse_id=2)) == OcppCall("UnlockConnector", {"connector_id": 2})
    assert to_v16(ChangeAvailability(operative=True)).payload == {"connector_id": 0, "type": "Operative"}
    assert to_v16(ReserveNow(reservation_id=1, token_uid="A", expires_at=WHEN)).payload["connector_id"] == 0
    assert mapped("2.1", ChangeAvailability(operative=False, evse_id=2, connector_id=1)).payload == {
        "operational_status": "Inoperative",
        "evse": {"id": 2, "connector_id": 1},
    }


def test_v16_id_tags_longer_than_20_characters_cannot_be_sent() -> None:
    with pytest.raises(Inapplicable, match="at most 20"):
        to_v16(RemoteStart(token_uid="X" * 21))
    with pytest.raises(Inapplicable, match="integers"):
        to_v16(RemoteStop(transaction_ref="tx-abc"))


def test_triggers_name_each_versions_message() -> None:
    assert to_v16(TriggerMessage(message="log_status")).payload == {
        "requested_message": "DiagnosticsStatusNotification"
    }
    assert mapped("2.0.1", TriggerMessage(message="log_status", evse_id=1)).payload == {
        "requested_message": "LogStatusNotification",
        "evse": {"id": 1},
    }


def test_data_transfer_is_text_on_16_and_json_on_2x() -> None:
    command = DataTransfer(vendor_id="v", data={"a_b": 1})
    assert to_v16(command).payload["data"] == '{"a_b": 1}'
    assert mapped("2.0.1", command).payload["data"] == {"a_b": 1}


def test_get_variables_addresses_component_evse_and_attribute() -> None:
    call = mapped("2.0.1", SAMPLES[11])
    assert call.payload["get_variable_data"][1] == {
        "attribute_type": "MaxSet",
        "component": {"name": "EVSE", "evse": {"id": 1, "connector_id": 1}},
        "variable": {"name": "Power"},
    }


def test_firmware_and_log_requests_get_an_id_when_the_operator_gave_none() -> None:
    update = mapped("2.0.1", SAMPLES[19])
    assert update.payload["request_id"] == 1000
    assert update.payload["firmware"] == {
        "location": "https://fw.example/v2.bin",
        "retrieve_date_time": "2026-11-25T10:30:00Z",
    }
    assert mapped("2.1", SAMPLES[21]).payload["request_id"] == 11
    diagnostics = to_v16(SAMPLES[21])
    assert diagnostics == OcppCall(
        "GetDiagnostics",
        {
            "location": "ftp://logs.example/up",
            "start_time": "2026-11-25T10:30:00Z",
            "stop_time": "2026-11-25T10:30:00Z",
        },
    )


def test_local_list_entries_per_version() -> None:
    v16 = to_v16(SAMPLES[23]).payload["local_authorization_list"]
    assert v16[0] == {"id_tag": "AA11", "id_tag_info": {"status": "Accepted", "expiry_date": "2026-11-25T10:30:00Z"}}
    v2 = mapped("2.0.1", SAMPLES[24]).payload
    assert v2 == {
        "version_number": 5,
        "update_type": "Differential",
        "local_authorization_list": [{"id_token": {"id_token": "AA11", "type": "ISO14443"}}],
    }
    assert "local_authorization_list" not in mapped("2.1", SAMPLES[25]).payload


def test_a_full_local_list_gives_every_token_a_status() -> None:
    with pytest.raises(ValidationError, match="full update"):
        SendLocalList(version=1, update="full", entries=[LocalAuthEntry(token_uid="A")])


def test_clear_and_get_profiles_criteria() -> None:
    assert mapped("2.0.1", SAMPLES[31]).payload == {
        "charging_profile_criteria": {"evse_id": 1, "charging_profile_purpose": "TxDefaultProfile", "stack_level": 0}
    }
    assert mapped("2.0.1", ClearChargingProfile()).payload == {}
    assert mapped("2.1", SAMPLES[34]).payload == {
        "request_id": 12,
        "evse_id": 1,
        "charging_profile": {
            "charging_profile_purpose": "TxProfile",
            "charging_profile_id": [3],
            "charging_limit_source": ["CSO", "EMS"],
        },
    }
