"""Reachability checks that turn a missing PostgreSQL or RabbitMQ into one clear sentence."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import aio_pika
import asyncpg


class DependencyMissing(Exception):
    pass


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname or '127.0.0.1'}:{parts.port or ''}".rstrip(":")


async def check_postgres(url: str, timeout: float = 5.0) -> None:
    try:
        conn = await asyncio.wait_for(asyncpg.connect(url), timeout)
    except asyncpg.InvalidCatalogNameError:
        raise
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        raise DependencyMissing(
            f"PostgreSQL is not reachable at {_where(url)} ({exc.__class__.__name__}: {exc}). Start it, e.g. "
            "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, or set DATABASE_URL."
        ) from exc
    await conn.close()


async def check_rabbitmq(url: str, timeout: float = 5.0) -> None:
    try:
        connection = await asyncio.wait_for(aio_pika.connect(url), timeout)
    except (OSError, TimeoutError, aio_pika.exceptions.AMQPError) as exc:
        raise DependencyMissing(
            f"RabbitMQ is not reachable at {_where(url)} ({exc.__class__.__name__}). Start it, e.g. "
            "`rabbitmq-server -detached`, or set AMQP_URL."
        ) from exc
    await connection.close()


async def ensure_database(url: str) -> bool:
    """Create the database named in ``url`` if it does not exist; True when it was created."""
    try:
        await check_postgres(url)
        return False
    except asyncpg.InvalidCatalogNameError:
        pass
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return True
