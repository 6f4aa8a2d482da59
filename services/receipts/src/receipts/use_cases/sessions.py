"""The sessions read model: what session-manager announces about each session, and receipts on completion."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import asyncpg
import structlog

from ladeplan_contracts.envelope import Envelope
from ladeplan_contracts.events import SessionCompleted, TransactionStarted
from ladeplan_platform.db import transaction
from ladeplan_platform.outbox import mark_processed
from receipts.repository import sessions as repo
from receipts.use_cases.issuing import Issuing

log = structlog.get_logger("receipts.sessions")


class SessionNotFound(Exception):
    """No session with this id has been announced."""


class SessionNotCompleted(Exception):
    """The session is still running: there is nothing to issue a receipt for."""


class SessionEvents:
    def __init__(self, pool: asyncpg.Pool, issuing: Issuing, *, on_commit: Callable[[], None]) -> None:
        self._pool = pool
        self._issuing = issuing
        self._on_commit = on_commit

    async def started(self, envelope: Envelope[Any]) -> None:
        """TransactionStarted: values arriving from now on are tagged with the session."""
        event: TransactionStarted = envelope.data
        async with transaction(self._pool, event.TYPE) as conn:
            if not await mark_processed(conn, envelope.message_id):
                return
            await repo.lock_transaction(conn, event.charge_point_id, event.transaction_ref)
            await repo.record_started(
                conn,
                uuid.UUID(event.session_id),
                event.charge_point_id,
                event.transaction_ref,
                evse_id=event.evse_id,
                connector_id=event.connector_id,
                token_uid=event.token_uid,
                started_at=event.started_at,
            )

    async def completed(self, envelope: Envelope[Any]) -> None:
        """SessionCompleted: keep its facts and issue its receipt once its end has been captured."""
        event: SessionCompleted = envelope.data
        async with transaction(self._pool, event.TYPE) as conn:
            if not await mark_processed(conn, envelope.message_id):
                return
            await repo.lock_transaction(conn, event.charge_point_id, event.transaction_ref)
            session = await repo.record_completed(
                conn,
                uuid.UUID(event.session_id),
                event.charge_point_id,
                event.transaction_ref,
                evse_id=event.evse_id,
                connector_id=event.connector_id,
                token_uid=event.token_uid,
                user_id=event.user_id,
                started_at=event.started_at,
                ended_at=event.ended_at,
                energy_wh=event.energy_wh,
                stop_reason=event.stop_reason,
            )
            receipt = await self._issuing.refresh(
                conn, session, causation_id=envelope.message_id, correlation_id=envelope.correlation_id
            )
        if receipt is not None:
            self._on_commit()

    async def reissue(self, session_id: uuid.UUID) -> None:
        """An operator's request: check the session again with today's keys and issue a new version.

        Raises :class:`SessionNotFound` or :class:`SessionNotCompleted`.
        """
        async with transaction(self._pool, "receipt.reissue") as conn:
            announced = await repo.find_session(conn, session_id)
            if announced is None:
                raise SessionNotFound(str(session_id))
            await repo.lock_transaction(conn, announced.charge_point_id, announced.transaction_ref)
            session = await repo.find_session(conn, session_id)  # as it is now that nothing else can issue
            assert session is not None
            if not session.completed:
                raise SessionNotCompleted(str(session_id))
            receipt = await self._issuing.refresh(conn, session, force=True)
        assert receipt is not None, "a forced refresh of a completed session always issues"
        self._on_commit()
