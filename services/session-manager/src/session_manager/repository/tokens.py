"""The token read model: masterdata's tokens as this service last heard of them."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from session_manager.domain.authorization import Token


async def upsert_token(conn: asyncpg.Connection, token: Token, occurred_at: datetime) -> bool:
    """Store ``token`` unless a newer event already did; True when it was applied.

    Events of one token may arrive out of order (redelivery, several masterdata processes), so
    the event time decides, atomically in the statement rather than by read-then-write.
    """
    applied = await conn.fetchval(
        """
        INSERT INTO tokens AS t (uid, type, user_id, status, updated_at) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (uid) DO UPDATE
            SET type = EXCLUDED.type, user_id = EXCLUDED.user_id, status = EXCLUDED.status,
                updated_at = EXCLUDED.updated_at
            WHERE t.updated_at <= EXCLUDED.updated_at
        RETURNING true
        """,
        token.uid,
        token.type,
        token.user_id,
        token.status,
        occurred_at,
    )
    return bool(applied)


async def find_token(conn: asyncpg.Connection, uid: str) -> Token | None:
    """The token with ``uid``, compared case-insensitively as OCPP requires; an exact match wins."""
    row = await conn.fetchrow(
        "SELECT uid, type, user_id, status FROM tokens WHERE lower(uid) = lower($1) ORDER BY uid = $1 DESC LIMIT 1",
        uid,
    )
    return None if row is None else Token(row["uid"], row["type"], row["user_id"], row["status"])
