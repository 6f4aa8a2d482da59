"""ems-adapter against the real PostgreSQL and RabbitMQ of the test run (root conftest).

One app serves the module; tests stay apart by random location and charge point ids. A stand-in
gateway node holds the charge points' bindings on ``ladeplan.commands``, answers every command
``accepted`` and records the profiles, as a charge point would receive them.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aio_pika
import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from ems_adapter.app import create_app
from ems_adapter.config import SCHEMA, Settings
from ladeplan_contracts.commands import Command, CommandReply, SetChargingProfile
from ladeplan_contracts.envelope import Contract, new_envelope, parse_envelope
from ladeplan_contracts.names import COMMANDS_EXCHANGE
from ladeplan_platform.bus import EventPublisher, make_broker
from tests.support import polling
from tests.support.bus import EventTap, tap_events

OPERATOR_KEY = "test-operator-key"


class StandInGateway:
    """One gateway node: binds charge point ids and records every SetChargingProfile it is sent."""

    def __init__(self, amqp_url: str) -> None:
        self._amqp_url = amqp_url
        self.received: list[tuple[str, SetChargingProfile]] = []

    async def start(self) -> None:
        self._connection = await aio_pika.connect(self._amqp_url)
        self._channel = await self._connection.channel()
        exchange = await self._channel.declare_exchange(COMMANDS_EXCHANGE, aio_pika.ExchangeType.DIRECT, durable=True)
        self._queue = await self._channel.declare_queue(exclusive=True)
        self._exchange = exchange
        await self._queue.consume(self._answer)

    async def hold(self, charge_point_id: str) -> None:
        await self._queue.bind(self._exchange, charge_point_id)

    async def _answer(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        async with message.process():
            command = parse_envelope(message.body, Command).data
            assert isinstance(command.command, SetChargingProfile)
            self.received.append((command.charge_point_id, command.command))
            reply = new_envelope(CommandReply(status="accepted", response={"status": "Accepted"}))
            await self._channel.default_exchange.publish(
                aio_pika.Message(reply.model_dump_json().encode(), correlation_id=message.correlation_id),
                routing_key=message.reply_to or "",
            )

    def of(self, charge_point_id: str) -> list[SetChargingProfile]:
        return [command for target, command in self.received if target == charge_point_id]

    async def close(self) -> None:
        await self._connection.close()


@pytest.fixture(scope="module")
def settings(database_url: str, module_amqp_url: str) -> Settings:
    return Settings(
        database_url=database_url, amqp_url=module_amqp_url, operator_api_keys=OPERATOR_KEY, command_timeout_s=3.0
    )


@pytest.fixture(scope="module")
def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {OPERATOR_KEY}"}


@pytest.fixture(scope="module")
async def client(settings: Settings) -> AsyncIterator[TestClient[Any, Any]]:
    app = await create_app(settings)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
async def plans(client: TestClient[Any, Any], module_amqp_url: str) -> AsyncIterator[EventTap]:
    async with tap_events(module_amqp_url, "ems.plan.updated") as tap:
        yield tap


@pytest.fixture(scope="module")
async def gateway(client: TestClient[Any, Any], module_amqp_url: str) -> AsyncIterator[StandInGateway]:
    stand_in = StandInGateway(module_amqp_url)
    await stand_in.start()
    yield stand_in
    await stand_in.close()


@pytest.fixture(scope="module")
async def publish(client: TestClient[Any, Any], settings: Settings) -> AsyncIterator[Callable[..., Awaitable[str]]]:
    """Publish a contract event the way the gateway, session-manager and masterdata do."""
    broker = make_broker(settings, "ems-adapter-tests")
    await broker.connect()
    publisher = EventPublisher(broker)

    async def send(body: Contract, **envelope: Any) -> str:
        sent = new_envelope(body, **envelope)
        await publisher.publish(sent)
        return sent.message_id

    yield send
    await broker.stop()


@pytest.fixture(scope="module")
async def db(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2, server_settings={"search_path": SCHEMA})
    assert pool is not None
    yield pool
    await pool.close()


@pytest.fixture(scope="module")
def eventually() -> Callable[[Callable[[], Awaitable[Any]]], Awaitable[Any]]:
    return polling.eventually


@pytest.fixture
def ids() -> Callable[[str], str]:
    """Ids of this test alone."""
    token = uuid.uuid4().hex[:8]
    return lambda prefix: f"{prefix}-{token}"
