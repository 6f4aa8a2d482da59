"""Meter values: every sampled value as received, linked to its session when there is one."""

from __future__ import annotations

import uuid
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
_METER_PARAMS = ", ".join(f"${i}" for i in range(1, len(fields(MeterValueRow)) + 1))


async def insert_meter_values(conn: asyncpg.Connection, rows: Sequence[MeterValueRow]) -> None:
    if rows:
        await conn.executemany(
            f"INSERT INTO meter_values ({_METER_COLUMNS}) VALUES ({_METER_PARAMS})", [astuple(r) for r in rows]
        )


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
        "SELECT value, measurand, unit, phase, context, location, format FROM meter_values "
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
