"""A transaction's life: the StartTransaction RPC, its meter values, and its end."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import asyncpg
import structlog
from structlog.contextvars import bound_contextvars

from ladeplan_contracts.envelope import Envelope
from ladeplan_contracts.events import (
    MeterValuesReported,
    SessionCompleted,
    TransactionEnded,
    TransactionStarted,
)
from ladeplan_contracts.rpc import AuthorizationStatus, StartTransactionReply, StartTransactionRequest
from ladeplan_platform.db import transaction
from ladeplan_platform.outbox import add_to_outbox, mark_processed
from session_manager import repository as repo
from session_manager.domain.authorization import decide_start
from session_manager.domain.energy import session_energy
from session_manager.domain.session import Session, transaction_ref_for
from session_manager.use_cases.energy_events import EnergyEvents
from session_manager.use_cases.meter_reports import MeterReportStored, store_meter_reports
from session_manager.use_cases.meter_rows import meter_rows, store_meter_rows

log = structlog.get_logger("session_manager.transactions")


@dataclass(frozen=True)
class _Completed:
    """A session an end completed, and whether its ``session.completed`` was staged in the outbox."""

    session: Session
    announced: bool
    charge_point_id: str
    transaction_ref: str


class Transactions:
    def __init__(
        self, pool: asyncpg.Pool, *, on_commit: Callable[[], None], energy_event_interval_s: float = 60.0
    ) -> None:
        self._pool = pool
        # Called after a commit that staged outbox rows, so the relay publishes them at once.
        self._on_commit = on_commit
        self._energy_events = EnergyEvents(energy_event_interval_s)

    async def start(self, request: StartTransactionRequest) -> StartTransactionReply:
        """Record a started transaction, authorised or not, and answer with its ids.

        Idempotent: a charge point that got no answer repeats the request, and gets the session
        the first attempt created. The unique start key decides in the database, so two
        attempts racing each other cannot both create one.
        """
        async with transaction(self._pool, "transaction.start") as conn:
            token = await repo.find_token(conn, request.token_uid) if request.token_uid else None
            decision = decide_start(request.token_uid, token)
            transaction_id = await repo.next_transaction_id(conn)
            ref = transaction_ref_for(request.transaction_ref, transaction_id)
            new = repo.NewSession(
                id=uuid.uuid4(),
                charge_point_id=request.charge_point_id,
                evse_id=request.evse_id,
                connector_id=request.connector_id,
                transaction_id=transaction_id,
                transaction_ref=ref.ref,
                transaction_ref_assigned=ref.assigned,
                token_uid=request.token_uid,
                # The token's owner even when refused: whoever reads the session later sees whose card it was.
                user_id=token.user_id if token else None,
                authorization_status=decision.status,
                started_at=request.started_at,
                meter_start_wh=request.meter_start_wh,
            )
            session = await repo.insert_session(conn, new)
            created = session is not None
            if session is None:
                session = await repo.find_started(conn, new)
                assert session is not None, "the start key conflicted, so its session exists"
            else:
                await add_to_outbox(conn, _started_event(new), charge_point_id=new.charge_point_id)
        with bound_contextvars(session_id=str(session.id), charge_point_id=session.charge_point_id):
            if created:
                self._on_commit()
                log.info("session.started", status=session.authorization_status, ref=session.transaction_ref)
            else:
                log.info("session.start_repeated", ref=session.transaction_ref)
        return StartTransactionReply(
            status=cast(AuthorizationStatus, session.authorization_status),
            session_id=str(session.id),
            transaction_ref=session.transaction_ref,
            transaction_id=session.transaction_id,
        )

    async def record_meter_values(self, envelope: Envelope[Any]) -> None:
        """Store every sampled value once; values of a transaction we do not know are kept and flagged.

        A reading stored before (a retried CALL, whatever its OCPP message id) is skipped, so it
        neither shows twice nor changes any energy.
        """
        async with transaction(self._pool, envelope.type) as conn:
            stored = await store_meter_reports(conn, [envelope])
            announced = await self._energy_events.stage(conn, (r.measured for r in stored if r.measured))
        self._after_meter_values(stored, announced)

    async def end(self, envelope: Envelope[Any]) -> None:
        """Complete the session with its energy and announce it; an unknown transaction is kept too."""
        async with transaction(self._pool, envelope.type) as conn:
            outcome = await self._end(conn, envelope)
        if outcome is not None:
            self._after_end(outcome)

    async def apply_in_order(self, envelopes: Sequence[Envelope[Any]]) -> None:
        """Meter values and ends, in queue order, in one transaction: what many single calls would do.

        Consecutive meter values are stored together (:func:`store_meter_reports`); an end ends
        such a run, so the values before it are stored before it computes the energy, and the
        values after it see the session it completed, as one message at a time would.
        """
        logged: list[MeterReportStored] = []
        ends: list[_Completed] = []
        async with transaction(self._pool, "transaction.batch") as conn:
            run: list[Envelope[Any]] = []
            for envelope in envelopes:
                if isinstance(envelope.data, MeterValuesReported):
                    run.append(envelope)
                    continue
                if run:
                    logged += await store_meter_reports(conn, run)
                    run = []
                with bound_contextvars(
                    message_id=envelope.message_id,
                    charge_point_id=envelope.data.charge_point_id,
                    transaction_ref=envelope.data.transaction_ref,
                ):
                    outcome = await self._end(conn, envelope)
                if outcome is not None:
                    ends.append(outcome)
            if run:
                logged += await store_meter_reports(conn, run)
            # After the ends: a session completed in this burst has its energy, and is not announced.
            completed = {outcome.session.id for outcome in ends}
            measured = (r.measured for r in logged if r.measured and r.measured.session.id not in completed)
            announced = await self._energy_events.stage(conn, measured)
        self._after_meter_values(logged, announced)
        for outcome in ends:
            self._after_end(outcome)

    def _after_meter_values(self, stored: Sequence[MeterReportStored], announced: list[uuid.UUID]) -> None:
        """After the commit: remember the announcements, wake the outbox relay for them, and log."""
        if announced:
            self._energy_events.committed(announced)
            self._on_commit()
        for report in stored:
            report.log()

    async def _end(self, conn: asyncpg.Connection, envelope: Envelope[Any]) -> _Completed | None:
        """Inside the caller's transaction: the completed session, or None when there was nothing to do."""
        ended: TransactionEnded = envelope.data
        if not await mark_processed(conn, envelope.message_id):
            log.info("transaction.end_duplicate_ignored")
            return None
        await repo.lock_transaction_ref(conn, ended.charge_point_id, ended.transaction_ref)
        session = await repo.find_by_ref(conn, ended.charge_point_id, ended.transaction_ref)
        if session is None:
            session = await self._session_for_unknown_start(conn, ended)
        with bound_contextvars(session_id=str(session.id)):
            if not session.is_active:
                log.info("transaction.end_of_completed_session_ignored")
                return None
            completed, announced = await self._complete(conn, session, envelope)
        return _Completed(completed, announced, ended.charge_point_id, ended.transaction_ref)

    def _after_end(self, outcome: _Completed) -> None:
        """After the commit: wake the outbox relay and log."""
        if outcome.announced:
            self._on_commit()
        completed = outcome.session
        self._energy_events.forget(completed.id)
        with bound_contextvars(
            session_id=str(completed.id),
            charge_point_id=outcome.charge_point_id,
            transaction_ref=outcome.transaction_ref,
        ):
            log.info("session.completed", energy_wh=completed.energy_wh, unknown_start=completed.unknown_start)

    async def _session_for_unknown_start(self, conn: asyncpg.Connection, ended: TransactionEnded) -> Session:
        """A session for the end of a transaction never seen starting, holding what arrived of it so far."""
        session = await repo.insert_unknown_start(conn, ended.charge_point_id, ended.transaction_ref, ended.token_uid)
        adopted = await repo.adopt_unmatched(conn, session.id, ended.charge_point_id, ended.transaction_ref)
        log.warning(
            "transaction.end_without_start",
            session_id=str(session.id),
            transaction_ref=ended.transaction_ref,
            adopted_meter_values=adopted,
        )
        return session

    async def _complete(
        self, conn: asyncpg.Connection, session: Session, envelope: Envelope[Any]
    ) -> tuple[Session, bool]:
        """Store the end's meter values, compute the energy, close the session and stage its event.

        Returns the completed session and whether an event was staged.
        """
        ended: TransactionEnded = envelope.data
        rows = meter_rows(
            ended.meter_values,
            session_id=session.id,
            unknown_transaction=session.unknown_start,
            charge_point_id=session.charge_point_id,
            evse_id=session.evse_id,
            connector_id=session.connector_id,
            transaction_ref=session.transaction_ref,
            ocpp_message_id=ended.ocpp_message_id,
            message_id=envelope.message_id,
        )
        await store_meter_rows(conn, rows)
        readings = await repo.energy_readings(conn, session.id)
        energy = session_energy(session.meter_start_wh, ended.meter_stop_wh, readings)
        if energy.wh is None:
            log.warning("session.energy_unknown", meter_start_wh=session.meter_start_wh, readings=len(readings))
        completed = await repo.complete_session(
            conn,
            session.id,
            ended_at=ended.stopped_at,
            meter_stop_wh=ended.meter_stop_wh,
            stop_reason=ended.reason,
            stop_token_uid=ended.token_uid,
            energy=energy,
        )
        event = await _completed_event(conn, completed)
        if event is None:
            return completed, False
        await add_to_outbox(
            conn,
            event,
            charge_point_id=completed.charge_point_id,
            causation_id=envelope.message_id,
            correlation_id=envelope.correlation_id,
        )
        return completed, True


def _started_event(new: repo.NewSession) -> TransactionStarted:
    return TransactionStarted(
        session_id=str(new.id),
        charge_point_id=new.charge_point_id,
        evse_id=new.evse_id,
        connector_id=new.connector_id,
        transaction_ref=new.transaction_ref,
        token_uid=new.token_uid,
        authorization_status=new.authorization_status,
        started_at=new.started_at,
        meter_start_wh=new.meter_start_wh,
    )


async def _completed_event(conn: asyncpg.Connection, session: Session) -> SessionCompleted | None:
    """The event announcing ``session``; None for a session whose start (and so its place) is unknown.

    Such a session lacks the start time, connector and authorisation that consumers bill by; it
    stays visible to operators (``unknown_start``) instead of being guessed into an event.
    """
    if session.started_at is None or session.evse_id is None or session.connector_id is None:
        return None
    assert session.ended_at is not None
    user_id = session.user_id
    if user_id is None and session.token_uid is not None:
        # The token may have reached the read model only after the start (masterdata lagging).
        token = await repo.find_token(conn, session.token_uid)
        user_id = token.user_id if token else None
    return SessionCompleted(
        session_id=str(session.id),
        charge_point_id=session.charge_point_id,
        evse_id=session.evse_id,
        connector_id=session.connector_id,
        transaction_ref=session.transaction_ref,
        token_uid=session.token_uid,
        user_id=user_id,
        started_at=session.started_at,
        ended_at=session.ended_at,
        # The contract needs a number; an unknown energy is logged above and stays NULL in the table.
        energy_wh=session.energy_wh or 0,
        stop_reason=session.stop_reason,
    )
