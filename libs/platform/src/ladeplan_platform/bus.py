"""The bus: faststream's RabbitBroker with safe settings, plus typed subscribe/publish helpers.

faststream's defaults lose messages (non-persistent, unroutable messages vanish, unlimited
prefetch, ``NACK_ON_ERROR`` loops on classic queues). Every service goes through this module so
that messages are persistent and confirmed, prefetch is bounded, a failing message is rejected
into the dead-letter exchange instead of looping, and the trace context rides in the headers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aio_pika.abc import AbstractExchange, AbstractQueue
from faststream import AckPolicy
from faststream.rabbit import Channel, ExchangeType, RabbitBroker, RabbitExchange, RabbitQueue
from faststream.rabbit.annotations import RabbitMessage
from opentelemetry import trace

from ladeplan_contracts.envelope import BodyT, Contract, Envelope, new_envelope, parse_envelope
from ladeplan_contracts.names import DEAD_LETTER_EXCHANGE, DEAD_LETTER_QUEUE, EVENTS_EXCHANGE
from ladeplan_platform.settings import ServiceSettings
from ladeplan_platform.tracing import extract_context, inject_headers

log = structlog.get_logger("ladeplan.bus")
_tracer = trace.get_tracer("ladeplan.bus")

EVENTS = RabbitExchange(EVENTS_EXCHANGE, type=ExchangeType.TOPIC, durable=True)


def make_broker(settings: ServiceSettings, service: str) -> RabbitBroker:
    """A broker with publisher confirms, bounded prefetch and no faststream log noise per message."""
    import logging

    return RabbitBroker(
        settings.amqp_url,
        default_channel=Channel(prefetch_count=settings.bus_prefetch, publisher_confirms=True),
        app_id=service,
        graceful_timeout=10.0,
        log_level=logging.DEBUG,
    )


async def declare_topology(broker: RabbitBroker) -> None:
    """Exchanges every service relies on, and the dead-letter queue that keeps rejected messages."""
    await broker.declare_exchange(EVENTS)
    dlx = await broker.declare_exchange(RabbitExchange(DEAD_LETTER_EXCHANGE, type=ExchangeType.FANOUT))
    dlq = await broker.declare_queue(RabbitQueue(DEAD_LETTER_QUEUE, durable=True))
    await dlq.bind(dlx)


async def bind_events(broker: RabbitBroker, queue: str, *routing_keys: str) -> None:
    """Bind more routing keys to a queue of :func:`subscribe_events`, which binds one.

    Call it after connecting and before ``broker.start()``, so no event published under these
    keys is missed between the queue's declaration and its consumer's start. A queue bound to
    exactly the events its consumer handles keeps RabbitMQ from storing the others for it.
    """
    declared, exchange = await _declare_events_queue(broker, queue)
    for key in routing_keys:
        await declared.bind(exchange, routing_key=key)


async def unbind_events(broker: RabbitBroker, queue: str, *routing_keys: str) -> None:
    """Remove bindings a queue had in an earlier release (bindings outlive the consumer that made them).

    A queue narrowed from a wildcard to the events it handles keeps the wildcard binding on a
    broker that ran the earlier release, and with it every message the narrowing was meant to
    spare it. Unbinding a key that is not bound is a no-op, so this is safe on every start.
    """
    declared, exchange = await _declare_events_queue(broker, queue)
    for key in routing_keys:
        await declared.unbind(exchange, routing_key=key)


async def _declare_events_queue(broker: RabbitBroker, queue: str) -> tuple[AbstractQueue, AbstractExchange]:
    """A service's durable queue and ``ladeplan.events``, for binding, outside faststream's declarer.

    Not ``broker.declare_queue``: faststream caches a declared queue by name and arguments (not by
    channel), so the subscriber started later would consume through that object, on the default
    channel with the default prefetch, instead of on its own channel: an ``in_order`` subscriber
    would then handle its messages concurrently.
    """
    exchange = await broker.declare_exchange(EVENTS)
    spec = durable_queue(queue)
    declared = await exchange.channel.declare_queue(spec.name, durable=True, arguments=spec.arguments)
    return declared, exchange


def durable_queue(name: str, routing_key: str = "") -> RabbitQueue:
    """A service's durable queue ``<service>.<purpose>`` that dead-letters what its consumer rejects.

    Single active consumer: with several replicas of a service, one consumes and the others stand
    by, so events are not split round-robin between them. That alone keeps the delivery order;
    a consumer that must also *handle* them in that order (a transaction's meter values before
    its end) subscribes ``in_order`` (see :func:`subscribe_events`), since one consumer otherwise
    handles up to its prefetch concurrently.
    """
    return RabbitQueue(
        name,
        durable=True,
        routing_key=routing_key,
        arguments={"x-dead-letter-exchange": DEAD_LETTER_EXCHANGE, "x-single-active-consumer": True},
    )


def headers_for(envelope: Envelope[Any]) -> dict[str, Any]:
    headers: dict[str, Any] = {"message-type": envelope.type}
    if envelope.charge_point_id:
        headers["charge-point-id"] = envelope.charge_point_id
    inject_headers(headers)
    return headers


def encode(envelope: Envelope[Any]) -> bytes:
    return envelope.model_dump_json().encode()


class EventPublisher:
    """Publishes events persistently and waits for the broker's confirm before returning."""

    def __init__(self, broker: RabbitBroker) -> None:
        self._broker = broker

    async def publish(self, envelope: Envelope[Any]) -> None:
        with _tracer.start_as_current_span(f"publish {envelope.type}", kind=trace.SpanKind.PRODUCER) as span:
            span.set_attribute("messaging.message.id", envelope.message_id)
            await self._broker.publish(
                encode(envelope),
                exchange=EVENTS,
                routing_key=envelope.data.routing_key(),
                persist=True,
                mandatory=False,
                message_id=envelope.message_id,
                correlation_id=envelope.correlation_id or envelope.message_id,
                content_type="application/json",
                message_type=envelope.type,
                headers=headers_for(envelope),
            )

    async def publish_event(self, body: Contract, *, charge_point_id: str | None = None) -> Envelope[Any]:
        envelope = new_envelope(body, charge_point_id=charge_point_id)
        await self.publish(envelope)
        return envelope


EnvelopeHandler = Callable[[Envelope[Any]], Awaitable[None]]


def subscribe_events(
    broker: RabbitBroker,
    queue: str,
    routing_key: str,
    handlers: dict[str, tuple[type[Contract], EnvelopeHandler]],
    *,
    in_order: bool = False,
) -> None:
    """Consume ``routing_key`` (topic pattern) from durable ``queue``, dispatching on the message type.

    The message is acknowledged after the handler returns, that is after its transaction
    committed; an exception rejects it into the dead-letter exchange. Types without a handler
    are acknowledged and skipped (a topic pattern may match more than a consumer needs).

    Messages are handled concurrently, up to the broker's prefetch. ``in_order`` handles them one
    at a time in queue order instead (a channel of its own with prefetch 1), for consumers whose
    outcome depends on the order events were published in.
    """

    @broker.subscriber(
        durable_queue(queue, routing_key),
        EVENTS,
        ack_policy=AckPolicy.REJECT_ON_ERROR,
        channel=Channel(prefetch_count=1) if in_order else None,
    )
    async def consume(body: Any, message: RabbitMessage) -> None:
        raw = message.raw_message
        message_type = str((raw.headers or {}).get("message-type") or raw.type or "")
        entry = handlers.get(message_type)
        if entry is None:
            return
        body_type, handler = entry
        ctx = extract_context(raw.headers)
        with _tracer.start_as_current_span(
            f"consume {message_type}", context=ctx, kind=trace.SpanKind.CONSUMER
        ) as span:
            envelope = parse_envelope(message.body, body_type)
            span.set_attribute("messaging.message.id", envelope.message_id)
            with structlog.contextvars.bound_contextvars(
                message_id=envelope.message_id, charge_point_id=envelope.charge_point_id
            ):
                try:
                    await handler(envelope)
                except Exception:
                    log.exception("bus.handler_failed", type=message_type, queue=queue)
                    raise

    del consume  # registered on the broker; nothing else refers to it


def serve_rpc(broker: RabbitBroker, request_type: type[BodyT], handler: Callable[[BodyT], Awaitable[Contract]]) -> None:
    """Answer requests on queue ``request_type.TYPE``; the reply goes to the caller's ``reply_to``.

    RPC requests carry an expiration equal to the caller's timeout, so a request that waited in
    the queue while this service was down is dropped instead of answered too late.
    """

    @broker.subscriber(RabbitQueue(request_type.TYPE, durable=True), ack_policy=AckPolicy.REJECT_ON_ERROR)
    async def answer(body: Any, message: RabbitMessage) -> bytes:
        raw = message.raw_message
        with _tracer.start_as_current_span(
            f"rpc {request_type.TYPE}", context=extract_context(raw.headers), kind=trace.SpanKind.SERVER
        ):
            envelope = parse_envelope(message.body, request_type)
            with structlog.contextvars.bound_contextvars(charge_point_id=envelope.charge_point_id):
                reply = await handler(envelope.data)
            return encode(new_envelope(reply, correlation_id=envelope.message_id, causation_id=envelope.message_id))

    del answer
