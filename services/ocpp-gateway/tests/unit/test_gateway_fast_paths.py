"""The compiled schema validation and cached key casing behave exactly like the ``ocpp`` package's."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import ocpp
import pytest
from ocpp.charge_point import camel_to_snake_case, snake_to_camel_case
from ocpp.exceptions import OCPPError
from ocpp.messages import Call, CallResult, _validate_payload

from ocpp_gateway import casing, schemas

pytestmark = pytest.mark.unit

SCHEMAS = Path(ocpp.__file__).resolve().parent


def _outcome(check: Any) -> str:
    try:
        check()
    except OCPPError as exc:
        return exc.code
    return "valid"


async def _fast_outcome(message: Call | CallResult, version: str) -> str:
    try:
        await schemas.validate(message, version)
    except OCPPError as exc:
        return exc.code
    return "valid"


CASES = [
    ("1.6", "Heartbeat", {}),
    ("1.6", "Heartbeat", {"unexpected": 1}),
    ("1.6", "BootNotification", {"chargePointVendor": "v"}),
    ("1.6", "BootNotification", {"chargePointVendor": "v", "chargePointModel": "m" * 21}),
    ("1.6", "StatusNotification", {"connectorId": "one", "errorCode": "NoError", "status": "Available"}),
    ("1.6", "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Sleeping"}),
    ("1.6", "StartTransaction", {"connectorId": 1, "idTag": "A", "meterStart": 0, "timestamp": "not a time"}),
    (
        "1.6",
        "MeterValues",
        {"connectorId": 1, "meterValue": [{"timestamp": "2026-11-25T10:00:00Z", "sampledValue": [{"value": "1"}]}]},
    ),
    ("1.6", "MeterValues", {"connectorId": 1, "meterValue": []}),
    ("2.0.1", "Heartbeat", {}),
    ("2.0.1", "TransactionEvent", {"eventType": "Started"}),
    (
        "2.0.1",
        "MeterValues",
        {
            "evseId": 1,
            "meterValue": [{"timestamp": "2026-11-25T10:00:00Z", "sampledValue": [{"value": Decimal("12.30")}]}],
        },
    ),
    ("2.0.1", "MeterValues", {"evseId": 1, "meterValue": [{"timestamp": "x", "sampledValue": [{"value": "12"}]}]}),
    ("2.1", "Heartbeat", {"customData": {"vendorId": "x"}}),
    ("2.1", "StatusNotification", {"timestamp": "2026-11-25T10:00:00Z", "connectorStatus": "Available", "evseId": 1}),
]


@pytest.mark.parametrize(("version", "action", "payload"), CASES)
async def test_compiled_validation_gives_the_packages_verdict(
    version: str, action: str, payload: dict[str, Any]
) -> None:
    reference = Call("1", action, json.loads(json.dumps(payload, default=float), parse_float=Decimal))
    expected = _outcome(lambda: _validate_payload(reference, version))
    assert await _fast_outcome(Call("1", action, payload), version) == expected


async def test_answers_are_validated_against_the_response_schema() -> None:
    good = CallResult("1", {"currentTime": "2026-11-25T10:00:00Z"}, action="Heartbeat")
    bad = CallResult("1", {"currentTime": 5}, action="Heartbeat")
    assert await _fast_outcome(good, "2.0.1") == "valid"
    assert await _fast_outcome(bad, "2.0.1") == "TypeConstraintViolation"


async def test_decimal_limits_go_to_the_package_validator() -> None:
    profile = {
        "connectorId": 1,
        "csChargingProfiles": {
            "chargingProfileId": 1,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 21.4}],
            },
        },
    }
    assert await _fast_outcome(Call("1", "SetChargingProfile", profile), "1.6") == "valid"


@pytest.mark.parametrize(
    "payload",
    [
        {"chargingStation": {"serialNumber": "1", "vendorName": "v"}, "reason": "PowerUp"},
        {
            "evseId": 1,
            "chargingNeeds": {
                "requestedEnergyTransfer": "AC_three_phase",
                "acChargingParameters": {"energyAmount": 1, "evMinCurrent": 6, "evMaxCurrent": 16, "evMaxVoltage": 400},
            },
            "maxScheduleTuples": 3,
        },
        {
            "ocppCSMSURL": "x",
            "socLimitReached": True,
            "v2xChargingCtrlr": {"stateOfCharge": 1},
            "list": [{"idTokenInfo": {}}],
        },
    ],
)
def test_casing_matches_the_package(payload: dict[str, Any]) -> None:
    snake = casing.to_snake(payload)
    assert snake == camel_to_snake_case(payload)
    assert casing.to_camel(snake) == snake_to_camel_case(snake)
