"""What a contract command becomes on the wire, and what the charge point's answer means.

``commands_v16`` and ``commands_v2`` turn a version-neutral command into an :class:`OcppCall` (the
action and its snake_case payload, as the ``ocpp`` package's dataclasses take it); :func:`interpret`
reads the charge point's answer back into a neutral status. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ladeplan_contracts.commands import CommandStatus


@dataclass(frozen=True)
class OcppCall:
    action: str
    payload: dict[str, Any]


class Unsupported(Exception):
    """The charge point's OCPP version has no message for the command (answered ``not_supported``)."""


class Inapplicable(Exception):
    """The command names something this version cannot express, e.g. a non-integer 1.6 transaction id
    (answered ``rejected``: the command as given cannot succeed on this charge point)."""


def ocpp_time(value: datetime) -> str:
    """RFC 3339 in UTC with ``Z``, the form every OCPP schema's ``date-time`` accepts."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def without_none(**fields: Any) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None}


# Answers that mean "will do" even though they are not literally Accepted.
_ACCEPTED = frozenset({"Accepted", "Unlocked", "Scheduled", "RebootRequired", "AcceptedCanceled"})
# Answers that mean the charge point lacks the feature, not that it refused this once.
_NOT_SUPPORTED = frozenset({"NotSupported", "NotImplemented"})
# Per-variable result lists of GetVariables/SetVariables (snake_case, as the ocpp package decodes them).
_RESULT_LISTS = ("get_variable_result", "set_variable_result")


def _status(text: str) -> CommandStatus:
    if text in _ACCEPTED:
        return "accepted"
    if text in _NOT_SUPPORTED:
        return "not_supported"
    return "rejected"


def _reason(response: dict[str, Any]) -> str | None:
    info = response.get("status_info") or {}
    reason = info.get("reason_code")
    if not reason:
        return None
    return f"{reason}: {info['additional_info']}" if info.get("additional_info") else str(reason)


def _variable_name(result: dict[str, Any]) -> str:
    component = result.get("component", {}).get("name", "?")
    variable = result.get("variable", {}).get("name", "?")
    return f"{component}.{variable}"


def _variable_results(results: list[dict[str, Any]]) -> tuple[CommandStatus, str]:
    refused = [r for r in results if r.get("attribute_status") not in _ACCEPTED]
    if not refused:
        return "accepted", f"{len(results)} of {len(results)} accepted"
    listed = ", ".join(f"{_variable_name(r)}: {r.get('attribute_status')}" for r in refused)
    return "rejected", f"{len(results) - len(refused)} of {len(results)} accepted; {listed}"


def interpret(response: dict[str, Any]) -> tuple[CommandStatus, str | None]:
    """The neutral status and a detail for the charge point's answer (snake_case payload).

    Answers without a status (1.6 GetConfiguration, GetDiagnostics, GetLocalListVersion,
    UpdateFirmware) mean the charge point took the request: ``accepted``.
    """
    for key in _RESULT_LISTS:
        if key in response:
            return _variable_results(response[key])
    if "status" in response:
        text = str(response["status"])
        reason = _reason(response)
        return _status(text), f"{text} ({reason})" if reason else text
    unknown = response.get("unknown_key")
    if unknown:
        return "accepted", "unknown keys: " + ", ".join(str(key) for key in unknown)
    return "accepted", None
