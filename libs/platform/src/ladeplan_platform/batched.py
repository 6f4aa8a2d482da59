"""An in-order consumer that stores a burst of events in one transaction.

:func:`ladeplan_platform.bus.subscribe_events` with ``in_order`` handles one message at a time
(prefetch 1), one database transaction each: the commit and the round trips per message cap such
a consumer at a few hundred messages a second. This consumer keeps the order but takes a window
of messages (prefetch ``window``) and hands every burst that has arrived to a batch handler,
which stores it in one transaction in queue order. Only after that commit are the messages
acknowledged (one ``basic.ack`` with ``multiple``), so nothing is acknowledged before it is stored.

A burst is what has arrived while the previous one was being stored (up to ``max_batch``): an
idle consumer handles a lone message at once (no waiting for company), a busy one grows its
batches with the load. A lone message goes to the per-message handler, so at low load the
behaviour, spans and logs are those of :func:`subscribe_events`.

A batch that fails is rolled back as a whole and its messages are handled again one at a time,
in order, each acknowledged or rejected on its own: a poison message is dead-lettered alone
(the queue's dead-letter exchange), and the others are stored.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aio_pika
import structlog
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue, AbstractRobustConnection
from opentelemetry import trace

from ladeplan_contracts.envelope import Contract, Envelope, parse_envelope
from ladeplan_contracts.names import EVENTS_EXCHANGE
from ladeplan_platform.bus import EnvelopeHandler, durable_queue
from ladeplan_platform.tracing import extract_context

log = structlog.get_logger("ladeplan.bus.batched")
_tracer = trace.get_tracer("ladeplan.bus")

BatchHandler = Callable[[Sequence[Envelope[Any]]], Awaitable[None]]
"""Stores every envelope, in the given order, in one transaction; raises to roll all of them back."""


@dataclass(frozen=True)
class _Delivery:
    message: AbstractIncomingMessage
    envelope: Envelope[Any]


class BatchedSubscriber:
    """Consume ``queue`` (bound to ``routing_keys`` on ``ladeplan.events``) in order, in batches.

    ``types`` maps a message type to its body; types not in it are acknowledged and skipped, as
    :func:`subscribe_events` does. ``handle_one`` handles a single message in its own
    transaction; ``handle_batch`` several in one. Both must be idempotent (redeliveries).
    ``window`` is the prefetch, ``max_batch`` the most messages handed to ``handle_batch`` at once,
    ``finish_timeout_s`` how long :meth:`close` lets the batch in hand finish (the default is well
    within Heroku's 30 s between SIGTERM and SIGKILL).

    The queue is the same durable, single-active-consumer, dead-lettering queue
    :func:`subscribe_events` declares, so the two are interchangeable on an existing broker. After
    a reconnect, messages of the old channel can no longer be acknowledged; the broker redelivers
    them, and the handlers' inbox makes the second delivery a no-op.
    """

    def __init__(
        self,
        amqp_url: str,
        queue: str,
        routing_keys: Sequence[str],
        types: Mapping[str, type[Contract]],
        *,
        handle_one: EnvelopeHandler,
        handle_batch: BatchHandler,
        window: int = 1000,
        max_batch: int = 500,
        finish_timeout_s: float = 10.0,
    ) -> None:
        if not 1 <= max_batch <= window:
            raise ValueError("1 <= max_batch <= window")
        self._url = amqp_url
        self._queue_name = queue
        self._routing_keys = tuple(routing_keys)
        self._types = dict(types)
        self._handle_one = handle_one
        self._handle_batch = handle_batch
        self._window = window
        self._max_batch = max_batch
        self._finish_timeout = finish_timeout_s
        self._arrived: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractChannel | None = None
        self._queue: AbstractQueue | None = None
        self._consumer_tag: str | None = None
        self._worker: asyncio.Task[None] | None = None
        self._in_hand: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Declare and bind the queue, then consume. Call after the events exchange exists."""
        self._connection = await aio_pika.connect_robust(self._url)
        self._channel = await self._connection.channel()
        await self._channel.set_qos(prefetch_count=self._window)
        spec = durable_queue(self._queue_name)
        self._queue = await self._channel.declare_queue(spec.name, durable=True, arguments=spec.arguments)
        exchange = await self._channel.get_exchange(EVENTS_EXCHANGE, ensure=False)
        for key in self._routing_keys:
            await self._queue.bind(exchange, routing_key=key)
        self._worker = asyncio.create_task(self._run(), name=f"consume {self._queue_name}")
        self._consumer_tag = await self._queue.consume(self._on_message)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        # Only queued here: the worker takes bursts in delivery order; prefetch bounds the queue.
        self._arrived.put_nowait(message)

    async def close(self) -> None:
        """Stop taking messages, finish the batch in hand, close; unacknowledged ones are redelivered."""
        if self._queue is not None and self._consumer_tag is not None:
            with contextlib.suppress(Exception):
                await self._queue.cancel(self._consumer_tag)
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        if self._in_hand is not None and not self._in_hand.done():
            await asyncio.wait([self._in_hand], timeout=self._finish_timeout)
            # Given up: roll it back; the broker redelivers its messages once the channel closes.
            self._in_hand.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._in_hand
        if self._connection is not None:
            await self._connection.close()

    async def _run(self) -> None:
        while True:
            messages = await self._next_burst()
            # Shielded: a shutdown lets the batch in hand commit and be acknowledged (see close()).
            self._in_hand = asyncio.create_task(self._handle(messages))
            await asyncio.shield(self._in_hand)

    async def _next_burst(self) -> list[AbstractIncomingMessage]:
        """The first message to arrive, plus whatever arrived with or before it (up to ``max_batch``)."""
        burst = [await self._arrived.get()]
        while len(burst) < self._max_batch and not self._arrived.empty():
            burst.append(self._arrived.get_nowait())
        return burst

    async def _handle(self, messages: list[AbstractIncomingMessage]) -> None:
        deliveries: list[_Delivery] = []
        for message in messages:
            delivery = await self._decode(message)
            if delivery is not None:
                deliveries.append(delivery)
        # Skipped and undecodable messages were settled one by one; each path settles the rest.
        if len(deliveries) == 1:
            await self._one(deliveries[0])
        elif deliveries:
            await self._batch(deliveries)

    async def _decode(self, message: AbstractIncomingMessage) -> _Delivery | None:
        """The message's envelope; None for a type without handler (acknowledged) or one that does not parse."""
        message_type = str((message.headers or {}).get("message-type") or message.type or "")
        body_type = self._types.get(message_type)
        if body_type is None:
            await self._settle(message.ack())
            return None
        try:
            return _Delivery(message, parse_envelope(message.body, body_type))
        except Exception:
            log.exception("bus.undecodable", type=message_type, queue=self._queue_name)
            await self._settle(message.reject(requeue=False))
            return None

    async def _one(self, delivery: _Delivery) -> None:
        """One message in its own transaction; raises nothing (a failure dead-letters the message)."""
        envelope = delivery.envelope
        with (
            _tracer.start_as_current_span(
                f"consume {envelope.type}",
                context=extract_context(delivery.message.headers),
                kind=trace.SpanKind.CONSUMER,
            ) as span,
            structlog.contextvars.bound_contextvars(
                message_id=envelope.message_id, charge_point_id=envelope.charge_point_id
            ),
        ):
            span.set_attribute("messaging.message.id", envelope.message_id)
            try:
                await self._handle_one(envelope)
            except Exception:
                log.exception("bus.handler_failed", type=envelope.type, queue=self._queue_name)
                await self._settle(delivery.message.reject(requeue=False))
                return
        await self._settle(delivery.message.ack())

    async def _batch(self, deliveries: list[_Delivery]) -> None:
        """Several messages in one transaction; on failure, each again in a transaction of its own."""
        links = [
            trace.Link(context)
            for d in deliveries
            if (context := trace.get_current_span(extract_context(d.message.headers)).get_span_context()).is_valid
        ]
        with _tracer.start_as_current_span(
            f"consume batch {self._queue_name}", links=links, kind=trace.SpanKind.CONSUMER
        ) as span:
            span.set_attribute("messaging.batch.message_count", len(deliveries))
            try:
                await self._handle_batch([d.envelope for d in deliveries])
            except Exception as exc:
                # Rolled back as a whole: find the culprit by handling each message alone, in order.
                log.warning(
                    "bus.batch_failed", queue=self._queue_name, messages=len(deliveries), error=repr(exc), exc_info=True
                )
            else:
                # Committed: one acknowledgement for the whole window up to the last message.
                await self._settle(deliveries[-1].message.ack(multiple=True))
                return
        for delivery in deliveries:
            await self._one(delivery)

    async def _settle(self, outcome: Awaitable[None]) -> None:
        # After a reconnect the channel that delivered a message is gone; the broker redelivers it
        # and the handler's inbox makes the second delivery a no-op, so this is only worth a log line.
        try:
            await outcome
        except Exception as exc:
            log.warning("bus.settle_failed", queue=self._queue_name, error=repr(exc))
