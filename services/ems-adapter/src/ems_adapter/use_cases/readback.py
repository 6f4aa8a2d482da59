"""After a replan: ask each charge point that accepted its profiles what it will actually do.

"Accepted" says the charge point took a profile, not that it follows it: it may ignore it, stack
it wrongly or hold a local profile of its own. Where the charge point supports it,
GetCompositeSchedule (EVSE 0 for the cap, each EVSE with a transaction for cap and TxProfile)
tells; ``domain/readback.py`` compares it with what we recorded as held. The verdict is kept per
charge point (``profile_checks``) and shown in the operator API. On a mismatch the charge point's
compared profiles are forgotten as held, so the next replan sends them again. A charge point that
answers ``not_supported``, refuses, is offline or times out is recorded as ``not_verified``.

Off the replan's critical path: the plan has committed and the profiles are out before a check
starts; checks run as tasks, at most ``concurrency`` at a time, and a replan never waits for
them. A replan that sends newer profiles while a check waits makes that check moot: it records
nothing when what it compared is no longer what is held.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Protocol

import asyncpg
import structlog

from ems_adapter import repository as repo
from ems_adapter import repository_checks as checks_repo
from ems_adapter.domain.dispatch import Held
from ems_adapter.domain.profiles import Unit
from ems_adapter.domain.readback import Check, installed, reported_schedule, verdict, window_s
from ems_adapter.domain.site import LocationPlan
from ladeplan_contracts.commands import ChargingProfile, CommandBody, CommandReply
from ladeplan_contracts.commands_charging import GetCompositeSchedule
from ladeplan_platform.db import transaction

log = structlog.get_logger("ems_adapter.readback")


class _Sender(Protocol):
    async def send(self, charge_point_id: str, command: CommandBody, *, timeout_s: float = 30.0) -> CommandReply: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


class ReadBack:
    def __init__(
        self,
        pool: asyncpg.Pool,
        commands: _Sender,
        *,
        timeout_s: float = 30.0,
        concurrency: int = 8,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._pool = pool
        self._commands = commands
        self._timeout_s = timeout_s
        self._slots = asyncio.Semaphore(concurrency)
        self._clock = clock
        self._tasks: set[asyncio.Task[None]] = set()
        # Per charge point, how many sends began: a check records nothing when another began meanwhile
        # (the charge point may report profiles that are not recorded as held yet).
        self._sends: dict[str, int] = {}

    def sending(self, charge_point_id: str) -> None:
        """A replan is about to send ``charge_point_id`` a profile (a check running now becomes moot)."""
        self._sends[charge_point_id] = self._sends.get(charge_point_id, 0) + 1

    def after_replan(self, charge_point_ids: list[str], located: LocationPlan, units: Mapping[str, Unit]) -> None:
        """Check each of ``charge_point_ids`` (they accepted everything this replan sent them), in the background."""
        window = window_s(located.slot_seconds, len(located.capacity_kw))
        for charge_point_id in charge_point_ids:
            transactions = {
                demand.session.evse_id: demand.session.transaction_ref
                for demand in located.demands
                if demand.session.charge_point_id == charge_point_id
            }
            unit = units.get(charge_point_id, "A")
            generation = self._sends.get(charge_point_id, 0)
            task = asyncio.create_task(self._guarded(charge_point_id, transactions, unit, window, generation))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def idle(self) -> None:
        """Wait for the checks running now (tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _guarded(
        self, charge_point_id: str, transactions: dict[int, str], unit: Unit, window: int, generation: int
    ) -> None:
        try:
            async with self._slots:
                await self.check(charge_point_id, transactions, unit, window, generation)
        except Exception:  # a check is advice: a failure must not surface as an unhandled task error
            log.exception("readback.failed", charge_point_id=charge_point_id)

    async def check(
        self, charge_point_id: str, transactions: Mapping[int, str], unit: Unit, window: int, generation: int = 0
    ) -> None:
        """Read back ``charge_point_id``'s composite schedules and record the verdict (module doc).

        ``generation``: how many sends to it had begun when the check was asked for (``sending``).
        """
        async with self._pool.acquire() as conn:
            held = await repo.held_profiles(conn, [charge_point_id])
        cap = held.get((charge_point_id, 0, "charge_point_max"))
        if cap is None:
            return  # nothing of ours to compare with
        compared: dict[tuple[int, str], ChargingProfile] = {(0, "charge_point_max"): cap}
        targets: list[tuple[int, ChargingProfile | None]] = [(0, None)]
        for evse_id, transaction_ref in sorted(transactions.items()):
            tx = _tx_of(held, charge_point_id, evse_id, transaction_ref)
            if tx is not None:
                compared[(evse_id, "tx")] = tx
            targets.append((evse_id, tx))
        results: list[Check] = []
        details: list[str] = []
        for evse_id, tx in targets:
            asked_at = self._clock()
            command = GetCompositeSchedule(duration_s=window, evse_id=evse_id, unit=unit)
            reply = await self._commands.send(charge_point_id, command, timeout_s=self._timeout_s)
            reported = reported_schedule(reply.response, asked_at) if reply.status == "accepted" else None
            results.append(Check(evse_id, reply.status, reported, installed(cap, tx)))
            if reported is None:
                details.append(f"EVSE {evse_id}: {reply.status}" + (f" ({reply.detail})" if reply.detail else ""))
                break  # the charge point cannot tell us now; asking its other EVSEs would say the same
        found, difference = verdict(results, window)
        checked_at = self._clock()
        if self._sends.get(charge_point_id, 0) != generation:
            return  # a newer replan is sending it profiles; that replan checks again
        async with transaction(self._pool, "ems.profile_check") as conn:
            now_held = await checks_repo.lock_held_rows(conn, charge_point_id)
            if any(
                key not in now_held or ChargingProfile.model_validate_json(now_held[key]) != profile
                for key, profile in compared.items()
            ):
                return  # a newer replan changed what it holds meanwhile; that replan checks again
            detail = "; ".join(details) or None
            if difference is not None:
                detail = (
                    f"EVSE {difference.evse_id} at {difference.at.isoformat()}: reported"
                    f" {difference.reported_kw:.3f} kW, installed {difference.expected_kw:.3f} kW"
                )
                await checks_repo.forget_held(conn, charge_point_id, list(compared))
            await checks_repo.record_check(conn, charge_point_id, checked_at, found, detail, difference)
        if found == "mismatch" and difference is not None:
            log.warning("profiles.mismatch", charge_point_id=charge_point_id, evse_id=difference.evse_id,
                        at=difference.at.isoformat(), expected_kw=round(difference.expected_kw, 3),
                        reported_kw=round(difference.reported_kw, 3),
                        difference_kw=round(difference.kw, 3))  # fmt: skip
        else:
            log.info("profiles.read_back", charge_point_id=charge_point_id, verdict=found, detail=detail)


def _tx_of(held: Held, charge_point_id: str, evse_id: int, transaction_ref: str) -> ChargingProfile | None:
    """The TxProfile held for the transaction running on the EVSE (one of an earlier transaction is gone)."""
    tx = held.get((charge_point_id, evse_id, "tx"))
    return tx if tx is not None and tx.transaction_ref == transaction_ref else None
