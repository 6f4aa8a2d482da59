"""Version-neutral charging profiles to OCPP 1.6 and 2.x payloads (snake_case, as the ``ocpp`` package takes)."""

from __future__ import annotations

from typing import Any

from ladeplan_contracts.commands import ChargingProfile

_PURPOSE_V16 = {
    "tx": "TxProfile",
    "tx_default": "TxDefaultProfile",
    "charge_point_max": "ChargePointMaxProfile",
}
_PURPOSE_V2 = {
    "tx": "TxProfile",
    "tx_default": "TxDefaultProfile",
    "charge_point_max": "ChargingStationMaxProfile",
}


def _periods(profile: ChargingProfile) -> list[dict[str, Any]]:
    periods = []
    for period in profile.periods:
        # OCPP 1.6's schema allows one decimal place for limits; 2.x accepts the same values.
        entry: dict[str, Any] = {"start_period": period.start_offset_s, "limit": round(period.limit, 1)}
        if period.number_phases is not None:
            entry["number_phases"] = period.number_phases
        periods.append(entry)
    return periods


def _schedule_common(profile: ChargingProfile) -> dict[str, Any]:
    schedule: dict[str, Any] = {
        "charging_rate_unit": profile.unit,
        "charging_schedule_period": _periods(profile),
    }
    if profile.duration_s is not None:
        schedule["duration"] = profile.duration_s
    if profile.start is not None:
        schedule["start_schedule"] = profile.start.isoformat()
    return schedule


def to_v16(profile: ChargingProfile, *, transaction_id: int | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "charging_profile_id": profile.id,
        "stack_level": profile.stack_level,
        "charging_profile_purpose": _PURPOSE_V16[profile.purpose],
        "charging_profile_kind": profile.kind.capitalize(),
        "charging_schedule": _schedule_common(profile),
    }
    if transaction_id is not None:
        payload["transaction_id"] = transaction_id
    return payload


def to_v2(profile: ChargingProfile) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": profile.id,
        "stack_level": profile.stack_level,
        "charging_profile_purpose": _PURPOSE_V2[profile.purpose],
        "charging_profile_kind": profile.kind.capitalize(),
        "charging_schedule": [{"id": profile.id, **_schedule_common(profile)}],
    }
    if profile.transaction_ref is not None:
        payload["transaction_id"] = profile.transaction_ref
    return payload
