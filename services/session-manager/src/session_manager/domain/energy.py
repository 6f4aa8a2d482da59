"""The energy a session delivered, in whole Wh, computed with Decimal from what the meter reported.

Meter values are stored as the exact text the charge point sent; only here are they read as
numbers, and only the readings that measure the same thing (the total import register at the
outlet, sampled during the transaction) are compared with each other.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Literal

ENERGY_REGISTER = "Energy.Active.Import.Register"

# Sample.Clock (clock-aligned), Interruption.*, Trigger and Other readings may be taken outside the
# transaction's metering window; the transaction's own begin/periodic/end readings are not.
_TRANSACTION_CONTEXTS = frozenset({None, "Sample.Periodic", "Transaction.Begin", "Transaction.End"})
# Inlet and EV readings differ from the outlet by the losses in between: never mix them.
_OUTLET = frozenset({None, "Outlet"})
# Keys are lower-cased: some charge points send "KWH" or "wh" although OCPP spells "kWh"/"Wh".
_WH_PER_UNIT = {"wh": Decimal(1), "kwh": Decimal(1000)}

EnergySource = Literal["meter_start_stop", "register_readings"]


@dataclass(frozen=True)
class Reading:
    """One sampled value as stored (``value`` is the received text)."""

    value: str
    measurand: str = ENERGY_REGISTER
    unit: str | None = None
    multiplier: int = 0
    """OCPP 2.x ``unitOfMeasure.multiplier``: the value is scaled by 10 to this power."""
    phase: str | None = None
    context: str | None = None
    location: str | None = None
    format: str | None = None


@dataclass(frozen=True)
class Energy:
    wh: int | None
    """None when nothing the meter reported allows a figure (e.g. a single reading)."""
    source: EnergySource | None


def to_wh(value: Decimal, unit: str | None) -> Decimal | None:
    """``value`` in Wh; a missing unit means Wh (the OCPP default); None for units of other quantities."""
    factor = _WH_PER_UNIT.get((unit or "Wh").lower())
    return None if factor is None else value * factor


def register_wh(reading: Reading) -> Decimal | None:
    """The reading in Wh when it is a usable total import register value of the transaction, else None."""
    if (
        reading.measurand != ENERGY_REGISTER
        or reading.phase is not None  # a per-phase register is a share of the total, not the total
        or reading.context not in _TRANSACTION_CONTEXTS
        or reading.location not in _OUTLET
        or reading.format == "SignedData"  # 1.6: the value is the signed blob, not a number
    ):
        return None
    try:
        value = Decimal(reading.value.strip())
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0:
        return None
    return to_wh(value.scaleb(reading.multiplier), reading.unit)


def whole_wh(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))


def session_energy(meter_start_wh: int | None, meter_stop_wh: int | None, readings: Iterable[Reading]) -> Energy:
    """Energy of a session: meter stop minus meter start when both are known and consistent.

    Otherwise the spread (max - min) of the register readings; meter start or stop counts as a
    reading when only one of them is known, since it is the same register in Wh. A stop below the
    start (meter exchanged or wrapped) trusts neither and falls back to the readings alone.
    """
    anchors = [v for v in (meter_start_wh, meter_stop_wh) if v is not None]
    if meter_start_wh is not None and meter_stop_wh is not None:
        if meter_stop_wh >= meter_start_wh:
            return Energy(meter_stop_wh - meter_start_wh, "meter_start_stop")
        anchors = []
    values = [wh for wh in (register_wh(r) for r in readings) if wh is not None]
    values.extend(Decimal(v) for v in anchors)
    if len(values) < 2:
        return Energy(None, None)
    return Energy(whole_wh(max(values) - min(values)), "register_readings")


@dataclass(frozen=True)
class Measurement:
    """Energy a running session drew up to ``at``, the time of the meter reading it comes from."""

    wh: int
    at: datetime


def measured_so_far(meter_start_wh: int | None, readings: Iterable[tuple[datetime, Reading]]) -> Measurement | None:
    """What the session drew by its newest register reading among ``readings``: that reading minus meter start.

    Cheap on purpose (the readings of one burst, no look-up of older ones): the register only
    grows, so its highest reading is the newest, and meter start is the same register in Wh.
    None without a meter start (a session whose start we never saw), without a usable register
    reading, or when the register reads below the start (meter exchanged or wrapped: the end's
    computation sorts that out, a planner must not be told a made-up figure).
    """
    if meter_start_wh is None:
        return None
    best: tuple[Decimal, datetime] | None = None
    for at, reading in readings:
        wh = register_wh(reading)
        if wh is not None and (best is None or (wh, at) > best):
            best = (wh, at)
    if best is None or best[0] < meter_start_wh:
        return None
    return Measurement(whole_wh(best[0] - meter_start_wh), best[1])
