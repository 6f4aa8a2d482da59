"""A location's grid capacity over time: forecast blocks in OSCP units become kW limits per planning slot.

A Capacity Provider (a DSO or a site EMS, over OSCP 2.0) forecasts what a group may draw in
blocks of time, in A, W, kW, Wh or kWh, for all phases or for one. The planner works in kW on
15-minute slots, so each block is converted to the three-phase total it allows and each slot
takes the lowest limit of any block that touches it (a slot may not exceed the limit anywhere
inside it). Slots no block covers fall back to the location's own grid limit, which also caps
every forecast: the provider cannot raise the connection above what masterdata says it is.

Conversions assume the site's load is spread evenly over three phases at nominal voltage, as
three-phase AC charging is: a per-phase limit allows three times that on the three together; a
single-phase load would need its own model, which ladeplan does not plan with.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import numpy as np

from .model import FloatArray
from .profiles import NOMINAL_VOLTAGE

CapacityUnit = Literal["A", "W", "KW", "WH", "KWH"]
Phase = Literal["UNKNOWN", "ONE", "TWO", "THREE", "ALL"]
PHASES = 3


@dataclass(frozen=True)
class Limit:
    """At most ``kw`` (all phases together) in ``[start, end)``."""

    start: datetime
    end: datetime
    kw: float


@dataclass(frozen=True)
class ForecastBlock:
    """One OSCP ``ForecastedBlock``: ``capacity`` in ``unit`` on ``phase`` during ``[start, end)``."""

    capacity: float
    unit: CapacityUnit
    phase: Phase
    start: datetime
    end: datetime


def block_kw(block: ForecastBlock, voltage: float = NOMINAL_VOLTAGE) -> float:
    """The three-phase total in kW a block allows.

    Currents are per phase (so ``ALL`` means each phase may carry that much); powers on ``ALL`` or
    ``UNKNOWN`` are totals, on one phase a third of the total; energies are spread evenly over the
    block (the average power that stays within the energy).
    """
    hours = (block.end - block.start).total_seconds() / 3600
    match block.unit:
        case "A":
            return block.capacity * voltage * PHASES / 1000
        case "W" | "KW":
            kw = block.capacity / 1000 if block.unit == "W" else block.capacity
        case "WH" | "KWH":
            kwh = block.capacity / 1000 if block.unit == "WH" else block.capacity
            kw = kwh / hours
    return kw * PHASES if block.phase in ("ONE", "TWO", "THREE") else kw


def kw_to_current_a(kw: float, voltage: float = NOMINAL_VOLTAGE) -> float:
    """The current per phase that carries ``kw`` on three phases (the inverse of an ``A`` block)."""
    return kw * 1000 / (voltage * PHASES)


def limits_of(blocks: Iterable[ForecastBlock], voltage: float = NOMINAL_VOLTAGE) -> list[Limit]:
    """Each block as a kW limit (blocks per phase stay separate: the slot takes the lowest)."""
    return [Limit(block.start, block.end, max(block_kw(block, voltage), 0.0)) for block in blocks]


def slot_limits(
    start: datetime, slot: timedelta, slots: int, grid_limit_kw: float, limits: Sequence[Limit]
) -> FloatArray:
    """The kW each slot from ``start`` may draw: the lowest limit touching it, never above the grid limit."""
    capacity = np.full(slots, max(grid_limit_kw, 0.0))
    width = slot.total_seconds()
    for limit in limits:
        first = max(0, math.floor((limit.start - start).total_seconds() / width))
        # A limit ending exactly on a slot boundary does not touch the next slot.
        end = min(slots, math.ceil((limit.end - start).total_seconds() / width))
        if end > first:
            capacity[first:end] = np.minimum(capacity[first:end], max(limit.kw, 0.0))
    return capacity


def merge_blocks(stored: Sequence[ForecastBlock], update: Sequence[ForecastBlock]) -> list[ForecastBlock]:
    """What holds after ``update``: its blocks replace every stored block overlapping the time it covers.

    A Capacity Provider sends a new forecast for a period; earlier blocks outside that period
    stay valid (a day-ahead forecast followed by an intraday correction for the next hours).
    """
    if not update:
        return list(stored)
    begin = min(block.start for block in update)
    end = max(block.end for block in update)
    kept = [block for block in stored if block.end <= begin or block.start >= end]
    return sorted([*kept, *update], key=lambda block: (block.start, block.end, block.phase))


def current_blocks(blocks: Iterable[ForecastBlock], now: datetime) -> list[ForecastBlock]:
    """Blocks that still matter at ``now`` (ended ones are history)."""
    return [block for block in blocks if block.end > now]


def effective_limits(
    now: datetime,
    consumption: Sequence[ForecastBlock],
    fallback: Sequence[ForecastBlock],
    *,
    provider_offline: bool,
    fallback_kw: float | None,
    voltage: float = NOMINAL_VOLTAGE,
) -> list[Limit]:
    """The limits a location plans with.

    While the provider is online its CONSUMPTION forecast applies. Once its heartbeats stopped
    (past its ``offline_mode_at``), OSCP says to fall back: to the FALLBACK_CONSUMPTION forecast
    where the provider sent one, otherwise to the configured fallback capacity, from now on and
    without end (until the provider is back).
    """
    if not provider_offline:
        return limits_of(current_blocks(consumption, now), voltage)
    limits = limits_of(current_blocks(fallback, now), voltage)
    if limits:
        return limits
    if fallback_kw is None:
        return []
    return [Limit(now - timedelta(days=1), datetime.max.replace(tzinfo=now.tzinfo), fallback_kw)]


def long_term_kw(
    now: datetime,
    grid_limit_kw: float,
    consumption: Sequence[ForecastBlock],
    fallback: Sequence[ForecastBlock],
    *,
    provider_offline: bool,
    fallback_kw: float | None,
    voltage: float = NOMINAL_VOLTAGE,
) -> float | None:
    """What a location may draw for good once its plan has run out, when that is below the grid limit.

    The caps' tail outlives the plan, so it is what holds while ladeplan itself is away; OSCP's
    answer to a lost link is the fallback capacity (the FALLBACK_CONSUMPTION forecast, else the
    configured ``fallback_kw``). The tail keeps it whenever the provider limits the location now:
    it is offline (the fallback is in force), or a CONSUMPTION block in force is below the grid
    limit. Without any fallback known, the lowest such block is the safe guess. None: the grid
    limit holds (the provider limits nothing now, or is offline without a fallback to fall to).
    """
    forecast = [block_kw(block, voltage) for block in current_blocks(consumption, now)]
    if not provider_offline and not any(kw < grid_limit_kw for kw in forecast):
        return None
    fallbacks = [block_kw(block, voltage) for block in current_blocks(fallback, now)]
    if fallback_kw is not None:
        fallbacks.append(fallback_kw)
    candidates = fallbacks or ([] if provider_offline else forecast)
    if not candidates:
        return None
    return max(min(grid_limit_kw, *candidates), 0.0)
