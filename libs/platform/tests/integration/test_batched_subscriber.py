"""The batched in-order consumer against the real RabbitMQ: order, batches, poison messages, failover.

Each test uses a queue of its own in this module's vhost and publishes through the platform's
confirmed publisher, as services do.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import aio_pika
import pytest

from ladeplan_contracts.envelope import Envelope, new_envelope
from ladeplan_contracts.events import ChargePointDisconnected
from ladeplan_contracts.names import DEAD_LETTER_QUEUE
from ladeplan_platform.batched import BatchedSubscriber
from ladeplan_platform.bus import EventPublisher, declare_topology, make_broker
from ladeplan_platform.settings import ServiceSettings
from tests.support import polling

pytestmark = pytest.mark.integration

KEY = "chargepoint.connection.closed"
TYPES = {KEY: ChargePointDisconnected}


def event(n: int, reason: str = "ok") -> Envelope[Any]:
    return new_envelope(ChargePointDisconnected(charge_point_id=f"CP-{n}", node_id="n", epoch=n, reason=reason))


class Recorder:
    """Handlers that record what they stored; a message whose reason is "poison" makes them fail."""

    def __init__(self) -> None:
        self.stored: list[int] = []
        self.batches: list[int] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def one(self, envelope: Envelope[Any]) -> None:
        await self.gate.wait()
        if envelope.data.reason == "poison":
            raise ValueError("poison")
        self.stored.append(envelope.data.epoch)

    async def batch(self, envelopes: Sequence[Envelope[Any]]) -> None:
        await self.gate.wait()
        if any(e.data.reason == "poison" for e in envelopes):
            raise ValueError("poison in the batch")  # nothing of it is stored: a rolled-back transaction
        self.batches.append(len(envelopes))
        self.stored.extend(e.data.epoch for e in envelopes)


@pytest.fixture(scope="module")
async def publisher(module_amqp_url: str) -> AsyncIterator[EventPublisher]:
    broker = make_broker(ServiceSettings(amqp_url=module_amqp_url), "batched-tests")
    await broker.connect()
    await declare_topology(broker)
    yield EventPublisher(broker)
    await broker.stop()


def subscriber(url: str, queue: str, recorder: Recorder, **options: Any) -> BatchedSubscriber:
    return BatchedSubscriber(url, queue, [KEY], TYPES, handle_one=recorder.one, handle_batch=recorder.batch, **options)


async def dead_lettered(url: str, message_ids: set[str]) -> set[str]:
    """Which of ``message_ids`` are in the dead-letter queue (others' rejects stay there)."""
    found: set[str] = set()
    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel()
        queue = await channel.get_queue(DEAD_LETTER_QUEUE)
        while (message := await queue.get(fail=False)) is not None:
            if message.message_id in message_ids:
                found.add(message.message_id)
                await message.ack()
            else:
                await message.nack(requeue=True)
                break
    finally:
        await connection.close()
    return found


async def ready_and_unacked_gone(url: str, queue: str) -> bool:
    connection = await aio_pika.connect(url)
    try:
        declared = await (await connection.channel()).declare_queue(queue, passive=True)
        return declared.declaration_result.message_count == 0
    finally:
        await connection.close()


async def test_a_backlog_is_stored_in_batches_in_queue_order_and_a_lone_message_alone(
    module_amqp_url: str, publisher: EventPublisher
) -> None:
    queue = f"batched-test.{uuid.uuid4().hex[:8]}"
    recorder = Recorder()
    consumer = subscriber(module_amqp_url, queue, recorder, window=100, max_batch=40)
    await consumer.start()
    recorder.gate.clear()  # the first message is held, so the rest pile up behind it
    for n in range(120):
        await publisher.publish(event(n))
    recorder.gate.set()
    await polling.eventually(lambda: _true(len(recorder.stored) == 120))
    await publisher.publish(event(120))
    await polling.eventually(lambda: _true(len(recorder.stored) == 121))
    await consumer.close()

    assert recorder.stored == list(range(121))
    assert max(recorder.batches) <= 40
    assert len(recorder.batches) < 10, "the backlog went in bursts, not one by one"
    assert sum(recorder.batches) < 121, "the lone last message went through the one-message handler"
    assert await ready_and_unacked_gone(module_amqp_url, queue)


async def test_a_poison_message_is_dead_lettered_alone_and_the_rest_of_its_batch_is_stored_in_order(
    module_amqp_url: str, publisher: EventPublisher
) -> None:
    queue = f"batched-test.{uuid.uuid4().hex[:8]}"
    recorder = Recorder()
    consumer = subscriber(module_amqp_url, queue, recorder, window=50, max_batch=50)
    await consumer.start()
    recorder.gate.clear()
    poison = event(5, reason="poison")
    for n in range(10):
        await publisher.publish(poison if n == 5 else event(n))
    recorder.gate.set()
    await polling.eventually(lambda: _true(len(recorder.stored) == 9))
    await consumer.close()

    assert recorder.stored == [0, 1, 2, 3, 4, 6, 7, 8, 9]
    assert await polling.eventually(lambda: dead_lettered(module_amqp_url, {poison.message_id}))
    assert await ready_and_unacked_gone(module_amqp_url, queue)


async def test_a_batch_not_stored_when_its_consumer_stops_is_redelivered_to_the_standby(
    module_amqp_url: str, publisher: EventPublisher
) -> None:
    """Single active consumer: the standby takes over, and gets every message the first did not store."""
    queue = f"batched-test.{uuid.uuid4().hex[:8]}"
    stuck, standby = Recorder(), Recorder()
    stuck.gate.clear()  # never opens: the first consumer never finishes its batch
    first = subscriber(module_amqp_url, queue, stuck, finish_timeout_s=0.2)
    second = subscriber(module_amqp_url, queue, standby)
    await first.start()
    await second.start()
    for n in range(30):
        await publisher.publish(event(n))
    await asyncio.sleep(0.3)
    assert standby.stored == []  # the standby waits while the first consumer holds the queue

    await first.close()
    await polling.eventually(lambda: _true(len(standby.stored) == 30))
    await second.close()

    assert stuck.stored == []
    assert standby.stored == list(range(30))


async def _true(value: bool) -> bool:
    return value
