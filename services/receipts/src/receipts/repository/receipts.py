"""Receipts: one row per version, inserted and never changed."""

from __future__ import annotations

import json
import uuid
from dataclasses import astuple, dataclass, fields
from datetime import datetime
from typing import Any

import asyncpg

_JSON_COLUMNS = ("begin_reading", "end_reading")


@dataclass(frozen=True)
class ReceiptRow:
    id: uuid.UUID
    session_id: uuid.UUID
    version: int
    status: str
    reason: str | None
    billable: bool
    charge_point_id: str
    evse_id: int | None
    connector_id: int | None
    transaction_ref: str
    transaction_number: int
    token_uid: str | None
    user_id: str | None
    started_at: datetime
    ended_at: datetime
    energy_wh: int | None
    measured_energy: str | None
    measured_energy_unit: str | None
    begin_reading: dict[str, Any] | None
    end_reading: dict[str, Any] | None
    record_ids: list[int]
    signed_format: str | None
    public_key: str | None
    public_key_source: str | None
    tariff_ref: str | None
    notes: list[str]
    issued_for: str
    """What caused this version: session.completed, late_values or operator_request."""
    created_at: datetime
    retain_until: datetime


_NAMES = tuple(f.name for f in fields(ReceiptRow))
_COLUMNS = ", ".join(_NAMES)
_PARAMS = ", ".join(f"${i}::jsonb" if name in _JSON_COLUMNS else f"${i}" for i, name in enumerate(_NAMES, start=1))


def _receipt(row: asyncpg.Record) -> ReceiptRow:
    values = dict(row)
    for name in _JSON_COLUMNS:
        values[name] = None if values[name] is None else json.loads(values[name])
    values["record_ids"] = list(values["record_ids"])
    values["notes"] = list(values["notes"])
    return ReceiptRow(**values)


async def insert_receipt(conn: asyncpg.Connection, receipt: ReceiptRow) -> None:
    values = [
        json.dumps(value) if name in _JSON_COLUMNS and value is not None else value
        for name, value in zip(_NAMES, astuple(receipt), strict=True)
    ]
    await conn.execute(f"INSERT INTO receipts ({_COLUMNS}) VALUES ({_PARAMS})", *values)


async def latest_receipt(conn: asyncpg.Connection, session_id: uuid.UUID) -> ReceiptRow | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM receipts WHERE session_id = $1 ORDER BY version DESC LIMIT 1", session_id
    )
    return None if row is None else _receipt(row)


async def receipt_version(conn: asyncpg.Connection, session_id: uuid.UUID, version: int) -> ReceiptRow | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM receipts WHERE session_id = $1 AND version = $2", session_id, version
    )
    return None if row is None else _receipt(row)


async def versions_of(conn: asyncpg.Connection, session_id: uuid.UUID) -> list[int]:
    rows = await conn.fetch("SELECT version FROM receipts WHERE session_id = $1 ORDER BY version", session_id)
    return [int(row["version"]) for row in rows]


async def newest_receipts(
    conn: asyncpg.Connection, *, charge_point_id: str | None, status: str | None, limit: int
) -> list[ReceiptRow]:
    """The current (highest) version of each session's receipt, newest first."""
    rows = await conn.fetch(
        f"""
        SELECT {_COLUMNS} FROM receipts r
        WHERE ($1::text IS NULL OR charge_point_id = $1) AND ($2::text IS NULL OR status = $2)
          AND NOT EXISTS (SELECT 1 FROM receipts later WHERE later.session_id = r.session_id
                          AND later.version > r.version)
        ORDER BY created_at DESC, session_id LIMIT $3
        """,
        charge_point_id,
        status,
        limit,
    )
    return [_receipt(row) for row in rows]
