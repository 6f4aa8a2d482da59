"""Contract commands as OCPP 2.0.1 and 2.1 CALLs; the two versions take the same payloads for these.

``new_id`` supplies the ids 2.x requires but a command may leave out (``remoteStartId`` and the
``requestId`` of firmware and log uploads).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, assert_never

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
    VariableRef,
)
from ladeplan_contracts.commands_security import SetBasicAuthPassword
from ocpp_gateway.domain import charging_profiles, credentials
from ocpp_gateway.domain.command_calls import OcppCall, Unsupported, ocpp_time, without_none

_TRIGGERS = {
    "boot_notification": "BootNotification",
    "heartbeat": "Heartbeat",
    "status_notification": "StatusNotification",
    "meter_values": "MeterValues",
    "firmware_status": "FirmwareStatusNotification",
    "log_status": "LogStatusNotification",
    "transaction_event": "TransactionEvent",
}
_ATTRIBUTES = {"actual": "Actual", "target": "Target", "min_set": "MinSet", "max_set": "MaxSet"}
_PURPOSES = {
    "tx": "TxProfile",
    "tx_default": "TxDefaultProfile",
    "charge_point_max": "ChargingStationMaxProfile",
    "external_constraints": "ChargingStationExternalConstraints",
}
_REPORTS = {
    "configuration_inventory": "ConfigurationInventory",
    "full_inventory": "FullInventory",
    "summary_inventory": "SummaryInventory",
}
_SOURCES = {"ems": "EMS", "other": "Other", "so": "SO", "cso": "CSO"}


def _evse(evse_id: int | None, connector_id: int | None) -> dict[str, Any] | None:
    return None if evse_id is None else without_none(id=evse_id, connector_id=connector_id)


def _id_token(uid: str, token_type: str) -> dict[str, Any]:
    return {"id_token": uid, "type": token_type}


def _variable(ref: VariableRef) -> dict[str, Any]:
    return {
        "attribute_type": _ATTRIBUTES[ref.attribute],
        "component": without_none(
            name=ref.component, instance=ref.component_instance, evse=_evse(ref.evse_id, ref.connector_id)
        ),
        "variable": without_none(name=ref.variable, instance=ref.variable_instance),
    }


def _local_list(command: SendLocalList) -> OcppCall:
    entries = []
    for entry in command.entries:
        item: dict[str, Any] = {"id_token": _id_token(entry.token_uid, entry.token_type)}
        if entry.status is not None:
            item["id_token_info"] = without_none(
                status=entry.status.capitalize(),
                cache_expiry_date_time=ocpp_time(entry.expires_at) if entry.expires_at else None,
            )
        entries.append(item)
    return OcppCall(
        "SendLocalList",
        without_none(
            version_number=command.version,
            update_type=command.update.capitalize(),
            # The schema wants at least one entry when the list is present.
            local_authorization_list=entries or None,
        ),
    )


def _firmware(command: UpdateFirmware, new_id: Callable[[], int]) -> OcppCall:
    firmware = without_none(
        location=command.location,
        retrieve_date_time=ocpp_time(command.retrieve_at),
        install_date_time=ocpp_time(command.install_at) if command.install_at else None,
        signing_certificate=command.signing_certificate,
        signature=command.signature,
    )
    return OcppCall(
        "UpdateFirmware",
        without_none(
            request_id=command.request_id if command.request_id is not None else new_id(),
            firmware=firmware,
            retries=command.retries,
            retry_interval=command.retry_interval_s,
        ),
    )


def _log(command: GetLog, new_id: Callable[[], int]) -> OcppCall:
    log = without_none(
        remote_location=command.location,
        oldest_timestamp=ocpp_time(command.oldest) if command.oldest else None,
        latest_timestamp=ocpp_time(command.latest) if command.latest else None,
    )
    return OcppCall(
        "GetLog",
        without_none(
            log=log,
            log_type="DiagnosticsLog" if command.log_type == "diagnostics" else "SecurityLog",
            request_id=command.request_id if command.request_id is not None else new_id(),
            retries=command.retries,
            retry_interval=command.retry_interval_s,
        ),
    )


def _charging_profiles_query(command: GetChargingProfiles) -> OcppCall:
    criterion = without_none(
        charging_profile_purpose=_PURPOSES[command.purpose] if command.purpose else None,
        stack_level=command.stack_level,
        charging_profile_id=list(command.profile_ids) or None,
        charging_limit_source=[_SOURCES[source] for source in command.sources] or None,
    )
    return OcppCall(
        "GetChargingProfiles",
        without_none(request_id=command.request_id, evse_id=command.evse_id, charging_profile=criterion),
    )


def to_v2(command: CommandBody, *, new_id: Callable[[], int]) -> OcppCall:  # noqa: PLR0912 (one case per kind)
    """The 2.0.1/2.1 CALL for ``command``; raises :class:`Unsupported` for 1.6-only commands."""
    # One case per command kind: a dispatch table would lose mypy's exhaustiveness check (assert_never).
    match command:
        case RemoteStart():
            return OcppCall(
                "RequestStartTransaction",
                without_none(
                    id_token=_id_token(command.token_uid, "Central"),
                    remote_start_id=new_id(),
                    evse_id=command.evse_id,
                    charging_profile=charging_profiles.to_v2(command.charging_profile)
                    if command.charging_profile
                    else None,
                ),
            )
        case RemoteStop():
            return OcppCall("RequestStopTransaction", {"transaction_id": command.transaction_ref})
        case SetChargingProfile():
            return OcppCall(
                "SetChargingProfile",
                {"evse_id": command.evse_id, "charging_profile": charging_profiles.to_v2(command.profile)},
            )
        case Reset():
            # 2.x knows no soft/hard distinction: both stop transactions and restart, as Immediate does.
            mode = "OnIdle" if command.mode == "on_idle" else "Immediate"
            return OcppCall("Reset", without_none(type=mode, evse_id=command.evse_id))
        case UnlockConnector():
            return OcppCall("UnlockConnector", {"evse_id": command.evse_id, "connector_id": command.connector_id})
        case ChangeAvailability():
            return OcppCall(
                "ChangeAvailability",
                without_none(
                    operational_status="Operative" if command.operative else "Inoperative",
                    evse=_evse(command.evse_id, command.connector_id),
                ),
            )
        case GetConfiguration() | SetConfiguration():
            raise Unsupported("OCPP 2.x has device model variables, not configuration keys; use get/set_variables.")
        case GetVariables():
            return OcppCall("GetVariables", {"get_variable_data": [_variable(ref) for ref in command.variables]})
        case SetVariables():
            for ref in command.variables:
                credentials.refuse_password_variable(ref.component, ref.variable)
            return OcppCall(
                "SetVariables",
                {"set_variable_data": [{**_variable(ref), "attribute_value": ref.value} for ref in command.variables]},
            )
        case GetBaseReport():
            return OcppCall(
                "GetBaseReport", {"request_id": command.request_id, "report_base": _REPORTS[command.report]}
            )
        case TriggerMessage():
            return OcppCall(
                "TriggerMessage",
                without_none(
                    requested_message=_TRIGGERS[command.message], evse=_evse(command.evse_id, command.connector_id)
                ),
            )
        case ClearCache():
            return OcppCall("ClearCache", {})
        case DataTransfer():
            return OcppCall(
                "DataTransfer",
                without_none(vendor_id=command.vendor_id, message_id=command.message_id, data=command.data),
            )
        case UpdateFirmware():
            return _firmware(command, new_id)
        case GetLog():
            return _log(command, new_id)
        case SendLocalList():
            return _local_list(command)
        case GetLocalListVersion():
            return OcppCall("GetLocalListVersion", {})
        case ReserveNow():
            return OcppCall(
                "ReserveNow",
                without_none(
                    id=command.reservation_id,
                    expiry_date_time=ocpp_time(command.expires_at),
                    id_token=_id_token(command.token_uid, command.token_type),
                    evse_id=command.evse_id,
                    group_id_token=_id_token(command.group_token_uid, command.token_type)
                    if command.group_token_uid
                    else None,
                ),
            )
        case CancelReservation():
            return OcppCall("CancelReservation", {"reservation_id": command.reservation_id})
        case ClearChargingProfile():
            criteria = without_none(
                evse_id=command.evse_id,
                charging_profile_purpose=_PURPOSES[command.purpose] if command.purpose else None,
                stack_level=command.stack_level,
            )
            return OcppCall(
                "ClearChargingProfile",
                without_none(charging_profile_id=command.profile_id, charging_profile_criteria=criteria or None),
            )
        case GetChargingProfiles():
            return _charging_profiles_query(command)
        case GetCompositeSchedule():
            return OcppCall(
                "GetCompositeSchedule",
                without_none(duration=command.duration_s, evse_id=command.evse_id, charging_rate_unit=command.unit),
            )
        case SetBasicAuthPassword():
            return credentials.basic_auth_password_call(command.password.get_secret_value())
        case _:
            assert_never(command)
