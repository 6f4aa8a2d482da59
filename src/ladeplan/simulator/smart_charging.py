"""What a simulated charge point does with the charging profiles it receives, and a car that obeys them.

A charge point keeps every SetChargingProfile it accepted (with the moment it arrived, so a test
can replay what it held at any instant) and computes the composite limit the way OCPP 1.6 §3.13
and 2.0.1 K08 describe: per purpose, the valid profile with the highest stack level wins; the
result is the smaller of the charge point's max profile (connector / EVSE 0) and the
transaction's TxProfile (or TxDefaultProfile) on its EVSE. A profile applies from its
``startSchedule`` (when it arrived, if it has none) until its ``duration`` ends; a period in A
counts ``numberPhases`` (3 when absent) times 230 V. Payloads are the ``ocpp`` package's
snake_case dicts of 1.6 (``charging_profile_id``, one ``charging_schedule``) or 2.x (``id``, a
list of schedules).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

VOLTAGE = 230.0
_MAX = {"ChargePointMaxProfile", "ChargingStationMaxProfile"}
_TX = {"TxProfile"}
_TX_DEFAULT = {"TxDefaultProfile"}
HARDWARE_MAX_W = 32 * 3 * VOLTAGE  # what a simulated charge point gives without any profile: 32 A, three phases


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class Received:
    """One accepted SetChargingProfile: when it arrived, for which EVSE (0: the whole charge point)."""

    at: datetime
    evse_id: int
    profile: dict[str, Any]

    @property
    def profile_id(self) -> int:
        return int(self.profile.get("charging_profile_id", self.profile.get("id", 0)))

    @property
    def purpose(self) -> str:
        return str(self.profile["charging_profile_purpose"])

    @property
    def stack_level(self) -> int:
        return int(self.profile["stack_level"])

    @property
    def schedule(self) -> dict[str, Any]:
        schedule = self.profile["charging_schedule"]
        return dict(schedule[0] if isinstance(schedule, list) else schedule)

    @property
    def transaction_id(self) -> str | None:
        value = self.profile.get("transaction_id")
        return None if value is None else str(value)

    def limit_w(self, at: datetime) -> float | None:
        """The profile's limit at ``at`` in W; None when it does not apply then (before its start, after its end)."""
        schedule = self.schedule
        start = _time(schedule.get("start_schedule")) or self.at
        offset = (at - start).total_seconds()
        duration = schedule.get("duration")
        if offset < 0 or (duration is not None and offset >= float(duration)):
            return None
        current: dict[str, Any] | None = None
        for period in schedule["charging_schedule_period"]:
            if float(period["start_period"]) <= offset:
                current = period
        if current is None:
            return None
        limit = float(current["limit"])
        if schedule["charging_rate_unit"] == "A":
            return limit * int(current.get("number_phases") or 3) * VOLTAGE
        return limit


@dataclass
class ProfileBook:
    """Every profile a charge point accepted, in arrival order; what it held at any moment."""

    received: list[Received] = field(default_factory=list)

    def add(self, evse_id: int, profile: dict[str, Any], at: datetime | None = None) -> None:
        self.received.append(Received(at or datetime.now(UTC), evse_id, profile))

    def held(self, at: datetime) -> list[Received]:
        """The profiles in force at ``at``: a later one replaces one with the same id, or the same
        EVSE, purpose and stack level (OCPP's replacement rules)."""
        kept: list[Received] = []
        for item in self.received:
            if item.at > at:
                break
            kept = [
                old
                for old in kept
                if old.profile_id != item.profile_id
                and (old.evse_id, old.purpose, old.stack_level) != (item.evse_id, item.purpose, item.stack_level)
            ]
            kept.append(item)
        return kept

    def limit_w(self, at: datetime, evse_id: int | None = None, transaction_id: str | None = None) -> float:
        """The composite limit at ``at`` in W (inf when nothing limits).

        ``evse_id`` None: the charge point's max profile alone; else also the EVSE's TxProfile of
        ``transaction_id`` (any TxProfile of the EVSE when None), or its TxDefaultProfile.
        """
        held = self.held(at)
        limit = _winner(at, [p for p in held if p.evse_id == 0 and p.purpose in _MAX])
        if evse_id is None:
            return limit
        tx = [
            p
            for p in held
            if p.evse_id == evse_id
            and p.purpose in _TX
            and (transaction_id is None or p.transaction_id in (None, transaction_id))
        ]
        default = [p for p in held if p.evse_id in (0, evse_id) and p.purpose in _TX_DEFAULT]
        tx_limit = _winner(at, tx)
        return min(limit, tx_limit if math.isfinite(tx_limit) else _winner(at, default))

    def composite(
        self, start: datetime, duration_s: int, evse_id: int, unit: str = "A", hardware_max_w: float = HARDWARE_MAX_W
    ) -> list[dict[str, Any]]:
        """GetCompositeSchedule's periods from ``start`` for ``duration_s``, from the profiles held now.

        EVSE 0: the max profile alone; an EVSE: the smaller of that and its TxProfile (``limit_w``).
        Where nothing limits, the charge point's own maximum. In A, stated on three phases and
        rounded down to 0.1 A (as limits are sent); offsets in whole seconds, as OCPP has them.
        """
        end = start + timedelta(seconds=duration_s)
        moments = {start}
        for item in self.held(start):
            schedule = item.schedule
            origin = _time(schedule.get("start_schedule")) or item.at
            points = [
                origin + timedelta(seconds=float(p["start_period"])) for p in schedule["charging_schedule_period"]
            ]
            if schedule.get("duration") is not None:
                points.append(origin + timedelta(seconds=float(schedule["duration"])))
            moments.update(point for point in points if start < point < end)
        composite: list[dict[str, Any]] = []
        for moment in sorted(moments):
            watts = self.limit_w(moment, None if evse_id == 0 else evse_id)
            watts = min(watts, hardware_max_w)
            limit = watts if unit == "W" else math.floor(watts / (3 * VOLTAGE) * 10 + 1e-6) / 10
            offset = round((moment - start).total_seconds())
            period: dict[str, Any] = {"start_period": offset, "limit": float(limit)}
            if unit == "A":
                period["number_phases"] = 3
            if composite and composite[-1]["start_period"] == offset:
                composite[-1] = period  # two changes within a second: the later one holds
            elif not composite or composite[-1]["limit"] != period["limit"]:
                composite.append(period)
        return composite


def _winner(at: datetime, profiles: list[Received]) -> float:
    """The limit of the highest stack level that applies at ``at``; inf when none does."""
    for item in sorted(profiles, key=lambda p: p.stack_level, reverse=True):
        value = item.limit_w(at)
        if value is not None:
            return value
    return math.inf


@dataclass
class Ev:
    """A car: draws at most ``max_power_w``, stops once it has ``energy_wh`` (None: never full)."""

    max_power_w: float
    energy_wh: float | None = None


@dataclass
class Charging:
    """One car on one EVSE drawing ``min(composite limit, its maximum)`` until full; the meter follows.

    The car follows a limit the moment it changes, as a charge point's controller does: ``step``
    integrates the power over the time since the last step in ``RESOLUTION_S`` pieces, each at the
    limit in force at its middle (a limit change inside a piece then errs either way, not always
    the same), and returns the power drawn now.
    """

    RESOLUTION_S = 0.02

    book: ProfileBook
    evse_id: int
    transaction_id: str
    ev: Ev
    meter_wh: float
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    delivered_wh: float = 0.0
    power_w: float = 0.0

    def __post_init__(self) -> None:
        self._last = self.started_at

    def power_at(self, at: datetime) -> float:
        """What the car draws at ``at``: nothing once full, else its maximum within the composite limit."""
        if self.ev.energy_wh is not None and self.delivered_wh >= self.ev.energy_wh:
            return 0.0
        return max(0.0, min(self.ev.max_power_w, self.book.limit_w(at, self.evse_id, self.transaction_id)))

    def step(self, now: datetime | None = None) -> float:
        """Advance the meter to ``now`` and return the power drawn from then on."""
        now = now or datetime.now(UTC)
        elapsed = max((now - self._last).total_seconds(), 0.0)
        pieces = max(1, math.ceil(elapsed / self.RESOLUTION_S))
        for index in range(pieces):
            at = self._last + (now - self._last) * ((index + 0.5) / pieces)
            energy = self.power_at(at) * elapsed / pieces / 3600
            if self.ev.energy_wh is not None:
                energy = min(energy, max(self.ev.energy_wh - self.delivered_wh, 0.0))
            self.delivered_wh += energy
            self.meter_wh += energy
        self._last = now
        self.power_w = self.power_at(now)
        return self.power_w
