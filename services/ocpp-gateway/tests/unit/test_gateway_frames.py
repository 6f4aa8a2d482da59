"""OCPP-J framing: every malformed frame maps to the CALLERROR the charge point's version names."""

from __future__ import annotations

import base64
from decimal import Decimal

import pytest
from ocpp.messages import Call, CallError, CallResult

from ocpp_gateway.domain.credentials import parse_basic_auth
from ocpp_gateway.domain.errors import error_code_for
from ocpp_gateway.protocol import FrameError, parse_frame

pytestmark = pytest.mark.unit


def test_call_keeps_decimal_text() -> None:
    frame = parse_frame('[2,"m1","MeterValues",{"evseId":1,"meterValue":[{"sampledValue":[{"value":12.30}]}]}]')
    assert isinstance(frame, Call)
    value = frame.payload["meterValue"][0]["sampledValue"][0]["value"]
    assert value == Decimal("12.30")
    assert str(value) == "12.30"


def test_call_result_and_error_are_parsed() -> None:
    result = parse_frame('[3,"m2",{"status":"Accepted","limit":1.5}]')
    assert isinstance(result, CallResult)
    assert result.payload == {"status": "Accepted", "limit": 1.5}
    assert isinstance(result.payload["limit"], float)
    error = parse_frame('[4,"m3","NotImplemented","nope",{}]')
    assert isinstance(error, CallError)
    assert error.error_code == "NotImplemented"


@pytest.mark.parametrize(
    ("raw", "code", "unique_id"),
    [
        ("not json", "RpcFrameworkError", "-1"),
        ("{}", "RpcFrameworkError", "-1"),
        ("[2]", "RpcFrameworkError", "-1"),
        ('[2, 17, "Heartbeat", {}]', "RpcFrameworkError", "-1"),
        ('[2, "' + "x" * 37 + '", "Heartbeat", {}]', "RpcFrameworkError", "-1"),
        ('[2, "a", "Heartbeat", []]', "FormatViolation", "a"),
        ('[2, "a", 5, {}]', "FormatViolation", "a"),
        ('[2, "a", "Heartbeat", {}, 1]', "FormatViolation", "a"),
        ('[7, "a", "Heartbeat", {}]', "MessageTypeNotSupported", "a"),
    ],
)
def test_malformed_frames(raw: str, code: str, unique_id: str) -> None:
    with pytest.raises(FrameError) as caught:
        parse_frame(raw)
    assert caught.value.code == code
    assert caught.value.unique_id == unique_id


@pytest.mark.parametrize(
    ("version", "code", "expected"),
    [
        ("1.6", "FormatViolation", "FormationViolation"),
        ("1.6", "OccurrenceConstraintViolation", "OccurenceConstraintViolation"),
        ("1.6", "RpcFrameworkError", "FormationViolation"),
        ("1.6", "SomethingElse", "GenericError"),
        ("1.6", "MessageTypeNotSupported", "NotSupported"),
        ("1.6", "TypeConstraintViolation", "TypeConstraintViolation"),
        ("2.0.1", "FormatViolation", "FormatViolation"),
        ("2.0.1", "FormationViolation", "FormatViolation"),
        ("2.0.1", "RpcFrameworkError", "RpcFrameworkError"),
        ("2.1", "OccurenceConstraintViolation", "OccurrenceConstraintViolation"),
    ],
)
def test_error_codes_per_version(version: str, code: str, expected: str) -> None:
    assert error_code_for(version, code) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Basic " + base64.b64encode(b"CP-1:pa:ss word").decode(), ("CP-1", "pa:ss word")),
        ("basic " + base64.b64encode("CP-1:pässwort".encode()).decode(), ("CP-1", "pässwort")),
        ("Basic " + base64.b64encode("CP-1:pässwort".encode("latin-1")).decode(), ("CP-1", "pässwort")),
        ("Bearer abc", None),
        ("Basic !!!", None),
        ("Basic " + base64.b64encode(b"no-colon").decode(), None),
        ("", None),
    ],
)
def test_basic_auth_parsing(header: str, expected: tuple[str, str] | None) -> None:
    assert parse_basic_auth(header) == expected
