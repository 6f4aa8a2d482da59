"""Test infrastructure shared by every layer: a fresh database and a fresh RabbitMQ vhost per run.

The local PostgreSQL and RabbitMQ are used when reachable (``DATABASE_URL``/``AMQP_URL`` or the
defaults); otherwise testcontainers starts them (needs a Docker engine). Each test run gets its own
database and vhost, dropped afterwards, so runs never see each other's rows or queues.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from ladeplan.sandbox import LOCAL_AMQP_URL, LOCAL_DATABASE_URL, can_create_vhosts, temporary_vhost


def _reachable(coro_factory: object) -> bool:
    try:
        asyncio.run(coro_factory())  # type: ignore[operator]
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    import asyncpg

    async def probe() -> None:
        conn = await asyncpg.connect(LOCAL_DATABASE_URL, timeout=3)
        await conn.close()

    if _reachable(probe):
        yield LOCAL_DATABASE_URL
        return
    from testcontainers.postgres import PostgresContainer

    with PostgresContainer("postgres:16-alpine", driver=None) as container:
        yield container.get_connection_url()


@pytest.fixture(scope="session")
def database_url(postgres_server_url: str) -> Iterator[str]:
    """A database of its own for this test run, with every service's migrations applied."""
    from ladeplan.migrate import migrate_all
    from ladeplan.sandbox import temporary_database

    with temporary_database(postgres_server_url, prefix="ladeplan_test") as url:
        migrate_all(url)
        yield url


@pytest.fixture(scope="session")
def amqp_url() -> Iterator[str]:
    """A RabbitMQ vhost of its own for this test run (queues and exchanges start empty)."""
    import aio_pika

    async def probe() -> None:
        connection = await aio_pika.connect(LOCAL_AMQP_URL, timeout=3)
        await connection.close()

    if _reachable(probe) and can_create_vhosts():
        with temporary_vhost(LOCAL_AMQP_URL, prefix="ladeplan-test") as url:
            yield url
        return
    from testcontainers.rabbitmq import RabbitMqContainer

    with RabbitMqContainer("rabbitmq:3.13-alpine") as container:
        params = container.get_connection_params()
        yield f"amqp://guest:guest@{params.host}:{params.port}/"


@pytest.fixture(scope="module")
def module_amqp_url(amqp_url: str) -> Iterator[str]:
    """A vhost for one test module, for tests whose stand-ins must not meet other modules' consumers.

    Session-scoped services of other modules stay connected to ``amqp_url`` and would compete for
    the same RPC queues. Falls back to the run's vhost where vhosts cannot be created.
    """
    if not can_create_vhosts(amqp_url):
        yield amqp_url
        return
    with temporary_vhost(LOCAL_AMQP_URL, prefix="ladeplan-test-module") as url:
        yield url


@pytest.fixture(scope="session", autouse=True)
def spans() -> Iterator[object]:
    """Tracing on, as in production, with finished spans kept in memory for tests that check traces."""
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from ladeplan_platform.tracing import configure_tracing

    exporter = InMemorySpanExporter()
    provider = configure_tracing("ladeplan-tests", extra_processor=SimpleSpanProcessor(exporter))
    yield exporter
    provider.shutdown()
