"""masterdata running in-process against the run's PostgreSQL database and RabbitMQ vhost."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from masterdata.app import create_app
from masterdata.config import SCHEMA, Settings
from tests.support.bus import EventTap, tap_events

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


@pytest.fixture(scope="session")
async def amqp(amqp_url: str) -> AsyncIterator[aio_pika.abc.AbstractConnection]:
    connection = await aio_pika.connect(amqp_url)
    yield connection
    await connection.close()


@pytest.fixture
async def events(amqp_url: str, client: TestClient[Any, Any]) -> AsyncIterator[EventTap]:
    """Events published from now on (the app, and so the exchange, exists before the queue binds)."""
    async with tap_events(amqp_url, "masterdata.#") as tap:
        yield tap


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
