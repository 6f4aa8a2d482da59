"""session-manager against the real PostgreSQL and RabbitMQ of the test run (root conftest).

One app serves every integration test; tests stay apart by using random charge point ids and
tokens, never by clearing tables.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from ladeplan_contracts.envelope import Contract, new_envelope
from ladeplan_contracts.events import TokenCreated
from ladeplan_platform.bus import EventPublisher, make_broker
from ladeplan_platform.rpc import RpcClient
from session_manager.app import create_app
from session_manager.config import SCHEMA, Settings
from tests.support import polling
from tests.support.bus import EventTap, tap_events

OPERATOR_KEY = "test-operator-key"


@pytest.fixture(scope="session")
def settings(database_url: str, amqp_url: str) -> Settings:
    return Settings(database_url=database_url, amqp_url=amqp_url, operator_api_keys=OPERATOR_KEY, command_timeout_s=3.0)


@pytest.fixture(scope="session")
def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {OPERATOR_KEY}"}


@pytest.fixture(scope="session")
async def client(settings: Settings) -> AsyncIterator[TestClient[Any, Any]]:
    app = await create_app(settings)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
async def events(client: TestClient[Any, Any], amqp_url: str) -> AsyncIterator[EventTap]:
    """Bound after the app declared ``ladeplan.events``."""
    async with tap_events(amqp_url, "transaction.started", "session.completed") as tap:
        yield tap


@pytest.fixture(scope="session")
async def rpc(amqp_url: str) -> AsyncIterator[RpcClient]:
    rpc_client = RpcClient(amqp_url)
    await rpc_client.start()
    yield rpc_client
    await rpc_client.close()


@pytest.fixture(scope="session")
async def publisher(client: TestClient[Any, Any], settings: Settings) -> AsyncIterator[EventPublisher]:
    """Publishes contract events the way the gateway and masterdata do."""
    broker = make_broker(settings, "session-manager-tests")
    await broker.connect()
    yield EventPublisher(broker)
    await broker.stop()


@pytest.fixture(scope="session")
async def db(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2, server_settings={"search_path": SCHEMA})
    assert pool is not None
    yield pool
    await pool.close()


Eventually = Callable[[Callable[[], Awaitable[Any]]], Awaitable[Any]]


@pytest.fixture(scope="session")
def eventually() -> Eventually:
    """Poll a check until it returns something truthy (consumers work asynchronously)."""
    return polling.eventually


@pytest.fixture(scope="session")
def publish(publisher: EventPublisher) -> Callable[..., Awaitable[str]]:
    """Publish ``body`` in a fresh envelope (or with the given message id / time); returns the message id."""

    async def send(
        body: Contract,
        *,
        message_id: str | None = None,
        occurred_at: datetime | None = None,
        charge_point_id: str | None = None,
    ) -> str:
        envelope = new_envelope(body, message_id=message_id, occurred_at=occurred_at, charge_point_id=charge_point_id)
        await publisher.publish(envelope)
        return envelope.message_id

    return send


@pytest.fixture(scope="session")
def active_token(
    publish: Callable[..., Awaitable[str]], db: asyncpg.Pool, eventually: Eventually
) -> Callable[..., Awaitable[tuple[str, str]]]:
    """Create a token through masterdata's event and wait until the read model holds it."""

    async def create(status: str = "active") -> tuple[str, str]:
        uid, user_id = f"TAG{uuid.uuid4().hex[:12].upper()}", f"user-{uuid.uuid4()}"
        await publish(
            TokenCreated(uid=uid, type="ISO14443", user_id=user_id, status=status),  # type: ignore[arg-type]
            occurred_at=datetime.now(UTC),
        )
        await eventually(lambda: db.fetchval("SELECT true FROM tokens WHERE uid = $1", uid))
        return uid, user_id

    return create


@pytest.fixture
def cp() -> str:
    """A charge point id of this test alone."""
    return f"CP-{uuid.uuid4().hex[:10]}"
