"""CALLERROR codes per OCPP version: the ``ocpp`` package speaks 2.x names, 1.6 spells some differently."""

from __future__ import annotations

# OCPP-J 1.6 §4.2.3 spells these two differently from 2.0.1 (FormatViolation, OccurrenceConstraintViolation).
_V16_NAMES = {
    "FormatViolation": "FormationViolation",
    "OccurrenceConstraintViolation": "OccurenceConstraintViolation",
    # 1.6 has no RpcFrameworkError; an unreadable frame is "syntactically incorrect" there.
    "RpcFrameworkError": "FormationViolation",
    "MessageTypeNotSupported": "NotSupported",
}
_V16_CODES = frozenset(
    {
        "NotImplemented",
        "NotSupported",
        "InternalError",
        "ProtocolError",
        "SecurityError",
        "FormationViolation",
        "PropertyConstraintViolation",
        "OccurenceConstraintViolation",
        "TypeConstraintViolation",
        "GenericError",
    }
)
_V2_NAMES = {
    "FormationViolation": "FormatViolation",
    "OccurenceConstraintViolation": "OccurrenceConstraintViolation",
}


def error_code_for(version: str, code: str) -> str:
    """The error code as the charge point's OCPP version names it."""
    if version == "1.6":
        code = _V16_NAMES.get(code, code)
        return code if code in _V16_CODES else "GenericError"
    return _V2_NAMES.get(code, code)
