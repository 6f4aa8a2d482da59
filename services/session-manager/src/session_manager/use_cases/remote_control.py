"""Operator commands to charge points: start a transaction for a token, stop a running session."""

from __future__ import annotations

import uuid

import asyncpg
import structlog
from structlog.contextvars import bound_contextvars

from ladeplan_contracts.commands import CommandReply, RemoteStart, RemoteStop
from ladeplan_platform.commands import CommandClient
from session_manager import repository as repo
from session_manager.domain.session import SessionNotFound, ensure_stoppable

log = structlog.get_logger("session_manager.remote_control")


class RemoteControl:
    def __init__(self, pool: asyncpg.Pool, commands: CommandClient, *, timeout_s: float) -> None:
        self._pool = pool
        self._commands = commands
        self._timeout_s = timeout_s

    async def start(self, charge_point_id: str, token_uid: str, evse_id: int | None = None) -> CommandReply:
        """Ask the charge point to start for ``token_uid``; the session itself begins with its StartTransaction.

        No authorisation check here: the charge point authorises the token through the usual
        Authorize/StartTransaction path, so a remote start cannot bypass a blocked card.
        """
        with bound_contextvars(charge_point_id=charge_point_id):
            reply = await self._commands.send(
                charge_point_id, RemoteStart(token_uid=token_uid, evse_id=evse_id), timeout_s=self._timeout_s
            )
            log.info("remote_start.answered", status=reply.status, token_uid=token_uid, evse_id=evse_id)
        return reply

    async def stop(self, session_id: uuid.UUID) -> CommandReply:
        """Ask the charge point to stop the session's transaction; the session completes with its end event.

        Raises :class:`SessionNotFound`, or ``SessionAlreadyCompleted`` when there is nothing to stop.
        """
        async with self._pool.acquire() as conn:
            session = await repo.find_session(conn, session_id)
        if session is None:
            raise SessionNotFound(str(session_id))
        ensure_stoppable(session)
        with bound_contextvars(session_id=str(session.id), charge_point_id=session.charge_point_id):
            reply = await self._commands.send(
                session.charge_point_id,
                RemoteStop(transaction_ref=session.transaction_ref),
                timeout_s=self._timeout_s,
            )
            log.info("remote_stop.answered", status=reply.status)
        return reply
