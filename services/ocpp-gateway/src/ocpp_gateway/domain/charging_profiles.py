"""Version-neutral charging profiles to OCPP 1.6 and 2.x payloads (snake_case, as the ``ocpp`` package takes),
and the profiles and schedules 2.x charge points report back to contract values."""

from __future__ import annotations

from typing import Any

from ladeplan_contracts.commands import ChargingProfile
from ladeplan_contracts.smart_charging import ReportedChargingProfile, Schedule, SchedulePeriod
from ocpp_gateway.domain.notifications import number, snake, timestamp

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


# --- reported by the charge point (2.x) ------------------------------------------------------------

_PURPOSE_FROM_V2 = {
    "TxProfile": "tx",
    "TxDefaultProfile": "tx_default",
    "ChargingStationMaxProfile": "charge_point_max",
    "ChargingStationExternalConstraints": "external_constraints",
}


def schedule_from_v2(raw: dict[str, Any]) -> Schedule:
    """A 2.x ``ChargingScheduleType`` (snake_case keys, ``Decimal`` numbers) as a contract schedule."""
    return Schedule(
        id=raw.get("id"),
        unit=raw["charging_rate_unit"],
        start=timestamp(raw.get("start_schedule")),
        duration_s=raw.get("duration"),
        periods=[
            SchedulePeriod(
                start_offset_s=period["start_period"],
                limit=number(period.get("limit")),
                number_phases=period.get("number_phases"),
            )
            for period in raw["charging_schedule_period"]
        ],
    )


def profile_from_v2(raw: dict[str, Any]) -> ReportedChargingProfile:
    purpose = raw["charging_profile_purpose"]
    recurrency = raw.get("recurrency_kind")
    return ReportedChargingProfile(
        id=raw["id"],
        stack_level=raw["stack_level"],
        # 2.1's PriorityCharging and LocalGeneration need no renaming: priority_charging, local_generation.
        purpose=_PURPOSE_FROM_V2.get(purpose) or snake(purpose),
        kind=snake(raw["charging_profile_kind"]),
        recurrency=snake(recurrency) if recurrency else None,
        transaction_ref=raw.get("transaction_id"),
        valid_from=timestamp(raw.get("valid_from")),
        valid_to=timestamp(raw.get("valid_to")),
        schedules=[schedule_from_v2(schedule) for schedule in raw["charging_schedule"]],
    )
