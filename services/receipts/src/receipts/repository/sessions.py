"""The sessions read model (from session-manager's events) and the transaction ends seen."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import datetime

import asyncpg


@dataclass(frozen=True)
class SessionFacts:
    session_id: uuid.UUID
    charge_point_id: str
    transaction_ref: str
    transaction_number: int
    evse_id: int | None
    connector_id: int | None
    token_uid: str | None
    user_id: str | None
    started_at: datetime
    ended_at: datetime | None
    energy_wh: int | None
    stop_reason: str | None
    completed: bool

    @property
    def transparency_transaction_id(self) -> int:
        """The integer the Transparenzsoftware pairs datasets by: the 1.6 transaction id where there is one."""
        ref = self.transaction_ref
        return int(ref) if ref.isascii() and ref.isdigit() and len(ref) <= 18 else self.transaction_number


_COLUMNS = ", ".join(f.name for f in fields(SessionFacts))


def _facts(row: asyncpg.Record | None) -> SessionFacts | None:
    return None if row is None else SessionFacts(**{f.name: row[f.name] for f in fields(SessionFacts)})


async def lock_transaction(conn: asyncpg.Connection, charge_point_id: str, transaction_ref: str) -> None:
    """Serialise, until the caller's transaction ends, everything that may issue a transaction's receipt.

    The end (with its signed values) and ``session.completed`` arrive on different queues in
    either order; whichever commits second issues the receipt, and only one can be second.
    """
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext('receipts.transaction'), hashtext($1::text || chr(31) || $2::text))",
        charge_point_id,
        transaction_ref,
    )


async def record_started(
    conn: asyncpg.Connection,
    session_id: uuid.UUID,
    charge_point_id: str,
    transaction_ref: str,
    *,
    evse_id: int,
    connector_id: int,
    token_uid: str | None,
    started_at: datetime,
) -> None:
    """A started session; nothing to do when ``session.completed`` (which knows more) came first."""
    await conn.execute(
        """
        INSERT INTO sessions (session_id, charge_point_id, transaction_ref, evse_id, connector_id, token_uid,
            started_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (session_id) DO NOTHING
        """,
        session_id,
        charge_point_id,
        transaction_ref,
        evse_id,
        connector_id,
        token_uid,
        started_at,
    )


async def record_completed(
    conn: asyncpg.Connection,
    session_id: uuid.UUID,
    charge_point_id: str,
    transaction_ref: str,
    *,
    evse_id: int,
    connector_id: int,
    token_uid: str | None,
    user_id: str | None,
    started_at: datetime,
    ended_at: datetime,
    energy_wh: int,
    stop_reason: str | None,
) -> SessionFacts:
    row = await conn.fetchrow(
        f"""
        INSERT INTO sessions (session_id, charge_point_id, transaction_ref, evse_id, connector_id, token_uid, user_id,
            started_at, ended_at, energy_wh, stop_reason, completed)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, true)
        ON CONFLICT (session_id) DO UPDATE SET
            evse_id = EXCLUDED.evse_id, connector_id = EXCLUDED.connector_id, token_uid = EXCLUDED.token_uid,
            user_id = EXCLUDED.user_id, started_at = EXCLUDED.started_at, ended_at = EXCLUDED.ended_at,
            energy_wh = EXCLUDED.energy_wh, stop_reason = EXCLUDED.stop_reason, completed = true,
            updated_at = now()
        RETURNING {_COLUMNS}
        """,
        session_id,
        charge_point_id,
        transaction_ref,
        evse_id,
        connector_id,
        token_uid,
        user_id,
        started_at,
        ended_at,
        energy_wh,
        stop_reason,
    )
    facts = _facts(row)
    assert facts is not None
    return facts


async def find_session(conn: asyncpg.Connection, session_id: uuid.UUID) -> SessionFacts | None:
    return _facts(await conn.fetchrow(f"SELECT {_COLUMNS} FROM sessions WHERE session_id = $1", session_id))


async def find_by_ref(conn: asyncpg.Connection, charge_point_id: str, transaction_ref: str) -> SessionFacts | None:
    """The newest session with this reference (a 2.x charge point may reuse its ids after a reset)."""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM sessions WHERE charge_point_id = $1 AND transaction_ref = $2 "
        "ORDER BY started_at DESC LIMIT 1",
        charge_point_id,
        transaction_ref,
    )
    return _facts(row)


async def record_end(
    conn: asyncpg.Connection, message_id: str, charge_point_id: str, transaction_ref: str, stopped_at: datetime
) -> None:
    await conn.execute(
        "INSERT INTO transaction_ends (message_id, charge_point_id, transaction_ref, stopped_at) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        message_id,
        charge_point_id,
        transaction_ref,
        stopped_at,
    )


async def end_seen(conn: asyncpg.Connection, charge_point_id: str, transaction_ref: str) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM transaction_ends WHERE charge_point_id = $1 AND transaction_ref = $2)",
            charge_point_id,
            transaction_ref,
        )
    )
