"""The gateway's port to the rest of ladeplan: confirmed events out, decisions in.

Handlers depend on :class:`Upstream` only, so protocol handling is tested without a broker and
the bus details stay in one place.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

import structlog
from ocpp.exceptions import InternalError

from ladeplan_contracts.envelope import Contract
from ladeplan_contracts.rpc import (
    AuthorizeReply,
    AuthorizeRequest,
    StartTransactionReply,
    StartTransactionRequest,
)
from ladeplan_platform.publisher import Publisher
from ladeplan_platform.rpc import RpcClient, RpcTimeout, Unroutable
from ocpp_gateway.protocol import NoReply

log = structlog.get_logger("ocpp_gateway.upstream")


class Upstream(Protocol):
    async def publish(self, body: Contract, charge_point_id: str) -> None:
        """Return only once the broker holds the event."""

    async def authorize(self, request: AuthorizeRequest) -> AuthorizeReply: ...

    async def start_transaction(self, request: StartTransactionRequest) -> StartTransactionReply: ...


class BusUpstream:
    def __init__(
        self,
        publisher: Publisher,
        rpc: RpcClient,
        *,
        decision_timeout_s: float,
        publish_timeout_s: float,
    ) -> None:
        self._publisher = publisher
        self._rpc = rpc
        self._decision_timeout = decision_timeout_s
        self._publish_timeout = publish_timeout_s

    async def publish(self, body: Contract, charge_point_id: str) -> None:
        try:
            # asyncio.timeout, not wait_for: wait_for (3.11) runs the publish as a task of its own,
            # one more task and its scheduling rounds for every transaction frame.
            async with asyncio.timeout(self._publish_timeout):
                await self._publisher.publish_event(body, charge_point_id=charge_point_id)
        except Exception as exc:
            # The charge point gets a CALLERROR and retries the transaction message later.
            log.error("upstream.publish_failed", type=body.TYPE, error=repr(exc))
            raise InternalError(description="The event could not be stored; retry later.") from exc

    async def authorize(self, request: AuthorizeRequest) -> AuthorizeReply:
        try:
            return await self._rpc.call(
                request,
                AuthorizeReply,
                timeout=self._decision_timeout,
                charge_point_id=request.charge_point_id,
            )
        except (RpcTimeout, Unroutable) as exc:
            log.error("upstream.authorize_undecided", error=repr(exc))
            raise InternalError(description="Authorisation is unavailable; retry later.") from exc

    async def start_transaction(self, request: StartTransactionRequest) -> StartTransactionReply:
        try:
            return await self._rpc.call(
                request,
                StartTransactionReply,
                timeout=self._decision_timeout,
                charge_point_id=request.charge_point_id,
            )
        except (RpcTimeout, Unroutable) as exc:
            # Answering anything would either lose the session or invent a decision: stay silent
            # so the charge point repeats the request (session-manager's start is idempotent).
            log.error("upstream.start_undecided", error=repr(exc))
            raise NoReply from exc
