"""Sessions: one row per transaction, from its start (or first sign of it) to its completion."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import astuple, dataclass, fields
from datetime import datetime

import asyncpg

from session_manager.domain.energy import Energy
from session_manager.domain.session import UNKNOWN_START_AUTHORIZATION, Session, SessionStatus

_SESSION_COLUMN_NAMES = [f.name for f in fields(Session)]
_SESSION_COLUMNS = ", ".join(_SESSION_COLUMN_NAMES)
_NEWEST = "COALESCE(started_at, ended_at)"


def _to_session(row: asyncpg.Record) -> Session:
    return Session(**{f.name: row[f.name] for f in fields(Session)})


def _session(row: asyncpg.Record | None) -> Session | None:
    return None if row is None else _to_session(row)


@dataclass(frozen=True)
class NewSession:
    id: uuid.UUID
    charge_point_id: str
    evse_id: int
    connector_id: int
    transaction_id: int
    transaction_ref: str
    transaction_ref_assigned: bool
    token_uid: str | None
    user_id: str | None
    authorization_status: str
    started_at: datetime
    meter_start_wh: int | None


# The conflict targets are the two partial unique indexes of migration 0001.
_OCPP16_START_KEY = (
    "(charge_point_id, connector_id, started_at, token_uid, meter_start_wh) WHERE transaction_ref_assigned"
)
_CHARGE_POINT_REF_KEY = "(charge_point_id, transaction_ref) WHERE NOT transaction_ref_assigned AND status = 'active'"


async def next_transaction_id(conn: asyncpg.Connection) -> int:
    """A fresh integer transaction id; one drawn for a start that turns out to be a retry is simply skipped."""
    return int(await conn.fetchval("SELECT nextval('transaction_ids')"))


async def insert_session(conn: asyncpg.Connection, new: NewSession) -> Session | None:
    """Insert an active session; None when its start key exists already (a retried start)."""
    target = _OCPP16_START_KEY if new.transaction_ref_assigned else _CHARGE_POINT_REF_KEY
    row = await conn.fetchrow(
        f"""
        INSERT INTO sessions (id, charge_point_id, evse_id, connector_id, transaction_id, transaction_ref,
            transaction_ref_assigned, token_uid, user_id, authorization_status, started_at, meter_start_wh,
            status)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'active')
        ON CONFLICT {target} DO NOTHING
        RETURNING {_SESSION_COLUMNS}
        """,
        *astuple(new),
    )
    return _session(row)


async def find_started(conn: asyncpg.Connection, new: NewSession) -> Session | None:
    """The session that already holds ``new``'s start key (see :func:`insert_session`)."""
    if new.transaction_ref_assigned:
        row = await conn.fetchrow(
            f"""
            SELECT {_SESSION_COLUMNS} FROM sessions
            WHERE transaction_ref_assigned AND charge_point_id = $1 AND connector_id = $2 AND started_at = $3
              AND token_uid IS NOT DISTINCT FROM $4 AND meter_start_wh IS NOT DISTINCT FROM $5
            """,
            new.charge_point_id,
            new.connector_id,
            new.started_at,
            new.token_uid,
            new.meter_start_wh,
        )
    else:
        row = await conn.fetchrow(
            f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE NOT transaction_ref_assigned AND status = 'active' "
            "AND charge_point_id = $1 AND transaction_ref = $2",
            new.charge_point_id,
            new.transaction_ref,
        )
    return _session(row)


async def insert_unknown_start(
    conn: asyncpg.Connection, charge_point_id: str, transaction_ref: str, token_uid: str | None
) -> Session:
    """An active session for the end of a transaction never seen starting (caller holds the reference lock)."""
    row = await conn.fetchrow(
        f"""
        INSERT INTO sessions (id, charge_point_id, transaction_ref, transaction_ref_assigned, token_uid,
            authorization_status, status, unknown_start)
        VALUES ($1, $2, $3, false, $4, $5, 'active', true)
        RETURNING {_SESSION_COLUMNS}
        """,
        uuid.uuid4(),
        charge_point_id,
        transaction_ref,
        token_uid,
        UNKNOWN_START_AUTHORIZATION,
    )
    return _to_session(row)


async def lock_transaction_ref(conn: asyncpg.Connection, charge_point_id: str, transaction_ref: str) -> None:
    """Serialise, until the caller's transaction ends, the writes of one charge point's transaction.

    A row lock cannot do it: the end of an unknown transaction has no row to lock yet, and two
    copies of it (the gateway re-publishing a StopTransaction) must not both create a session.
    Meter values take it too, so that an end sees (and adopts) every value committed before it.
    """
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext('sessions.transaction_ref'), hashtext($1::text || chr(31) || $2::text))",
        charge_point_id,
        transaction_ref,
    )


async def lock_transaction_refs(conn: asyncpg.Connection, refs: Sequence[tuple[str, str]]) -> None:
    """:func:`lock_transaction_ref` for many (charge point, reference) pairs in one round trip.

    Taken in sorted order, so two callers locking overlapping sets cannot deadlock each other.
    """
    if not refs:
        return
    ordered = sorted(set(refs))
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext('sessions.transaction_ref'), hashtext(c || chr(31) || r)) "
        "FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(c, r, n) ORDER BY n",
        [c for c, _ in ordered],
        [r for _, r in ordered],
    )


async def find_by_refs(conn: asyncpg.Connection, refs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Session]:
    """:func:`find_by_ref` for many (charge point, reference) pairs; pairs without a session are left out."""
    if not refs:
        return {}
    pairs = sorted(set(refs))
    rows = await conn.fetch(
        f"""
        SELECT DISTINCT ON (s.charge_point_id, s.transaction_ref) {", ".join("s." + c for c in _SESSION_COLUMN_NAMES)}
        FROM sessions s JOIN unnest($1::text[], $2::text[]) AS k(c, r)
          ON s.charge_point_id = k.c AND s.transaction_ref = k.r
        ORDER BY s.charge_point_id, s.transaction_ref, s.status = 'active' DESC,
          COALESCE(s.started_at, s.ended_at) DESC NULLS LAST
        """,
        [c for c, _ in pairs],
        [r for _, r in pairs],
    )
    sessions = [_to_session(row) for row in rows]
    return {(s.charge_point_id, s.transaction_ref): s for s in sessions}


async def find_by_ref(conn: asyncpg.Connection, charge_point_id: str, transaction_ref: str) -> Session | None:
    """The session a charge point's transaction reference names.

    A reference names one session at a time, but not forever: a charge point may reuse its own
    ids (after a reset), and after a firmware switch from 1.6 to 2.x one of its references may
    equal one this service once assigned. The running session, else the newest, is the one meant.
    """
    row = await conn.fetchrow(
        f"""
        SELECT {_SESSION_COLUMNS} FROM sessions WHERE charge_point_id = $1 AND transaction_ref = $2
        ORDER BY status = 'active' DESC, {_NEWEST} DESC NULLS LAST LIMIT 1
        """,
        charge_point_id,
        transaction_ref,
    )
    return _session(row)


async def find_session(conn: asyncpg.Connection, session_id: uuid.UUID) -> Session | None:
    row = await conn.fetchrow(f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE id = $1", session_id)
    return _session(row)


async def list_sessions(
    conn: asyncpg.Connection, *, charge_point_id: str | None, status: SessionStatus | None, limit: int
) -> list[Session]:
    """Newest first; a session whose start is unknown sorts by its end."""
    rows = await conn.fetch(
        f"""
        SELECT {_SESSION_COLUMNS} FROM sessions
        WHERE ($1::text IS NULL OR charge_point_id = $1) AND ($2::text IS NULL OR status = $2)
        ORDER BY {_NEWEST} DESC, id LIMIT $3
        """,
        charge_point_id,
        status,
        limit,
    )
    return [_to_session(row) for row in rows]


async def complete_session(
    conn: asyncpg.Connection,
    session_id: uuid.UUID,
    *,
    ended_at: datetime,
    meter_stop_wh: int | None,
    stop_reason: str | None,
    stop_token_uid: str | None,
    energy: Energy,
) -> Session:
    row = await conn.fetchrow(
        f"""
        UPDATE sessions SET status = 'completed', ended_at = $2, meter_stop_wh = $3, stop_reason = $4,
            stop_token_uid = $5, energy_wh = $6, energy_source = $7, updated_at = now()
        WHERE id = $1
        RETURNING {_SESSION_COLUMNS}
        """,
        session_id,
        ended_at,
        meter_stop_wh,
        stop_reason,
        stop_token_uid,
        energy.wh,
        energy.source,
    )
    session = _session(row)
    assert session is not None, "completing a session that was locked a moment ago"
    return session
