"""Contract commands as OCPP 1.6J CALLs (Core, Firmware Management, Local Auth List, Reservation,
Smart Charging and Remote Trigger profiles).

1.6 numbers connectors only; ladeplan treats 1.6 connector N as EVSE N, so a command's ``evse_id``
is the 1.6 ``connectorId`` (0, the charge point as a whole, where the command allows None).
"""

from __future__ import annotations

import json
from typing import assert_never

from ladeplan_contracts.commands import CommandBody, RemoteStart, RemoteStop, SetChargingProfile
from ladeplan_contracts.commands_charging import (
    CancelReservation,
    ClearChargingProfile,
    GetChargingProfiles,
    GetCompositeSchedule,
    GetLocalListVersion,
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
)
from ladeplan_contracts.commands_security import SetBasicAuthPassword
from ocpp_gateway.domain import charging_profiles, credentials
from ocpp_gateway.domain.command_calls import Inapplicable, OcppCall, Unsupported, ocpp_time, without_none

ID_TAG_MAX = 20  # 1.6 IdToken is CiString20

_TRIGGERS = {
    "boot_notification": "BootNotification",
    "heartbeat": "Heartbeat",
    "status_notification": "StatusNotification",
    "meter_values": "MeterValues",
    "firmware_status": "FirmwareStatusNotification",
    "log_status": "DiagnosticsStatusNotification",
}
_PURPOSES = {"tx": "TxProfile", "tx_default": "TxDefaultProfile", "charge_point_max": "ChargePointMaxProfile"}


def _id_tag(uid: str) -> str:
    if len(uid) > ID_TAG_MAX:
        raise Inapplicable(f"OCPP 1.6 id tags have at most {ID_TAG_MAX} characters; {uid!r} has {len(uid)}.")
    return uid


def _local_list(command: SendLocalList) -> OcppCall:
    entries = []
    for entry in command.entries:
        item: dict[str, object] = {"id_tag": _id_tag(entry.token_uid)}
        if entry.status is not None:
            info: dict[str, object] = {"status": entry.status.capitalize()}
            if entry.expires_at is not None:
                info["expiry_date"] = ocpp_time(entry.expires_at)
            item["id_tag_info"] = info
        entries.append(item)
    return OcppCall(
        "SendLocalList",
        {
            "list_version": command.version,
            "update_type": command.update.capitalize(),
            "local_authorization_list": entries,
        },
    )


def to_v16(command: CommandBody) -> OcppCall:  # noqa: PLR0912 (one case per kind)
    """The 1.6 CALL for ``command``; raises :class:`Unsupported` or :class:`Inapplicable`."""
    # One case per command kind: a dispatch table would lose mypy's exhaustiveness check (assert_never).
    match command:
        case RemoteStart():
            return OcppCall(
                "RemoteStartTransaction",
                without_none(
                    id_tag=_id_tag(command.token_uid),
                    connector_id=command.evse_id,
                    charging_profile=charging_profiles.to_v16(command.charging_profile)
                    if command.charging_profile
                    else None,
                ),
            )
        case RemoteStop():
            if not command.transaction_ref.isdigit():
                raise Inapplicable("OCPP 1.6 transaction ids are integers.")
            return OcppCall("RemoteStopTransaction", {"transaction_id": int(command.transaction_ref)})
        case SetChargingProfile():
            tx_id = command.profile.transaction_ref
            return OcppCall(
                "SetChargingProfile",
                {
                    "connector_id": command.evse_id,
                    "cs_charging_profiles": charging_profiles.to_v16(
                        command.profile, transaction_id=int(tx_id) if tx_id and tx_id.isdigit() else None
                    ),
                },
            )
        case Reset():
            if command.mode == "on_idle":
                raise Unsupported("OCPP 1.6 cannot reset once idle; use mode soft or hard.")
            if command.evse_id is not None:
                raise Unsupported("OCPP 1.6 resets the whole charge point only; leave evse_id out.")
            return OcppCall("Reset", {"type": "Soft" if command.mode == "soft" else "Hard"})
        case UnlockConnector():
            return OcppCall("UnlockConnector", {"connector_id": command.evse_id})
        case ChangeAvailability():
            return OcppCall(
                "ChangeAvailability",
                {"connector_id": command.evse_id or 0, "type": "Operative" if command.operative else "Inoperative"},
            )
        case GetConfiguration():
            return OcppCall("GetConfiguration", without_none(key=list(command.keys) or None))
        case SetConfiguration():
            credentials.refuse_password_key(command.key)
            return OcppCall("ChangeConfiguration", {"key": command.key, "value": command.value})
        case GetVariables() | SetVariables():
            raise Unsupported("OCPP 1.6 has configuration keys, not device model variables; use get/set_configuration.")
        case GetBaseReport():
            raise Unsupported("OCPP 1.6 has no device model reports; use get_configuration.")
        case TriggerMessage():
            if command.message not in _TRIGGERS:
                raise Unsupported(f"OCPP 1.6 cannot trigger {command.message}.")
            return OcppCall(
                "TriggerMessage",
                without_none(requested_message=_TRIGGERS[command.message], connector_id=command.evse_id),
            )
        case ClearCache():
            return OcppCall("ClearCache", {})
        case DataTransfer():
            data = command.data if command.data is None or isinstance(command.data, str) else json.dumps(command.data)
            return OcppCall(
                "DataTransfer", without_none(vendor_id=command.vendor_id, message_id=command.message_id, data=data)
            )
        case UpdateFirmware():
            if command.signature is not None or command.signing_certificate is not None:
                raise Unsupported("OCPP 1.6 UpdateFirmware carries no signature; signed updates need 2.x.")
            return OcppCall(
                "UpdateFirmware",
                without_none(
                    location=command.location,
                    retrieve_date=ocpp_time(command.retrieve_at),
                    retries=command.retries,
                    retry_interval=command.retry_interval_s,
                ),
            )
        case GetLog():
            if command.log_type != "diagnostics":
                raise Unsupported("OCPP 1.6 uploads diagnostics only (GetDiagnostics).")
            return OcppCall(
                "GetDiagnostics",
                without_none(
                    location=command.location,
                    retries=command.retries,
                    retry_interval=command.retry_interval_s,
                    start_time=ocpp_time(command.oldest) if command.oldest else None,
                    stop_time=ocpp_time(command.latest) if command.latest else None,
                ),
            )
        case SendLocalList():
            return _local_list(command)
        case GetLocalListVersion():
            return OcppCall("GetLocalListVersion", {})
        case ReserveNow():
            return OcppCall(
                "ReserveNow",
                without_none(
                    connector_id=command.evse_id or 0,
                    expiry_date=ocpp_time(command.expires_at),
                    id_tag=_id_tag(command.token_uid),
                    reservation_id=command.reservation_id,
                    parent_id_tag=_id_tag(command.group_token_uid) if command.group_token_uid else None,
                ),
            )
        case CancelReservation():
            return OcppCall("CancelReservation", {"reservation_id": command.reservation_id})
        case ClearChargingProfile():
            if command.purpose == "external_constraints":
                raise Unsupported("OCPP 1.6 has no external constraint profiles.")
            return OcppCall(
                "ClearChargingProfile",
                without_none(
                    id=command.profile_id,
                    connector_id=command.evse_id,
                    charging_profile_purpose=_PURPOSES[command.purpose] if command.purpose else None,
                    stack_level=command.stack_level,
                ),
            )
        case GetChargingProfiles():
            raise Unsupported("OCPP 1.6 cannot report its charging profiles; use get_composite_schedule.")
        case GetCompositeSchedule():
            return OcppCall(
                "GetCompositeSchedule",
                without_none(
                    connector_id=command.evse_id, duration=command.duration_s, charging_rate_unit=command.unit
                ),
            )
        case SetBasicAuthPassword():
            return credentials.authorization_key_call(command.password.get_secret_value())
        case _:
            assert_never(command)
