"""Issuing a session's receipt: verify what was captured, store the receipt, announce it.

A receipt is issued once the session is completed (``session.completed``) *and* its end
(``transaction.ended``, which carries the end's signed values) has been captured, whichever of
the two arrives second. Values that arrive for the session afterwards, or an operator's request
(after configuring the meter's key, say), issue a new version; a receipt is never changed.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, cast

import asyncpg
import structlog

from ladeplan_contracts.receipts import ReceiptIssued, ReceiptStatus
from ladeplan_platform.outbox import add_to_outbox
from receipts.domain.ocmf import Reading
from receipts.domain.verification import CapturedValue, KeySource, MeterKey, SessionVerdict, verify_session
from receipts.repository.keys import newest_key
from receipts.repository.receipts import ReceiptRow, insert_receipt, latest_receipt
from receipts.repository.records import StoredRecord, records_of_transaction
from receipts.repository.sessions import SessionFacts, end_seen

log = structlog.get_logger("receipts.issuing")

WHOLE_CHARGE_POINT = 0
"""EVSE id of a key configured for every EVSE of a charge point (one meter for all)."""


class IssuedFor(StrEnum):
    SESSION_COMPLETED = "session.completed"
    LATE_VALUES = "late_values"
    OPERATOR_REQUEST = "operator_request"


class Issuing:
    def __init__(self, *, retention: timedelta) -> None:
        self._retention = retention

    async def refresh(
        self,
        conn: asyncpg.Connection,
        session: SessionFacts,
        *,
        force: bool = False,
        causation_id: str | None = None,
        correlation_id: str | None = None,
    ) -> ReceiptRow | None:
        """Issue the session's receipt, or a new version when its values changed; None when nothing is due.

        The caller holds the transaction's lock (``lock_transaction``). ``force`` (an operator's
        request) issues a new version even when nothing changed and without waiting for the end.
        """
        if not session.completed:
            return None
        if not force and not await end_seen(conn, session.charge_point_id, session.transaction_ref):
            log.info("receipt.waiting_for_end", session_id=str(session.session_id))
            return None
        records = await records_of_transaction(
            conn, session.session_id, session.charge_point_id, session.transaction_ref
        )
        latest = await latest_receipt(conn, session.session_id)
        record_ids = [record.id for record in records]
        if latest is not None and not force and latest.record_ids == record_ids:
            return None
        configured, remembered = await _keys(conn, session)
        verdict = verify_session(
            [CapturedValue(r.id, r.context, r.signed_meter_data, r.public_key) for r in records],
            configured=configured,
            remembered=remembered,
            token=session.token_uid,
        )
        issued_for = (
            IssuedFor.OPERATOR_REQUEST if force else IssuedFor.LATE_VALUES if latest else IssuedFor.SESSION_COMPLETED
        )
        receipt = self._receipt(
            session, verdict, records, version=latest.version + 1 if latest else 1, issued_for=issued_for
        )
        await insert_receipt(conn, receipt)
        await add_to_outbox(
            conn,
            issued_event(receipt),
            charge_point_id=receipt.charge_point_id,
            causation_id=causation_id,
            correlation_id=correlation_id,
        )
        log.info(
            "receipt.issued",
            session_id=str(session.session_id),
            version=receipt.version,
            status=receipt.status,
            reason=receipt.reason,
            records=len(records),
        )
        return receipt

    def _receipt(
        self,
        session: SessionFacts,
        verdict: SessionVerdict,
        records: list[StoredRecord],
        *,
        version: int,
        issued_for: IssuedFor,
    ) -> ReceiptRow:
        assert session.ended_at is not None, "a completed session has ended"
        contexts = {value.record_id: value.context for value in verdict.values}
        energy = verdict.energy
        now = datetime.now(UTC)
        return ReceiptRow(
            id=uuid.uuid4(),
            session_id=session.session_id,
            version=version,
            status=verdict.outcome.value,
            reason=verdict.reason,
            billable=verdict.billable,
            charge_point_id=session.charge_point_id,
            evse_id=session.evse_id,
            connector_id=session.connector_id,
            transaction_ref=session.transaction_ref,
            transaction_number=session.transparency_transaction_id,
            token_uid=session.token_uid,
            user_id=session.user_id,
            started_at=session.started_at,
            ended_at=session.ended_at,
            energy_wh=session.energy_wh,
            measured_energy=None if energy is None else str(energy),
            measured_energy_unit=verdict.end.unit if energy is not None and verdict.end else None,
            begin_reading=_reading(verdict.begin, verdict.begin_record_id, contexts),
            end_reading=_reading(verdict.end, verdict.end_record_id, contexts),
            record_ids=[record.id for record in records],
            signed_format=verdict.format,
            public_key=verdict.key.text if verdict.key else None,
            public_key_source=verdict.key.source.value if verdict.key else None,
            # No tariff service yet: billing attaches its tariff by session id (docs: receipts README).
            tariff_ref=None,
            notes=list(verdict.notes),
            issued_for=issued_for.value,
            created_at=now,
            retain_until=now + self._retention,
        )


def _reading(reading: Reading | None, record_id: int | None, contexts: dict[int, str]) -> dict[str, Any] | None:
    if record_id is None:
        return None
    summary: dict[str, Any] = reading.summary() if reading is not None else {}
    return {"record_id": record_id, "context": contexts.get(record_id), **summary}


async def _keys(conn: asyncpg.Connection, session: SessionFacts) -> tuple[MeterKey | None, MeterKey | None]:
    """The operator's key for the EVSE (else for the whole charge point), and the last key a value carried."""
    if session.evse_id is None:
        return None, None
    configured = await newest_key(conn, session.charge_point_id, session.evse_id, KeySource.OPERATOR_API)
    if configured is None and session.evse_id != WHOLE_CHARGE_POINT:
        configured = await newest_key(conn, session.charge_point_id, WHOLE_CHARGE_POINT, KeySource.OPERATOR_API)
    remembered = await newest_key(conn, session.charge_point_id, session.evse_id, KeySource.SIGNED_VALUE)
    return (configured.key if configured else None), (remembered.key if remembered else None)


def issued_event(receipt: ReceiptRow) -> ReceiptIssued:
    return ReceiptIssued(
        receipt_id=str(receipt.id),
        session_id=str(receipt.session_id),
        version=receipt.version,
        charge_point_id=receipt.charge_point_id,
        evse_id=receipt.evse_id,
        transaction_ref=receipt.transaction_ref,
        status=cast(ReceiptStatus, receipt.status),  # the table's CHECK holds it to the three
        reason=receipt.reason,
        billable=receipt.billable,
        measured_energy=receipt.measured_energy,
        measured_energy_unit=receipt.measured_energy_unit,
        tariff_ref=receipt.tariff_ref,
        issued_at=receipt.created_at,
    )
