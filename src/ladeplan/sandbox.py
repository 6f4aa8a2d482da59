"""Throw-away databases and RabbitMQ vhosts, for test runs and benchmarks that must not share state."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import asyncpg

LOCAL_DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
LOCAL_AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


def with_path(url: str, path: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=path))


@contextmanager
def temporary_database(server_url: str, prefix: str = "ladeplan_tmp") -> Iterator[str]:
    """A new, empty database on the server of ``server_url``; dropped (forcibly) afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(server_url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        yield with_path(server_url, f"/{name}")
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def can_create_vhosts(amqp_url: str | None = None) -> bool:
    """True when vhosts can be made next to ``amqp_url`` (the local RabbitMQ, with rabbitmqctl at hand)."""
    local = amqp_url is None or amqp_url.startswith(LOCAL_AMQP_URL.rstrip("/"))
    return local and shutil.which("rabbitmqctl") is not None


@contextmanager
def temporary_vhost(amqp_url: str, prefix: str = "ladeplan-tmp") -> Iterator[str]:
    """A new vhost on the local RabbitMQ (via ``rabbitmqctl``), deleted afterwards."""
    vhost = f"{prefix}-{uuid.uuid4().hex[:10]}"
    user = urlsplit(amqp_url).username or "guest"
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", vhost], check=True, capture_output=True)
    subprocess.run(
        ["rabbitmqctl", "-q", "set_permissions", "-p", vhost, user, ".*", ".*", ".*"], check=True, capture_output=True
    )
    try:
        yield with_path(amqp_url, f"/{vhost}")
    finally:
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], check=False, capture_output=True)
