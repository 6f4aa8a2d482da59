"""What operators read: sessions, newest first, and one session with its meter values."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg

from session_manager import repository as repo
from session_manager.domain.session import Session, SessionNotFound, SessionStatus


@dataclass(frozen=True)
class SessionWithMeterValues:
    session: Session
    meter_values: list[repo.MeterValueRow]


class SessionQueries:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def newest(
        self, *, charge_point_id: str | None = None, status: SessionStatus | None = None, limit: int = 50
    ) -> list[Session]:
        async with self._pool.acquire() as conn:
            return await repo.list_sessions(conn, charge_point_id=charge_point_id, status=status, limit=limit)

    async def get(self, session_id: uuid.UUID) -> SessionWithMeterValues:
        """The session and every meter value linked to it; :class:`SessionNotFound` when unknown."""
        # One snapshot, so the values belong to the session state returned with them.
        async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            session = await repo.find_session(conn, session_id)
            if session is None:
                raise SessionNotFound(str(session_id))
            return SessionWithMeterValues(session, await repo.meter_values_of(conn, session_id))
