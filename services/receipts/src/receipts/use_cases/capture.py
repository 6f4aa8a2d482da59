"""Capturing signed meter values from ``transaction.meter_values`` and ``transaction.ended``.

Every sampled value with signed data is stored exactly as it arrived, whatever its signature
turns out to be: capture never judges, so an invalid or unreadable value is kept (and shows on
the receipt) instead of being lost. Plain values that are OCMF anyway are captured too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import structlog

from ladeplan_contracts.envelope import Envelope
from ladeplan_contracts.events import MeterValuesReported, TransactionEnded
from ladeplan_contracts.meter import MeterValue, SampledValue
from ladeplan_platform.db import transaction
from ladeplan_platform.outbox import mark_processed
from receipts.domain.crypto.keys import KeyEncodingError, key_encoding
from receipts.domain.signed_data import embedded_key
from receipts.domain.verification import KeySource
from receipts.repository.keys import add_key, newest_key
from receipts.repository.receipts import ReceiptRow
from receipts.repository.records import RecordDraft, StoredRecord, append_records, evse_of_transaction
from receipts.repository.sessions import SessionFacts, find_by_ref, lock_transaction, record_end
from receipts.use_cases.issuing import Issuing

log = structlog.get_logger("receipts.capture")


@dataclass(frozen=True)
class _Origin:
    """Where a batch of values came from: charge point, transaction, message."""

    charge_point_id: str
    transaction_ref: str | None
    evse_id: int | None
    ocpp_message_id: str


def _aware(at: datetime) -> datetime:
    # OCPP times are UTC; a charge point that leaves out the offset still means UTC, and the
    # hash chain (like PostgreSQL's timestamptz) needs to know the instant.
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def signed_samples(meter_values: Sequence[MeterValue]) -> list[tuple[datetime, SampledValue]]:
    """The sampled values that carry signed data, with the time of the meter value holding each."""
    return [
        (_aware(meter_value.timestamp), sample)
        for meter_value in meter_values
        for sample in meter_value.sampled_values
        if sample.carries_signed_data
    ]


class Capture:
    def __init__(self, pool: asyncpg.Pool, issuing: Issuing, *, retention: timedelta, on_commit: Callable[[], None]):
        self._pool = pool
        self._issuing = issuing
        self._retention = retention
        # Called after a commit that staged receipt.issued, so the relay publishes it at once.
        self._on_commit = on_commit

    async def meter_values(self, envelope: Envelope[Any]) -> None:
        """Store the signed values of a MeterValues (or 2.x TransactionEvent Started/Updated)."""
        report: MeterValuesReported = envelope.data
        samples = signed_samples(report.meter_values)
        if not samples:
            # Unsigned values travel under another routing key than this queue binds; an end, or a
            # message from an earlier release's binding, may still hold none: nothing to keep, so
            # no transaction and no inbox row (a redelivery finds nothing to store either).
            return
        origin = _Origin(report.charge_point_id, report.transaction_ref, report.evse_id or None, report.ocpp_message_id)
        async with transaction(self._pool, report.TYPE) as conn:
            if not await mark_processed(conn, envelope.message_id):
                log.info("meter_values.duplicate_ignored")
                return
            session = await self._session(conn, origin)
            await self._store(conn, envelope, origin, session, samples)
            receipt = await self._issuing.refresh(conn, session, causation_id=envelope.message_id) if session else None
        self._announced(receipt)

    async def transaction_ended(self, envelope: Envelope[Any]) -> None:
        """Store the end's signed values and note the end; issue the receipt if the session completed already."""
        ended: TransactionEnded = envelope.data
        samples = signed_samples(ended.meter_values)
        origin = _Origin(ended.charge_point_id, ended.transaction_ref, None, ended.ocpp_message_id)
        async with transaction(self._pool, ended.TYPE) as conn:
            if not await mark_processed(conn, envelope.message_id):
                log.info("transaction.end_duplicate_ignored")
                return
            session = await self._session(conn, origin)
            await record_end(conn, envelope.message_id, ended.charge_point_id, ended.transaction_ref, ended.stopped_at)
            await self._store(conn, envelope, origin, session, samples)
            receipt = await self._issuing.refresh(conn, session, causation_id=envelope.message_id) if session else None
        self._announced(receipt)

    def _announced(self, receipt: ReceiptRow | None) -> None:
        if receipt is not None:
            self._on_commit()

    async def _session(self, conn: asyncpg.Connection, origin: _Origin) -> SessionFacts | None:
        if origin.transaction_ref is None:
            return None
        await lock_transaction(conn, origin.charge_point_id, origin.transaction_ref)
        return await find_by_ref(conn, origin.charge_point_id, origin.transaction_ref)

    async def _store(
        self,
        conn: asyncpg.Connection,
        envelope: Envelope[Any],
        origin: _Origin,
        session: SessionFacts | None,
        samples: Sequence[tuple[datetime, SampledValue]],
    ) -> None:
        if not samples:
            return
        evse_id = (session.evse_id if session else None) or origin.evse_id
        if evse_id is None and origin.transaction_ref is not None:
            evse_id = await evse_of_transaction(conn, origin.charge_point_id, origin.transaction_ref)
        received_at = datetime.now(UTC)
        drafts = [
            RecordDraft(
                charge_point_id=origin.charge_point_id,
                evse_id=evse_id,
                transaction_ref=origin.transaction_ref,
                session_id=session.session_id if session else None,
                context=sample.context,
                measurand=sample.measurand,
                sampled_at=sampled_at,
                signed_meter_data=sample.signed.signed_meter_data if sample.signed else sample.value,
                signing_method=sample.signed.signing_method if sample.signed else None,
                encoding_method=sample.signed.encoding_method if sample.signed else None,
                public_key=sample.signed.public_key if sample.signed else None,
                source_type=envelope.type,
                source_message_id=envelope.message_id,
                sample_index=index,
                ocpp_message_id=origin.ocpp_message_id,
                source_occurred_at=_aware(envelope.occurred_at),
                received_at=received_at,
                retain_until=received_at + self._retention,
            )
            for index, (sampled_at, sample) in enumerate(samples)
        ]
        stored = await append_records(conn, drafts)
        if evse_id is not None:
            await _remember_keys(conn, origin.charge_point_id, evse_id, stored)
        session_id = str(session.session_id) if session else None
        if len(stored) < len(drafts):
            # A retried CALL: its values are in the chain already, and a receipt stays as it is.
            log.info(
                "signed_values.duplicates_ignored",
                duplicates=len(drafts) - len(stored),
                stored=len(stored),
                ocpp_message_id=origin.ocpp_message_id,
                session_id=session_id,
            )
        if stored:
            log.info(
                "signed_values.captured",
                count=len(stored),
                session_id=session_id,
                transaction_ref=origin.transaction_ref,
            )


async def _remember_keys(
    conn: asyncpg.Connection, charge_point_id: str, evse_id: int, records: list[StoredRecord]
) -> None:
    """Keep the keys that came with the values in the EVSE's key history, once per change of key."""
    for record in records:
        key = embedded_key(record.signed_meter_data, public_key=record.public_key)
        if key is None:
            continue
        newest = await newest_key(conn, charge_point_id, evse_id, KeySource.SIGNED_VALUE)
        if newest is not None and newest.public_key == key:
            continue
        try:
            encoding = key_encoding(key)
        except KeyEncodingError:
            log.warning("signed_values.unreadable_key", record_id=record.id)
            continue
        await add_key(
            conn,
            charge_point_id,
            evse_id,
            key,
            encoding=encoding,
            source=KeySource.SIGNED_VALUE,
            source_reference=str(record.id),
        )
