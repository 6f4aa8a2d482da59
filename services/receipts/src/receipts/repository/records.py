"""Signed records: appended to the hash chain, never changed (the table's triggers refuse it too)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime

import asyncpg

from receipts.domain.chain import GENESIS, ChainLink, ChainValue, record_hash


@dataclass(frozen=True)
class RecordDraft:
    """A signed value about to be stored; every field is covered by the record's hash."""

    charge_point_id: str
    evse_id: int | None
    transaction_ref: str | None
    session_id: uuid.UUID | None
    context: str | None
    measurand: str
    sampled_at: datetime
    signed_meter_data: str
    signing_method: str | None
    encoding_method: str | None
    public_key: str | None
    source_type: str
    source_message_id: str
    sample_index: int
    ocpp_message_id: str
    source_occurred_at: datetime
    received_at: datetime
    retain_until: datetime


@dataclass(frozen=True)
class StoredRecord(RecordDraft):
    id: int
    prev_hash: str
    record_hash: str


_DRAFT_FIELDS = tuple(f.name for f in fields(RecordDraft))
_COLUMNS = ", ".join(("id", *_DRAFT_FIELDS, "prev_hash", "record_hash"))
_PARAMS = ", ".join(f"${i}" for i in range(1, len(_DRAFT_FIELDS) + 4))
# One lock for the whole chain, namespaced like every advisory lock in the shared database.
_CHAIN_LOCK = "SELECT pg_advisory_xact_lock(hashtext('receipts.signed_records'), 0)"


def chained_fields(record_id: int, draft: RecordDraft) -> dict[str, ChainValue]:
    """What the record's hash covers: its id and every stored field (uuids as text)."""
    values = {name: str(value) if isinstance(value, uuid.UUID) else value for name, value in asdict(draft).items()}
    return {"id": record_id, **values}


def _stored(row: asyncpg.Record) -> StoredRecord:
    return StoredRecord(**{name: row[name] for name in (*_DRAFT_FIELDS, "id", "prev_hash", "record_hash")})


async def append_records(conn: asyncpg.Connection, drafts: Sequence[RecordDraft]) -> list[StoredRecord]:
    """Chain and insert ``drafts`` in order, inside the caller's transaction; returns those stored.

    The chain lock is held until the transaction ends, so the head read here is the newest
    committed record and no other transaction can append between the read and the commit.
    A draft whose signed value is stored already (:func:`_already_stored`) is left out.
    """
    if not drafts:
        return []
    await conn.execute(_CHAIN_LOCK)
    prev = await conn.fetchval("SELECT record_hash FROM signed_records ORDER BY id DESC LIMIT 1") or GENESIS
    stored = []
    seen: set[tuple[ChainValue, ...]] = set()
    for draft in drafts:
        key = _natural_key(draft)
        if key in seen or await _already_stored(conn, draft):
            continue
        seen.add(key)
        record_id = int(await conn.fetchval("SELECT nextval('signed_record_ids')"))
        digest = record_hash(prev, chained_fields(record_id, draft))
        row = await conn.fetchrow(
            f"INSERT INTO signed_records ({_COLUMNS}) VALUES ({_PARAMS}) RETURNING {_COLUMNS}",
            record_id,
            *(getattr(draft, name) for name in _DRAFT_FIELDS),
            prev,
            digest,
        )
        stored.append(_stored(row))
        prev = digest
    return stored


def _natural_key(draft: RecordDraft) -> tuple[ChainValue, ...]:
    """What makes two records the same signed value: where and when it was sampled, and its data as sent.

    The session, EVSE and message it arrived with are left out: a retry may arrive under a new
    OCPP message id, after the session became known, in a new bus message.
    """
    return (
        draft.charge_point_id,
        draft.transaction_ref,
        draft.sampled_at,
        draft.measurand,
        draft.context,
        draft.signed_meter_data,
        draft.signing_method,
        draft.encoding_method,
        draft.public_key,
    )


# Two forms so that the index (migration 0002) serves both: IS NOT DISTINCT FROM cannot use it.
_SAME_VALUE = """
    SELECT EXISTS (
        SELECT 1 FROM signed_records
        WHERE charge_point_id = $1 AND {transaction} AND sampled_at = $3 AND measurand = $4
          AND context IS NOT DISTINCT FROM $5 AND signed_meter_data = $6
          AND signing_method IS NOT DISTINCT FROM $7 AND encoding_method IS NOT DISTINCT FROM $8
          AND public_key IS NOT DISTINCT FROM $9
    )
"""
_SAME_VALUE_OF_TRANSACTION = _SAME_VALUE.format(transaction="transaction_ref = $2")
_SAME_VALUE_WITHOUT_TRANSACTION = _SAME_VALUE.format(transaction="transaction_ref IS NULL AND $2::text IS NULL")


async def _already_stored(conn: asyncpg.Connection, draft: RecordDraft) -> bool:
    """Whether the signed value is in the chain already: a charge point retried the CALL that carried it.

    A retry reaches us in a new bus message (the gateway published it again), possibly under a
    new OCPP message id, so neither the inbox nor (source_message_id, sample_index) sees it. The
    table is append-only and may hold such copies from before this check, so no unique index can
    enforce it; every append holds the chain lock, which makes this check-then-insert race-free.
    """
    query = _SAME_VALUE_OF_TRANSACTION if draft.transaction_ref is not None else _SAME_VALUE_WITHOUT_TRANSACTION
    return bool(await conn.fetchval(query, *_natural_key(draft)))


async def records_of_transaction(
    conn: asyncpg.Connection, session_id: uuid.UUID, charge_point_id: str, transaction_ref: str
) -> list[StoredRecord]:
    """The session's records in the order received: tagged with it, or with its transaction and no session.

    Values that arrived before the session's start event carry no session id; the charge point's
    transaction reference ties them to it.
    """
    rows = await conn.fetch(
        f"""
        SELECT {_COLUMNS} FROM signed_records
        WHERE charge_point_id = $2 AND transaction_ref = $3 AND (session_id = $1 OR session_id IS NULL)
        ORDER BY id
        """,
        session_id,
        charge_point_id,
        transaction_ref,
    )
    return [_stored(row) for row in rows]


async def records_by_id(conn: asyncpg.Connection, ids: Sequence[int]) -> list[StoredRecord]:
    rows = await conn.fetch(f"SELECT {_COLUMNS} FROM signed_records WHERE id = ANY($1::bigint[]) ORDER BY id", ids)
    return [_stored(row) for row in rows]


async def evse_of_transaction(conn: asyncpg.Connection, charge_point_id: str, transaction_ref: str) -> int | None:
    """The EVSE an earlier value of the transaction named (ends carry none)."""
    value = await conn.fetchval(
        "SELECT evse_id FROM signed_records WHERE charge_point_id = $1 AND transaction_ref = $2 "
        "AND evse_id IS NOT NULL ORDER BY id DESC LIMIT 1",
        charge_point_id,
        transaction_ref,
    )
    return None if value is None else int(value)


async def chain_links(conn: asyncpg.Connection, *, batch: int = 500) -> AsyncIterator[ChainLink]:
    """Every record in chain (id) order; the caller holds a transaction (cursors need one)."""
    async for row in conn.cursor(f"SELECT {_COLUMNS} FROM signed_records ORDER BY id", prefetch=batch):
        record = _stored(row)
        draft = RecordDraft(**{name: getattr(record, name) for name in _DRAFT_FIELDS})
        yield ChainLink(record.id, record.prev_hash, record.record_hash, chained_fields(record.id, draft))
