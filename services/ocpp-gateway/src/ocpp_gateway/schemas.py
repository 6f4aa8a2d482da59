"""Validation against the official OCPP JSON schemas, compiled once per message type.

The ``ocpp`` package interprets each schema with jsonschema on every frame (~60-120 µs a payload,
the largest cost per frame); fastjsonschema turns the same schema files into Python code once,
which checks the same rules in a few µs. Violations map to the CALLERROR codes the package uses,
so charge points see the same answers. Formats are not checked, as the package does not check
them either (a sloppy timestamp is the handler's concern, not a schema violation). The three
1.6 schemas with ``multipleOf`` go to the package's validator: only it handles Decimal limits.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
import ocpp
import ocpp.messages
from ocpp.exceptions import (
    FormatViolationError,
    NotImplementedError,
    OCPPError,
    ProtocolError,
    TypeConstraintViolationError,
)
from ocpp.messages import Call, CallResult, MessageType

_SCHEMAS = Path(ocpp.__file__).resolve().parent
# Accept any string for the formats the schemas name, as jsonschema's Draft4Validator does by default.
_NO_FORMAT_CHECKS: dict[str, Callable[[str], bool]] = {"date-time": lambda _: True, "uri": lambda _: True}
_DECIMAL_SCHEMAS = frozenset(
    {("1.6", "SetChargingProfile"), ("1.6", "RemoteStartTransaction"), ("1.6", "GetCompositeScheduleResponse")}
)

Validator = Callable[[Any], Any]


def schema_name(version: str, action: str, message_type: int) -> str:
    if message_type == MessageType.CallResult:
        return f"{action}Response"
    return action if version == "1.6" else f"{action}Request"


@cache
def compiled(version: str, name: str) -> Validator | None:
    """The compiled validator of one schema file; None where it needs the package's Decimal handling."""
    if (version, name) in _DECIMAL_SCHEMAS:
        return None
    path = _SCHEMAS / f"v{version.replace('.', '')}" / "schemas" / f"{name}.json"
    try:
        schema = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise NotImplementedError(details={"cause": f"No schema for {name} in OCPP {version}."}) from exc
    validator: Validator = fastjsonschema.compile(schema, formats=_NO_FORMAT_CHECKS)
    return validator


def violation(exc: fastjsonschema.JsonSchemaValueException) -> OCPPError:
    """The CALLERROR the ``ocpp`` package would raise for the same violated keyword."""
    details = {"cause": exc.message}
    if exc.rule in ("type", "maxLength"):
        return TypeConstraintViolationError(details=details)
    if exc.rule == "required":
        return ProtocolError(details=details)
    return FormatViolationError(details=details)


async def validate(message: Call | CallResult, version: str) -> None:
    """Raise the OCPP error for a payload that violates its schema."""
    validator = compiled(version, schema_name(version, str(message.action), message.message_type_id))
    if validator is None:
        await ocpp.messages.validate_payload(message, version)
        return
    try:
        validator(message.payload)
    except fastjsonschema.JsonSchemaValueException as exc:
        raise violation(exc) from None
