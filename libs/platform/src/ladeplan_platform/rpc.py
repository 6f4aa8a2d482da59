"""Request/reply over RabbitMQ's direct reply-to, many requests in flight on one channel.

faststream's ``broker.request`` handles one request at a time per caller; a gateway holding
thousands of charge points needs many concurrent authorisations, hence this small client.
Requests are published ``mandatory``: a request nobody can receive fails at once
(:class:`Unroutable`), which is how a command to an unconnected charge point becomes ``offline``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aio_pika
import structlog
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractIncomingMessage
from aio_pika.exceptions import DeliveryError, PublishError
from opentelemetry import trace

from ladeplan_contracts.envelope import BodyT, Contract, Envelope, new_envelope, parse_envelope
from ladeplan_platform.bus import encode, headers_for

REPLY_TO = "amq.rabbitmq.reply-to"
log = structlog.get_logger("ladeplan.rpc")
_tracer = trace.get_tracer("ladeplan.rpc")


class Unroutable(Exception):
    """No queue is bound for the request's routing key."""


class RpcTimeout(Exception):
    """No reply within the timeout."""


class RpcClient:
    def __init__(self, amqp_url: str) -> None:
        self._url = amqp_url
        self._connection: AbstractConnection | None = None
        self._channel: AbstractChannel | None = None
        self._pending: dict[str, asyncio.Future[bytes]] = {}

    async def start(self) -> None:
        self._connection = await aio_pika.connect_robust(self._url)
        self._channel = await self._connection.channel(publisher_confirms=True, on_return_raises=True)
        reply_queue = await self._channel.get_queue(REPLY_TO, ensure=False)
        await reply_queue.consume(self._on_reply, no_ack=True)

    async def close(self) -> None:
        for future in self._pending.values():
            future.cancel()
        if self._connection is not None:
            await self._connection.close()

    async def _on_reply(self, message: AbstractIncomingMessage) -> None:
        future = self._pending.pop(message.correlation_id or "", None)
        if future is not None and not future.done():
            future.set_result(message.body)

    async def request_raw(
        self, envelope: Envelope[Any], *, routing_key: str, exchange: str = "", timeout: float
    ) -> bytes:
        assert self._channel is not None, "RpcClient.start() first"
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._pending[envelope.message_id] = future
        target = (
            self._channel.default_exchange if not exchange else await self._channel.get_exchange(exchange, ensure=False)
        )
        message = aio_pika.Message(
            encode(envelope),
            content_type="application/json",
            message_id=envelope.message_id,
            correlation_id=envelope.message_id,
            reply_to=REPLY_TO,
            type=envelope.type,
            headers=headers_for(envelope),
            # A request is worthless after its caller gave up: let the broker drop it.
            expiration=timeout,
        )
        try:
            with _tracer.start_as_current_span(f"rpc {envelope.type}", kind=trace.SpanKind.CLIENT):
                try:
                    await target.publish(message, routing_key=routing_key, mandatory=True)
                except (DeliveryError, PublishError) as exc:
                    raise Unroutable(routing_key) from exc
                try:
                    return await asyncio.wait_for(future, timeout)
                except TimeoutError as exc:
                    raise RpcTimeout(routing_key) from exc
        finally:
            self._pending.pop(envelope.message_id, None)

    async def call(
        self,
        request: Contract,
        reply_type: type[BodyT],
        *,
        timeout: float = 10.0,
        charge_point_id: str | None = None,
    ) -> BodyT:
        """Send ``request`` to the queue named by its ``TYPE`` and decode the reply."""
        envelope = new_envelope(request, charge_point_id=charge_point_id)
        raw = await self.request_raw(envelope, routing_key=request.TYPE, timeout=timeout)
        return parse_envelope(raw, reply_type).data
