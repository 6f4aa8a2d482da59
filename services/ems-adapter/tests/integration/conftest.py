"""ems-adapter against the real PostgreSQL and RabbitMQ of the test run (root conftest).

One app serves the module; tests stay apart by random location and charge point ids. A stand-in
gateway node holds the charge points' bindings on ``ladeplan.commands``, answers every command
``accepted`` and records the profiles, as a charge point would receive them.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import aio_pika
import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from ems_adapter.app import create_app
from ems_adapter.config import SCHEMA, Settings
from ladeplan.simulator.smart_charging import ProfileBook
from ladeplan_contracts.commands import ChargingProfile, Command, CommandReply, SetChargingProfile
from ladeplan_contracts.commands_charging import GetCompositeSchedule
from ladeplan_contracts.envelope import Contract, new_envelope, parse_envelope
from ladeplan_contracts.names import COMMANDS_EXCHANGE
from ladeplan_platform.bus import EventPublisher, make_broker
from tests.support import polling
from tests.support.bus import EventTap, tap_events

OPERATOR_KEY = "test-operator-key"


class StandInGateway:
    """One gateway node: binds charge point ids and records every SetChargingProfile it is sent.

    GetCompositeSchedule is answered ``not_supported`` unless a test sets ``composite[charge point]``:
    ``"honest"`` reports what the profiles it was sent give (the simulator's ``ProfileBook``, as a
    2.0.1 station would), or a function of the request gives the answer's payload (a charge point
    that ignores or mis-stacks a profile).
    """

    def __init__(self, amqp_url: str) -> None:
        self._amqp_url = amqp_url
        self.received: list[tuple[str, SetChargingProfile]] = []
        self.composite: dict[str, str | Callable[[GetCompositeSchedule], dict[str, Any]]] = {}
        self.asked: list[tuple[str, GetCompositeSchedule]] = []
        self.last_asked: dict[str, datetime] = {}  # per charge point, when it was last asked

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
            if isinstance(command.command, GetCompositeSchedule):
                answer = self._composite(command.charge_point_id, command.command)
            else:
                assert isinstance(command.command, SetChargingProfile)
                self.received.append((command.charge_point_id, command.command))
                answer = CommandReply(status="accepted", response={"status": "Accepted"})
            reply = new_envelope(answer)
            await self._channel.default_exchange.publish(
                aio_pika.Message(reply.model_dump_json().encode(), correlation_id=message.correlation_id),
                routing_key=message.reply_to or "",
            )

    def _composite(self, charge_point_id: str, request: GetCompositeSchedule) -> CommandReply:
        self.asked.append((charge_point_id, request))
        self.last_asked[charge_point_id] = datetime.now(UTC)
        behaviour = self.composite.get(charge_point_id)
        if behaviour is None:
            return CommandReply(status="not_supported", detail="GetCompositeSchedule is not supported.")
        if behaviour == "honest":
            book = ProfileBook()
            for sent in self.of(charge_point_id):
                book.add(sent.evse_id, _as_v2(sent.profile))
            now = datetime.now(UTC)
            unit = request.unit or "A"
            schedule = {
                "evse_id": request.evse_id,
                "duration": request.duration_s,
                "schedule_start": now.isoformat(),
                "charging_rate_unit": unit,
                "charging_schedule_period": book.composite(now, request.duration_s, request.evse_id, unit),
            }
            return CommandReply(status="accepted", response={"status": "Accepted", "schedule": schedule})
        assert callable(behaviour)
        return CommandReply(status="accepted", response=behaviour(request))

    def of(self, charge_point_id: str) -> list[SetChargingProfile]:
        return [command for target, command in self.received if target == charge_point_id]

    async def close(self) -> None:
        await self._connection.close()


def _as_v2(profile: ChargingProfile) -> dict[str, Any]:
    """A contract profile as a 2.0.1 station's SetChargingProfile payload (snake_case) holds it."""
    purposes = {"charge_point_max": "ChargingStationMaxProfile", "tx": "TxProfile", "tx_default": "TxDefaultProfile"}
    schedule: dict[str, Any] = {
        "id": profile.id,
        "charging_rate_unit": profile.unit,
        "charging_schedule_period": [
            {"start_period": p.start_offset_s, "limit": p.limit, "number_phases": p.number_phases}
            for p in profile.periods
        ],
    }
    if profile.start is not None:
        schedule["start_schedule"] = profile.start.isoformat()
    if profile.duration_s is not None:
        schedule["duration"] = profile.duration_s
    payload: dict[str, Any] = {
        "id": profile.id,
        "stack_level": profile.stack_level,
        "charging_profile_purpose": purposes[profile.purpose],
        "charging_profile_kind": "Absolute",
        "charging_schedule": [schedule],
    }
    if profile.transaction_ref is not None:
        payload["transaction_id"] = profile.transaction_ref
    return payload


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
