"""Extra bindings of a subscriber's queue: in order stays in order, and old bindings can be removed."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from ladeplan_contracts.envelope import Envelope, new_envelope
from ladeplan_contracts.events import ChargePointConnected, ChargePointDisconnected
from ladeplan_platform.bus import (
    EventPublisher,
    bind_events,
    declare_topology,
    make_broker,
    subscribe_events,
    unbind_events,
)
from ladeplan_platform.settings import ServiceSettings
from tests.support import polling

pytestmark = pytest.mark.integration


def closed(n: int) -> ChargePointDisconnected:
    return ChargePointDisconnected(charge_point_id=f"CP-{n}", node_id="n", epoch=n)


async def test_an_in_order_subscriber_with_extra_bindings_still_handles_one_message_at_a_time(
    module_amqp_url: str,
) -> None:
    """faststream caches declared queues by name: binding through it used to hand the subscriber
    the default channel (prefetch 64), and its messages were then handled concurrently."""
    queue = f"bindings-test.{uuid.uuid4().hex[:8]}"
    settings = ServiceSettings(amqp_url=module_amqp_url)
    handled: list[int] = []
    in_flight = 0
    most_in_flight = 0

    async def handle(envelope: Envelope[Any]) -> None:
        nonlocal in_flight, most_in_flight
        in_flight += 1
        most_in_flight = max(most_in_flight, in_flight)
        await asyncio.sleep(0.01)
        handled.append(envelope.data.epoch)
        in_flight -= 1

    consumer = make_broker(settings, "bindings-test")
    subscribe_events(
        consumer,
        queue,
        ChargePointConnected.TYPE,
        {ChargePointDisconnected.TYPE: (ChargePointDisconnected, handle)},
        in_order=True,
    )
    await consumer.connect()
    await declare_topology(consumer)
    await bind_events(consumer, queue, ChargePointDisconnected.TYPE)
    await consumer.start()
    producer = make_broker(settings, "bindings-test-producer")
    await producer.connect()
    try:
        for n in range(20):
            await EventPublisher(producer).publish(new_envelope(closed(n)))
        await polling.eventually(lambda: _true(len(handled) == 20))

        await unbind_events(consumer, queue, ChargePointDisconnected.TYPE, "no.such.binding")
        await EventPublisher(producer).publish(new_envelope(closed(99)))
        await asyncio.sleep(0.3)
    finally:
        await producer.stop()
        await consumer.stop()

    assert most_in_flight == 1
    assert handled == list(range(20)), "unbound: the last event never reached the queue"


async def _true(value: bool) -> bool:
    return value
