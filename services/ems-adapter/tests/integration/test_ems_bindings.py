"""The transactions queue is bound to the two events ems-adapter plans from, also on an old broker."""

from __future__ import annotations

from datetime import UTC, datetime

import aio_pika
import pytest

from ems_adapter.handlers.bus import TRANSACTIONS_QUEUE, bind_transaction_events
from ladeplan_contracts.envelope import new_envelope
from ladeplan_contracts.events import MeterValuesReported, TransactionEnded
from ladeplan_contracts.meter import MeterValue, SampledValue
from ladeplan_platform.bus import EventPublisher, bind_events, declare_topology, make_broker
from ladeplan_platform.settings import ServiceSettings

pytestmark = pytest.mark.integration


async def test_the_wildcard_binding_of_earlier_releases_is_removed(module_amqp_url: str) -> None:
    """Releases before issue 3 bound ``transaction.*``, which kept every MeterValues coming."""
    broker = make_broker(ServiceSettings(amqp_url=module_amqp_url), "ems-bindings-test")
    await broker.connect()
    try:
        await declare_topology(broker)
        await bind_events(broker, TRANSACTIONS_QUEUE, "transaction.*")  # as an earlier release left it
        await bind_transaction_events(broker)
        publisher = EventPublisher(broker)
        now = datetime.now(UTC)
        await publisher.publish(
            new_envelope(
                MeterValuesReported(
                    charge_point_id="CP-BIND",
                    evse_id=1,
                    connector_id=1,
                    transaction_ref="1",
                    meter_values=[MeterValue(timestamp=now, sampled_values=[SampledValue(value="10")])],
                    ocpp_message_id="m1",
                )
            )
        )
        ended = TransactionEnded(charge_point_id="CP-BIND", transaction_ref="1", stopped_at=now, ocpp_message_id="m2")
        await publisher.publish(new_envelope(ended))
    finally:
        await broker.stop()

    connection = await aio_pika.connect(module_amqp_url)
    try:
        channel = await connection.channel()
        queue = await channel.get_queue(TRANSACTIONS_QUEUE)
        types = []
        while (message := await queue.get(no_ack=True, fail=False, timeout=5)) is not None:
            types.append(message.type)
    finally:
        await connection.close()
    assert types == [TransactionEnded.TYPE]
