"""A charge point's answer to a command, read back as a version-neutral status and detail."""

from __future__ import annotations

from typing import Any

import pytest

from ocpp_gateway.domain.command_calls import interpret

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ({"status": "Accepted"}, ("accepted", "Accepted")),
        ({"status": "Scheduled"}, ("accepted", "Scheduled")),
        ({"status": "RebootRequired"}, ("accepted", "RebootRequired")),
        ({"status": "Unlocked"}, ("accepted", "Unlocked")),
        ({"status": "UnlockFailed"}, ("rejected", "UnlockFailed")),
        ({"status": "Unknown"}, ("rejected", "Unknown")),
        ({"status": "NotSupported"}, ("not_supported", "NotSupported")),
        ({"status": "NotImplemented"}, ("not_supported", "NotImplemented")),
        (
            {"status": "Rejected", "status_info": {"reason_code": "TxInProgress"}},
            ("rejected", "Rejected (TxInProgress)"),
        ),
        ({"file_name": "diag.zip"}, ("accepted", None)),
        ({}, ("accepted", None)),
        ({"configuration_key": [], "unknown_key": ["Nope"]}, ("accepted", "unknown keys: Nope")),
        (
            {
                "set_variable_result": [
                    {"attribute_status": "Accepted", "component": {"name": "A"}, "variable": {"name": "x"}},
                    {"attribute_status": "UnknownVariable", "component": {"name": "B"}, "variable": {"name": "y"}},
                ]
            },
            ("rejected", "1 of 2 accepted; B.y: UnknownVariable"),
        ),
        (
            {
                "get_variable_result": [
                    {"attribute_status": "Accepted", "component": {"name": "A"}, "variable": {"name": "x"}}
                ]
            },
            ("accepted", "1 of 1 accepted"),
        ),
    ],
)
def test_answers_read_back_as_neutral_statuses(response: dict[str, Any], expected: tuple[str, str | None]) -> None:
    assert interpret(response) == expected
