"""Charge point notifications of every version to version-neutral contract values."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from ocpp.v16 import enums as v16
from ocpp.v21 import enums as v21
from ocpp.v201 import enums as v201

from ladeplan_contracts.chargepoint import FirmwareStatusNotified, LogUploadStatusNotified, ReservationStatusUpdated
from ocpp_gateway.domain import charging_profiles, device_model, notifications

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "status",
    sorted(
        {
            s.value
            for enum in (v16.FirmwareStatus, v201.FirmwareStatusEnumType, v21.FirmwareStatusEnumType)
            for s in enum
        }
    ),
)
def test_every_firmware_status_of_every_version_is_a_contract_status(status: str) -> None:
    event = FirmwareStatusNotified(charge_point_id="cp", status=notifications.firmware_status(status))
    assert event.status.replace("_", "") == status.lower()


@pytest.mark.parametrize(
    "status",
    sorted(
        {
            s.value
            for enum in (
                v16.DiagnosticsStatus,
                v16.UploadLogStatus,
                v201.UploadLogStatusEnumType,
                v21.UploadLogStatusEnumType,
            )
            for s in enum
        }
    ),
)
def test_every_log_upload_status_of_every_version_is_a_contract_status(status: str) -> None:
    LogUploadStatusNotified(charge_point_id="cp", status=notifications.log_upload_status(status))


def test_16_upload_failed_and_2x_upload_failure_are_one_status() -> None:
    assert (
        notifications.log_upload_status("UploadFailed")
        == notifications.log_upload_status("UploadFailure")
        == "upload_failed"
    )
    assert notifications.firmware_status("InstallVerificationFailed") == "install_verification_failed"


@pytest.mark.parametrize(
    "status",
    sorted({s.value for e in (v201.ReservationUpdateStatusEnumType, v21.ReservationUpdateStatusEnumType) for s in e}),
)
def test_reservation_updates_of_20_and_21(status: str) -> None:
    ReservationStatusUpdated(charge_point_id="cp", reservation_id=1, status=notifications.reservation_update(status))


def test_snake_case_names() -> None:
    assert [notifications.snake(n) for n in ("AC_three_phase", "DC_BPT", "EMS", "ReadOnly", "dateTime")] == [
        "ac_three_phase",
        "dc_bpt",
        "ems",
        "read_only",
        "date_time",
    ]


def test_ac_charging_needs_give_energy_currents_phases_and_departure() -> None:
    event = notifications.charging_needs(
        "cp",
        2,
        {
            "requested_energy_transfer": "AC_three_phase",
            "departure_time": "2026-11-25T17:30:00Z",
            "ac_charging_parameters": {
                "energy_amount": 22000,
                "ev_min_current": 6,
                "ev_max_current": 16,
                "ev_max_voltage": 400,
            },
        },
        max_schedule_tuples=5,
    )
    assert (event.evse_id, event.energy_transfer, event.phases) == (2, "ac_three_phase", 3)
    assert (event.requested_energy_wh, event.min_current_a, event.max_current_a, event.max_voltage_v) == (
        22000,
        6,
        16,
        400,
    )
    assert event.departure_time == datetime(2026, 11, 25, 17, 30, tzinfo=UTC)
    assert (event.max_power_w, event.state_of_charge_pct, event.max_schedule_tuples) == (None, None, 5)


def test_dc_charging_needs_give_power_state_of_charge_and_capacity() -> None:
    event = notifications.charging_needs(
        "cp",
        1,
        {
            "requested_energy_transfer": "DC",
            "dc_charging_parameters": {
                "ev_max_current": Decimal("200"),
                "ev_max_voltage": Decimal("800.5"),
                "ev_max_power": Decimal("150000"),
                "energy_amount": Decimal("40000"),
                "state_of_charge": 35,
                "ev_energy_capacity": Decimal("77000"),
            },
        },
        None,
    )
    assert (event.phases, event.max_power_w, event.max_voltage_v, event.state_of_charge_pct) == (
        None,
        150000.0,
        800.5,
        35,
    )
    assert (event.requested_energy_wh, event.battery_capacity_wh, event.departure_time) == (40000.0, 77000.0, None)


def test_21_bidirectional_needs_fill_what_ac_dc_parameters_leave_open() -> None:
    event = notifications.charging_needs(
        "cp",
        1,
        {
            "requested_energy_transfer": "AC_BPT",
            "v2x_charging_parameters": {
                "ev_target_energy_request": Decimal("12000.5"),
                "max_charge_power": 11000,
                "max_charge_current": 16,
            },
        },
        None,
    )
    assert (event.energy_transfer, event.phases, event.requested_energy_wh) == ("ac_bpt", None, 12000.5)
    assert (event.max_power_w, event.max_current_a) == (11000.0, 16.0)


def _component() -> dict[str, Any]:
    return {"name": "EVSE", "instance": "main", "evse": {"id": 1, "connector_id": 2}}


def test_report_data_keeps_values_as_text_and_names_characteristics() -> None:
    [reported] = device_model.report_data(
        [
            {
                "component": _component(),
                "variable": {"name": "Power", "instance": "Max"},
                "variable_attribute": [
                    {"type": "MaxSet", "value": "22000.0", "mutability": "ReadWrite", "persistent": True}
                ],
                "variable_characteristics": {
                    "data_type": "decimal",
                    "unit": "W",
                    "max_limit": Decimal("22000"),
                    "supports_monitoring": True,
                },
            }
        ]
    )
    assert (reported.component.evse_id, reported.component.connector_id, reported.variable.instance) == (1, 2, "Max")
    attribute = reported.attributes[0]
    assert (attribute.type, attribute.value, attribute.mutability, attribute.persistent) == (
        "max_set",
        "22000.0",
        "read_write",
        True,
    )
    assert reported.characteristics is not None
    assert (reported.characteristics.data_type, reported.characteristics.max_limit) == ("decimal", 22000.0)


def test_event_and_monitoring_data() -> None:
    [event] = device_model.event_data(
        [
            {
                "event_id": 4,
                "timestamp": "2026-11-25T10:00:00Z",
                "trigger": "Alerting",
                "actual_value": "81.5",
                "component": {"name": "ChargingStation"},
                "variable": {"name": "Temperature"},
                "event_notification_type": "HardWiredMonitor",
                "tech_code": "T1",
                "transaction_id": "tx-9",
            }
        ]
    )
    assert (event.trigger, event.notification_type, event.actual_value, event.transaction_ref) == (
        "alerting",
        "hard_wired_monitor",
        "81.5",
        "tx-9",
    )
    [monitored] = device_model.monitoring_data(
        [
            {
                "component": {"name": "ChargingStation"},
                "variable": {"name": "Temperature"},
                "variable_monitoring": [
                    {"id": 1, "transaction": False, "value": Decimal("80"), "type": "UpperThreshold", "severity": 4}
                ],
            }
        ]
    )
    assert monitored.monitors[0].model_dump() == {
        "id": 1,
        "type": "upper_threshold",
        "value": 80.0,
        "severity": 4,
        "transaction": False,
    }


def test_reported_profile_names_purpose_kind_and_schedule() -> None:
    profile = charging_profiles.profile_from_v2(
        {
            "id": 5,
            "stack_level": 1,
            "charging_profile_purpose": "ChargingStationExternalConstraints",
            "charging_profile_kind": "Recurring",
            "recurrency_kind": "Daily",
            "charging_schedule": [
                {
                    "id": 8,
                    "charging_rate_unit": "W",
                    "start_schedule": "2026-11-25T00:00:00Z",
                    "charging_schedule_period": [
                        {"start_period": 0, "limit": Decimal("11000.0")},
                        {"start_period": 3600, "limit": Decimal("3680"), "number_phases": 1},
                    ],
                }
            ],
        }
    )
    assert (profile.purpose, profile.kind, profile.recurrency) == ("external_constraints", "recurring", "daily")
    schedule = profile.schedules[0]
    assert (schedule.id, schedule.unit, schedule.start) == (8, "W", datetime(2026, 11, 25, tzinfo=UTC))
    assert [(p.start_offset_s, p.limit, p.number_phases) for p in schedule.periods] == [
        (0, 11000.0, None),
        (3600, 3680.0, 1),
    ]
    assert charging_profiles.profile_from_v2({**_tx_profile(), "charging_profile_purpose": "TxProfile"}).purpose == "tx"
    assert (
        charging_profiles.profile_from_v2({**_tx_profile(), "charging_profile_purpose": "PriorityCharging"}).purpose
        == "priority_charging"
    )


def _tx_profile() -> dict[str, Any]:
    return {
        "id": 1,
        "stack_level": 0,
        "charging_profile_kind": "Absolute",
        "transaction_id": "tx-1",
        "charging_schedule": [
            {"id": 1, "charging_rate_unit": "A", "charging_schedule_period": [{"start_period": 0, "limit": 16}]}
        ],
    }
