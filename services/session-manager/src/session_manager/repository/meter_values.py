"""Meter values: every sampled value as received, linked to its session when there is one."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import astuple, dataclass, fields
from datetime import datetime

import asyncpg

from session_manager.domain.energy import ENERGY_REGISTER, Reading


@dataclass(frozen=True)
class MeterValueRow:
    """One sampled value; ``value`` and the signed data exactly as the charge point sent them."""

    session_id: uuid.UUID | None
    unknown_transaction: bool
    charge_point_id: str
    evse_id: int | None
    connector_id: int | None
    transaction_ref: str | None
    sampled_at: datetime
    value: str
    measurand: str
    unit: str | None
    multiplier: int
    phase: str | None
    context: str | None
    location: str | None
    format: str | None
    signed_meter_data: str | None
    signing_method: str | None
    encoding_method: str | None
    public_key: str | None
    ocpp_message_id: str
    message_id: str


_METER_COLUMNS = ", ".join(f.name for f in fields(MeterValueRow))
# Rows travel as one array per column; the fields that are not text name their type.
_NOT_TEXT = {
    "session_id": "uuid",
    "unknown_transaction": "boolean",
    "evse_id": "integer",
    "connector_id": "integer",
    "multiplier": "integer",
    "sampled_at": "timestamptz",
}
_UNNEST = ", ".join(f"${i}::{_NOT_TEXT.get(f.name, 'text')}[]" for i, f in enumerate(fields(MeterValueRow), start=1))
# The unique index of migration 0002 (meter_values_natural_key): one row per reading.
_NATURAL_KEY = (
    "(charge_point_id, transaction_ref, sampled_at, evse_id, connector_id, measurand, phase, context, location, "
    "unit, md5(value))"
)
_INSERT = f"""
    INSERT INTO meter_values ({_METER_COLUMNS})
    SELECT {_METER_COLUMNS} FROM unnest({_UNNEST}) WITH ORDINALITY AS r({_METER_COLUMNS}, ordinal)
    ORDER BY ordinal
    ON CONFLICT {_NATURAL_KEY} DO NOTHING
    RETURNING message_id
"""


async def insert_meter_values(conn: asyncpg.Connection, rows: Sequence[MeterValueRow]) -> int:
    """Insert ``rows`` in order, skipping readings already stored; returns how many were new.

    A reading that is stored already (a charge point's retried CALL, or a value it repeats in a
    later message) is skipped by the natural key, within ``rows`` too, so it never counts twice.
    One statement for any number of rows: the rows travel as one array per column.
    """
    return sum((await insert_meter_values_by_message(conn, rows)).values())


async def insert_meter_values_by_message(conn: asyncpg.Connection, rows: Sequence[MeterValueRow]) -> Counter[str]:
    """:func:`insert_meter_values` for the rows of many messages; how many were new, per message id.

    Rows go in the given order, so of two equal readings in ``rows`` the first one is kept, as
    if the messages had been stored one after another.
    """
    if not rows:
        return Counter()
    columns = list(zip(*(astuple(r) for r in rows), strict=True))
    inserted = await conn.fetch(_INSERT, *columns)
    return Counter(row["message_id"] for row in inserted)


async def retry_of_same_call(
    conn: asyncpg.Connection, charge_point_id: str, transaction_ref: str, ocpp_message_id: str, message_id: str
) -> bool:
    """Whether another message already stored values of this transaction under this OCPP message id.

    Tells a charge point repeating its CALL as it was from one renumbering it on retry, for the
    logs. Content, not the id, decides what is a duplicate: ids are only unique per websocket
    connection, and some charge points count them from 1 again after reconnecting.
    """
    seen = await conn.fetchval(
        """
        SELECT EXISTS (
            SELECT 1 FROM meter_values
            WHERE charge_point_id = $1 AND transaction_ref = $2 AND ocpp_message_id = $3 AND message_id <> $4
        )
        """,
        charge_point_id,
        transaction_ref,
        ocpp_message_id,
        message_id,
    )
    return bool(seen)


async def adopt_unmatched(
    conn: asyncpg.Connection, session_id: uuid.UUID, charge_point_id: str, transaction_ref: str
) -> int:
    """Link values that arrived before their session existed; they keep ``unknown_transaction``."""
    status = await conn.execute(
        "UPDATE meter_values SET session_id = $1 "
        "WHERE session_id IS NULL AND charge_point_id = $2 AND transaction_ref = $3",
        session_id,
        charge_point_id,
        transaction_ref,
    )
    return int(status.split()[-1])


async def energy_readings(conn: asyncpg.Connection, session_id: uuid.UUID) -> list[Reading]:
    """The session's energy register readings; which of them count is the domain's call."""
    rows = await conn.fetch(
        "SELECT value, measurand, unit, multiplier, phase, context, location, format FROM meter_values "
        "WHERE session_id = $1 AND measurand = $2",
        session_id,
        ENERGY_REGISTER,
    )
    return [Reading(**dict(row)) for row in rows]


async def meter_values_of(conn: asyncpg.Connection, session_id: uuid.UUID) -> list[MeterValueRow]:
    rows = await conn.fetch(
        f"SELECT {_METER_COLUMNS} FROM meter_values WHERE session_id = $1 ORDER BY sampled_at, id", session_id
    )
    return [MeterValueRow(**dict(row)) for row in rows]
