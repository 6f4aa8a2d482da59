"""OCPP notifications (charge point → backend) to version-neutral contract values. Pure: no I/O.

OCPP spells enumerations in PascalCase (``DownloadScheduled``) or with underscores
(``AC_three_phase``); contracts use snake_case names that do not depend on the version.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from ladeplan_contracts.chargepoint import FirmwareStatus, LogUploadStatus, ReservationUpdate
from ladeplan_contracts.smart_charging import EvChargingNeedsNotified

_WORD_BREAK = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")

# 1.6 DiagnosticsStatus says UploadFailed where 2.x UploadLogStatus says UploadFailure: one status.
_LOG_STATUS_ALIASES = {"UploadFailed": "upload_failed", "UploadFailure": "upload_failed"}
_PHASES = {"AC_single_phase": 1, "AC_two_phase": 2, "AC_three_phase": 3}


def snake(name: str) -> str:
    """``DownloadScheduled`` → ``download_scheduled``, ``AC_three_phase`` → ``ac_three_phase``, ``EMS`` → ``ems``."""
    return _WORD_BREAK.sub("_", name).lower()


def firmware_status(status: str) -> FirmwareStatus:
    return cast(FirmwareStatus, snake(status))


def log_upload_status(status: str) -> LogUploadStatus:
    return cast(LogUploadStatus, _LOG_STATUS_ALIASES.get(status) or snake(status))


def reservation_update(status: str) -> ReservationUpdate:
    return cast(ReservationUpdate, snake(status))


def number(value: Any) -> float | None:
    """A JSON number as float (2.x frames are parsed with ``Decimal``); None stays None."""
    if value is None:
        return None
    return float(value) if isinstance(value, Decimal | int | float) else float(str(value))


def timestamp(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _first(*values: Any) -> float | None:
    for value in values:
        if value is not None:
            return number(value)
    return None


def charging_needs(
    charge_point_id: str, evse_id: int, needs: dict[str, Any], max_schedule_tuples: int | None
) -> EvChargingNeedsNotified:
    """NotifyEVChargingNeeds (2.0.1 or 2.1, snake_case keys) as the event an EMS plans with.

    AC parameters give energy and currents; DC parameters add power, state of charge and battery
    capacity; 2.1's bidirectional (V2X) parameters give the same figures under other names and
    fill what the AC/DC parameters leave open.
    """
    ac = needs.get("ac_charging_parameters") or {}
    dc = needs.get("dc_charging_parameters") or {}
    v2x = needs.get("v2x_charging_parameters") or {}
    mode = str(needs["requested_energy_transfer"])
    soc = dc.get("state_of_charge")
    return EvChargingNeedsNotified(
        charge_point_id=charge_point_id,
        evse_id=evse_id,
        energy_transfer=snake(mode),
        phases=_PHASES.get(mode),
        requested_energy_wh=_first(
            ac.get("energy_amount"), dc.get("energy_amount"), v2x.get("ev_target_energy_request")
        ),
        departure_time=timestamp(needs.get("departure_time")),
        min_current_a=_first(ac.get("ev_min_current"), v2x.get("min_charge_current")),
        max_current_a=_first(ac.get("ev_max_current"), dc.get("ev_max_current"), v2x.get("max_charge_current")),
        max_voltage_v=_first(ac.get("ev_max_voltage"), dc.get("ev_max_voltage"), v2x.get("max_voltage")),
        max_power_w=_first(dc.get("ev_max_power"), v2x.get("max_charge_power")),
        state_of_charge_pct=int(soc) if soc is not None else None,
        battery_capacity_wh=_first(dc.get("ev_energy_capacity")),
        max_schedule_tuples=max_schedule_tuples,
    )
