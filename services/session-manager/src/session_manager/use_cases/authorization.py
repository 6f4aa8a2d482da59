"""The token read model and the Authorize RPC."""

from __future__ import annotations

from typing import Any

import asyncpg
import structlog

from ladeplan_contracts.envelope import Envelope
from ladeplan_contracts.events import TokenCreated, TokenUpdated
from ladeplan_contracts.rpc import AuthorizeReply, AuthorizeRequest
from ladeplan_platform.db import transaction
from ladeplan_platform.outbox import mark_processed
from session_manager import repository as repo
from session_manager.domain.authorization import Token, decide

log = structlog.get_logger("session_manager.authorization")


class Authorization:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def apply_token(self, envelope: Envelope[Any]) -> None:
        """Keep masterdata's token in the read model; an event older than the stored state is ignored."""
        event: TokenCreated | TokenUpdated = envelope.data
        token = Token(event.uid, event.type, event.user_id, event.status)
        async with transaction(self._pool, envelope.type) as conn:
            if not await mark_processed(conn, envelope.message_id):
                log.info("token.duplicate_ignored", token_uid=event.uid)
                return
            applied = await repo.upsert_token(conn, token, envelope.occurred_at)
        log.info("token.stored" if applied else "token.stale_ignored", token_uid=event.uid, status=event.status)

    async def authorize(self, request: AuthorizeRequest) -> AuthorizeReply:
        """Answer a charge point's Authorize from the read model (no call to masterdata in the frame)."""
        async with self._pool.acquire() as conn:
            decision = decide(await repo.find_token(conn, request.token_uid))
        log.info("token.authorized", token_uid=request.token_uid, status=decision.status)
        return AuthorizeReply(status=decision.status, user_id=decision.user_id)
