"""The aio-pika publisher puts on the wire what the faststream one does, many publishes in flight at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aio_pika
import pytest

from ladeplan_contracts.envelope import new_envelope
from ladeplan_contracts.events import SIGNED_METER_VALUES_ROUTING_KEY, ConnectorStatusChanged, MeterValuesReported
from ladeplan_contracts.meter import MeterValue, SampledValue, SignedMeterValue
from ladeplan_contracts.names import EVENTS_EXCHANGE
from ladeplan_platform.bus import EventPublisher, declare_topology, make_broker
from ladeplan_platform.publisher import ConfirmedPublisher
from ladeplan_platform.settings import ServiceSettings

pytestmark = pytest.mark.integration


@pytest.fixture
async def received(module_amqp_url: str) -> AsyncIterator[asyncio.Queue[aio_pika.abc.AbstractIncomingMessage]]:
    """Everything published on ``ladeplan.events`` while the test runs."""
    broker = make_broker(ServiceSettings(amqp_url=module_amqp_url), "publisher-tests")
    await broker.connect()
    await declare_topology(broker)
    await broker.stop()
    connection = await aio_pika.connect(module_amqp_url)
    channel = await connection.channel()
    exchange = await channel.get_exchange(EVENTS_EXCHANGE)
    queue = await channel.declare_queue(exclusive=True)
    await queue.bind(exchange, routing_key="#")
    inbox: asyncio.Queue[aio_pika.abc.AbstractIncomingMessage] = asyncio.Queue()
    await queue.consume(inbox.put, no_ack=True)
    yield inbox
    await connection.close()


def wire(message: aio_pika.abc.AbstractIncomingMessage) -> dict[str, Any]:
    """What a consumer relies on, minus what differs per message (ids, trace context)."""
    return {
        "routing_key": message.routing_key,
        "persistent": message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT,
        "content_type": message.content_type,
        "type": message.type,
        "message_id_matches": message.message_id == message.correlation_id,
        "headers": sorted(k for k in (message.headers or {}) if k not in ("traceparent", "tracestate")),
        "has_traceparent": "traceparent" in (message.headers or {}),
    }


def status(n: int) -> ConnectorStatusChanged:
    return ConnectorStatusChanged(charge_point_id=f"CP-{n}", evse_id=1, connector_id=1, status="Available")


async def test_what_goes_on_the_wire_is_what_the_faststream_publisher_sends(
    module_amqp_url: str, received: asyncio.Queue[aio_pika.abc.AbstractIncomingMessage]
) -> None:
    broker = make_broker(ServiceSettings(amqp_url=module_amqp_url), "ocpp-gateway")
    await broker.connect()
    direct = ConfirmedPublisher(module_amqp_url, app_id="ocpp-gateway")
    await direct.start()
    try:
        await EventPublisher(broker).publish(new_envelope(status(1), charge_point_id="CP-1"))
        await direct.publish(new_envelope(status(2), charge_point_id="CP-2"))
        await direct.check()
    finally:
        await direct.close()
        await broker.stop()

    through_faststream = await asyncio.wait_for(received.get(), 5)
    through_aio_pika = await asyncio.wait_for(received.get(), 5)
    assert wire(through_aio_pika) == wire(through_faststream)
    assert wire(through_aio_pika)["has_traceparent"]
    assert through_aio_pika.app_id == "ocpp-gateway"


async def test_many_publishes_in_flight_are_all_confirmed_and_signed_values_go_under_their_key(
    module_amqp_url: str, received: asyncio.Queue[aio_pika.abc.AbstractIncomingMessage]
) -> None:
    signed = MeterValuesReported(
        charge_point_id="CP-S",
        evse_id=1,
        connector_id=1,
        transaction_ref="1",
        meter_values=[
            MeterValue(
                timestamp=datetime(2026, 11, 25, tzinfo=UTC),
                sampled_values=[SampledValue(value="1", signed=SignedMeterValue(signed_meter_data="AQID"))],
            )
        ],
        ocpp_message_id="m",
    )
    publisher = ConfirmedPublisher(module_amqp_url, app_id="tests")
    await publisher.start()
    try:
        # Concurrent, as charge points are: each awaits its own confirm on the one shared channel.
        sent = await asyncio.gather(*(publisher.publish_event(status(n)) for n in range(200)))
        signed_envelope = await publisher.publish_event(signed)
    finally:
        await publisher.close()

    keys = {}
    for _ in range(201):
        message = await asyncio.wait_for(received.get(), 5)
        keys[message.message_id] = message.routing_key
    assert {e.message_id for e in sent} <= keys.keys()
    assert keys[signed_envelope.message_id] == SIGNED_METER_VALUES_ROUTING_KEY
