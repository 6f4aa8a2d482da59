"""masterdata running in-process against the run's PostgreSQL database and RabbitMQ vhost."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import aio_pika
import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from ladeplan_contracts.names import EVENTS_EXCHANGE
from masterdata.app import create_app
from masterdata.config import SCHEMA, Settings

OPERATOR_KEY = "k1"
AUTH = {"Authorization": f"Bearer {OPERATOR_KEY}"}


@pytest.fixture(scope="session")
def settings(database_url: str, amqp_url: str) -> Settings:
    return Settings(database_url=database_url, amqp_url=amqp_url, operator_api_keys=f"{OPERATOR_KEY},k2")


@pytest.fixture(scope="session")
async def client(settings: Settings) -> AsyncIterator[TestClient[Any, Any]]:
    app = await create_app(settings)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection into masterdata's schema, for what the API deliberately never shows."""
    conn = await asyncpg.connect(database_url, server_settings={"search_path": SCHEMA})
    yield conn
    await conn.close()


class EventTap:
    """An exclusive queue bound to ``masterdata.#`` on ladeplan.events, read by the test."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self._arrived = asyncio.Condition()

    async def on_message(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        async with message.process():
            envelope = json.loads(message.body)
            assert envelope["type"] == message.routing_key
            assert envelope["message_id"] == message.message_id
            async with self._arrived:
                self.received.append(envelope)
                self._arrived.notify_all()

    def matching(self, event_type: str, **data: Any) -> list[dict[str, Any]]:
        return [
            e for e in self.received if e["type"] == event_type and all(e["data"].get(k) == v for k, v in data.items())
        ]

    async def wait_for(self, event_type: str, timeout: float = 10.0, **data: Any) -> dict[str, Any]:
        """The first event of ``event_type`` whose data has the given values."""
        found: Callable[[], list[dict[str, Any]]] = lambda: self.matching(event_type, **data)  # noqa: E731
        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(found), timeout)
        return found()[0]


@pytest.fixture(scope="session")
async def amqp(amqp_url: str) -> AsyncIterator[aio_pika.abc.AbstractConnection]:
    connection = await aio_pika.connect(amqp_url)
    yield connection
    await connection.close()


@pytest.fixture
async def events(amqp: aio_pika.abc.AbstractConnection, client: TestClient[Any, Any]) -> AsyncIterator[EventTap]:
    """Events published from now on (the app, and so the exchange, exists before the queue binds)."""
    channel = await amqp.channel()
    exchange = await channel.declare_exchange(EVENTS_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
    queue = await channel.declare_queue(f"test.masterdata.{uuid.uuid4().hex[:8]}", exclusive=True)
    await queue.bind(exchange, routing_key="masterdata.#")
    tap = EventTap()
    await queue.consume(tap.on_message)
    yield tap
    await channel.close()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def location(client: TestClient[Any, Any]) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/locations",
        json={"name": unique("Depot"), "timezone": "Europe/Berlin", "grid_limit_kw": 250.0},
        headers=AUTH,
    )
    assert response.status == 201, await response.text()
    return dict(await response.json())


@pytest.fixture
async def user(client: TestClient[Any, Any]) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/users", json={"email": f"{unique('driver')}@example.com", "name": "Dana Driver"}, headers=AUTH
    )
    assert response.status == 201, await response.text()
    return dict(await response.json())
