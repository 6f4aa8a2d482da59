"""``session.energy.measured``: what a running session drew by its meter, at a low, bounded rate.

ems-adapter plans from it instead of trusting its own previous plan, without consuming every
``transaction.meter_values`` (the bulk of all traffic). Each session is announced at most once
per interval, so the rate is bounded by the number of running sessions, not by how often charge
points send values. The last announcement per session is kept in memory only: after a restart a
session is simply announced again, which costs one event and never loses one that mattered (a
newer measurement replaces an older one downstream).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import asyncpg

from ladeplan_contracts.events import SessionEnergyMeasured
from ladeplan_platform.outbox import add_to_outbox
from session_manager.domain.energy import Measurement
from session_manager.domain.session import Session

_PRUNE_FLOOR = 10_000


@dataclass(frozen=True)
class SessionMeasurement:
    """A running session and what its meter said it drew, from the values of one message or burst."""

    session: Session
    measurement: Measurement


def newest_per_session(measured: Iterable[SessionMeasurement]) -> dict[uuid.UUID, SessionMeasurement]:
    """One measurement per session, the newest: a burst announces a session once at most."""
    newest: dict[uuid.UUID, SessionMeasurement] = {}
    for item in measured:
        seen = newest.get(item.session.id)
        if seen is None or (item.measurement.wh, item.measurement.at) >= (seen.measurement.wh, seen.measurement.at):
            newest[item.session.id] = item
    return newest


class EnergyEvents:
    """Decides which sessions are due an announcement and stages it in the caller's transaction."""

    def __init__(self, interval_s: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval_s = interval_s
        self._clock = clock
        self._last: dict[uuid.UUID, float] = {}  # session -> when it was last announced (committed)
        self._prune_at = _PRUNE_FLOOR

    async def stage(self, conn: asyncpg.Connection, measured: Iterable[SessionMeasurement]) -> list[uuid.UUID]:
        """Outbox rows for the sessions whose interval has passed; returns them for :meth:`committed`."""
        now = self._clock()
        staged = []
        for session_id, item in newest_per_session(measured).items():
            last = self._last.get(session_id)
            if last is not None and now - last < self._interval_s:
                continue
            session = item.session
            await add_to_outbox(
                conn,
                SessionEnergyMeasured(
                    session_id=str(session_id),
                    charge_point_id=session.charge_point_id,
                    transaction_ref=session.transaction_ref,
                    energy_kwh=item.measurement.wh / 1000,
                    measured_at=item.measurement.at,
                ),
                charge_point_id=session.charge_point_id,
            )
            staged.append(session_id)
        return staged

    def committed(self, session_ids: Iterable[uuid.UUID]) -> None:
        """Remember announcements once their transaction committed (a rolled back one is tried again)."""
        now = self._clock()
        for session_id in session_ids:
            self._last[session_id] = now
        if len(self._last) > self._prune_at:
            # A session whose end never arrived would stay forever; an entry past its interval acts
            # as no entry, so dropping those changes nothing. Pruning at twice the kept size keeps it O(1).
            self._last = {sid: at for sid, at in self._last.items() if now - at < self._interval_s}
            self._prune_at = max(_PRUNE_FLOOR, 2 * len(self._last))

    def forget(self, session_id: uuid.UUID) -> None:
        """A completed session is never announced again: its entry would only take memory."""
        self._last.pop(session_id, None)
