"""Storing ``transaction.meter_values`` messages, one or a burst of them, inside the caller's transaction.

One message or five hundred take the same four statements: the inbox rows, the transaction
locks, the sessions the messages name, and the rows in queue order. That is what lets the
consumer keep up with thousands of messages a second while handling them in order: a burst of
meter values changes no session, so looking the sessions up once for the burst is the same as
looking them up before each message. An end, which does change its session, is never part of a
burst (see :mod:`session_manager.use_cases.transactions`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import structlog
from structlog.contextvars import bound_contextvars

from ladeplan_contracts.envelope import Envelope
from ladeplan_contracts.events import MeterValuesReported
from ladeplan_platform.outbox import mark_processed_many
from session_manager import repository as repo
from session_manager.domain.energy import Reading, measured_so_far
from session_manager.domain.session import Session
from session_manager.repository import MeterValueRow
from session_manager.use_cases.energy_events import SessionMeasurement
from session_manager.use_cases.meter_rows import log_duplicates, meter_rows

log = structlog.get_logger("session_manager.transactions")


@dataclass(frozen=True)
class MeterReportStored:
    """What became of one message, for the log line written once its transaction committed."""

    message_id: str
    charge_point_id: str
    transaction_ref: str | None
    session_id: uuid.UUID | None
    stored: int
    measured: SessionMeasurement | None = None
    """What the message's register readings say the running session drew so far, when they say it."""

    def log(self) -> None:
        with bound_contextvars(
            message_id=self.message_id, charge_point_id=self.charge_point_id, transaction_ref=self.transaction_ref
        ):
            if self.session_id is not None:
                log.info("meter_values.stored", session_id=str(self.session_id), count=self.stored)
            elif self.transaction_ref is None:
                log.info("meter_values.stored_without_transaction", count=self.stored)
            elif self.stored:
                log.warning("meter_values.unknown_transaction", transaction_ref=self.transaction_ref, count=self.stored)


async def store_meter_reports(conn: asyncpg.Connection, envelopes: Sequence[Envelope[Any]]) -> list[MeterReportStored]:
    """Store every sampled value of ``envelopes`` (MeterValuesReported, in queue order) once.

    A message seen before (inbox) is skipped whole; a reading stored before (a retried CALL,
    whatever its OCPP message id) is skipped by its natural key. Values of a transaction we do
    not know are kept and flagged. Returns one entry per message stored, in order.
    """
    fresh = await mark_processed_many(conn, [e.message_id for e in envelopes])
    todo: list[Envelope[Any]] = []
    for envelope in envelopes:
        if envelope.message_id in fresh:
            fresh.discard(envelope.message_id)  # the same message twice in one burst counts once
            todo.append(envelope)
        else:
            with bound_contextvars(message_id=envelope.message_id):
                log.info("meter_values.duplicate_ignored")
    reports: list[MeterValuesReported] = [e.data for e in todo]
    refs = [(r.charge_point_id, r.transaction_ref) for r in reports if r.transaction_ref is not None]
    await repo.lock_transaction_refs(conn, refs)
    sessions = await repo.find_by_refs(conn, refs)
    rows_by_message = []
    session_of: list[Session | None] = []
    for envelope, report in zip(todo, reports, strict=True):
        session = sessions.get((report.charge_point_id, report.transaction_ref)) if report.transaction_ref else None
        session_of.append(session)
        rows = meter_rows(
            report.meter_values,
            session_id=session.id if session else None,
            unknown_transaction=session is None,
            charge_point_id=report.charge_point_id,
            evse_id=report.evse_id,
            connector_id=report.connector_id,
            transaction_ref=report.transaction_ref,
            ocpp_message_id=report.ocpp_message_id,
            message_id=envelope.message_id,
        )
        rows_by_message.append(rows)
    stored = await repo.insert_meter_values_by_message(conn, [row for rows in rows_by_message for row in rows])
    results = []
    for envelope, report, rows, session in zip(todo, reports, rows_by_message, session_of, strict=True):
        new = stored[envelope.message_id]
        if new < len(rows):
            with bound_contextvars(message_id=envelope.message_id, charge_point_id=report.charge_point_id):
                await log_duplicates(conn, rows, new)
        results.append(
            MeterReportStored(
                message_id=envelope.message_id,
                charge_point_id=report.charge_point_id,
                transaction_ref=report.transaction_ref,
                session_id=session.id if session else None,
                stored=new,
                measured=_measured(session, rows),
            )
        )
    return results


def _measured(session: Session | None, rows: list[MeterValueRow]) -> SessionMeasurement | None:
    """The running session's energy by these rows; values of an unknown or ended transaction say nothing."""
    if session is None or not session.is_active:
        return None
    readings = (
        (
            row.sampled_at,
            Reading(
                row.value, row.measurand, row.unit, row.multiplier, row.phase, row.context, row.location, row.format
            ),
        )
        for row in rows
    )
    measurement = measured_so_far(session.meter_start_wh, readings)
    return None if measurement is None else SessionMeasurement(session, measurement)
