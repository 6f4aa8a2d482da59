"""Meter keys per charge point and EVSE: an append-only history, the newest of a source counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from receipts.domain.verification import KeySource, MeterKey


@dataclass(frozen=True)
class KeyRecord:
    id: int
    charge_point_id: str
    evse_id: int
    public_key: str
    encoding: str
    source: KeySource
    source_reference: str | None
    recorded_at: datetime

    @property
    def key(self) -> MeterKey:
        return MeterKey(self.public_key, self.source)


_COLUMNS = "id, charge_point_id, evse_id, public_key, encoding, source, source_reference, recorded_at"


def _record(row: asyncpg.Record) -> KeyRecord:
    return KeyRecord(**{**dict(row), "source": KeySource(row["source"])})


async def add_key(
    conn: asyncpg.Connection,
    charge_point_id: str,
    evse_id: int,
    public_key: str,
    *,
    encoding: str,
    source: KeySource,
    source_reference: str | None = None,
) -> KeyRecord:
    row = await conn.fetchrow(
        f"""
        INSERT INTO meter_keys (charge_point_id, evse_id, public_key, encoding, source, source_reference)
        VALUES ($1, $2, $3, $4, $5, $6) RETURNING {_COLUMNS}
        """,
        charge_point_id,
        evse_id,
        public_key,
        encoding,
        source.value,
        source_reference,
    )
    return _record(row)


async def newest_key(
    conn: asyncpg.Connection, charge_point_id: str, evse_id: int, source: KeySource
) -> KeyRecord | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM meter_keys WHERE charge_point_id = $1 AND evse_id = $2 AND source = $3 "
        "ORDER BY id DESC LIMIT 1",
        charge_point_id,
        evse_id,
        source.value,
    )
    return None if row is None else _record(row)


async def keys_of(conn: asyncpg.Connection, charge_point_id: str, evse_id: int | None = None) -> list[KeyRecord]:
    """Every key recorded for the charge point (or one EVSE), newest first."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM meter_keys WHERE charge_point_id = $1 AND ($2::integer IS NULL OR evse_id = $2) "
        "ORDER BY id DESC",
        charge_point_id,
        evse_id,
    )
    return [_record(row) for row in rows]
