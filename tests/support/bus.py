"""Reading events off the real RabbitMQ in tests."""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aio_pika

from ladeplan_contracts.catalog import all_contracts
from ladeplan_contracts.names import EVENTS_EXCHANGE


@functools.cache
def _routing_keys(message_type: str) -> frozenset[str]:
    contract = all_contracts().get(message_type)
    return frozenset({message_type, *(contract.ALSO_ROUTED_AS if contract else ())})


class EventTap:
    """Envelopes from an exclusive queue bound to ``ladeplan.events``; tests wait for one by content."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self._arrived = asyncio.Condition()

    async def on_message(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        async with message.process():
            envelope = json.loads(message.body)
            # Every event keeps the envelope's promises on the wire, whoever published it: it goes
            # under its type or a routing key its contract names for it (catalog: routing_keys).
            assert message.routing_key in _routing_keys(envelope["type"])
            assert envelope["message_id"] == message.message_id
            envelope["_headers"] = {k: v.decode() if isinstance(v, bytes) else v for k, v in message.headers.items()}
            async with self._arrived:
                self.received.append(envelope)
                self._arrived.notify_all()

    def matching(self, event_type: str, **data: Any) -> list[dict[str, Any]]:
        return [
            e for e in self.received if e["type"] == event_type and all(e["data"].get(k) == v for k, v in data.items())
        ]

    async def wait_for(self, event_type: str, timeout: float = 10.0, **data: Any) -> dict[str, Any]:
        """The first event of ``event_type`` whose data has the given values."""
        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(lambda: self.matching(event_type, **data)), timeout)
        return self.matching(event_type, **data)[0]


@asynccontextmanager
async def tap_events(amqp_url: str, *routing_keys: str) -> AsyncIterator[EventTap]:
    """An :class:`EventTap` receiving every event published from now on under ``routing_keys``."""
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(EVENTS_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(exclusive=True)
        for key in routing_keys:
            await queue.bind(exchange, routing_key=key)
        tap = EventTap()
        await queue.consume(tap.on_message)
        yield tap
    finally:
        await connection.close()
