"""The whole stack as real processes on free ports, against this run's database and vhost."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace

import aiohttp
import pytest

from ladeplan.sandbox import LOCAL_AMQP_URL, can_create_vhosts, temporary_vhost
from ladeplan.services import SERVICES
from ladeplan.supervisor import stop
from tests.e2e.support import API_KEY, Operator, Stack, free_port


@pytest.fixture(scope="session")
def stack_amqp_url(amqp_url: str) -> Iterator[str]:
    """The stack's own vhost: in-process services of integration tests must not consume its messages."""
    if not can_create_vhosts(amqp_url):
        yield amqp_url
        return
    with temporary_vhost(LOCAL_AMQP_URL, prefix="ladeplan-e2e") as url:
        yield url


@pytest.fixture(scope="session")
def stack(database_url: str, stack_amqp_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "AMQP_URL": stack_amqp_url,
        "OPERATOR_API_KEYS": API_KEY,
        "LOG_LEVEL": "INFO",
        # Short decisions keep the "session-manager is down" tests quick; production uses 10 s.
        "GATEWAY_DECISION_TIMEOUT_S": "3",
        # Last-seen batches every second instead of 30 s, so tests see them in masterdata's status.
        "GATEWAY_LAST_SEEN_FLUSH_S": "1",
        # 5-second planning slots let the smart charging test watch whole plans play out in a minute.
        "EMS_SLOT_SECONDS": "5",
    }
    services = {s.name: replace(s, port=free_port()) for s in SERVICES}
    running = Stack(env, services, tmp_path_factory.mktemp("stack-logs"))
    for name in services:
        running.start(name)
    try:
        asyncio.run(running.wait_healthy(*services))
        yield running
    except Exception:
        for name in services:
            print(f"--- {name} log ---\n{running.logs(name)[-5000:]}", file=sys.stderr)
        raise
    finally:
        stop(running.processes)


@pytest.fixture
async def operator(stack: Stack) -> AsyncIterator[Operator]:
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {stack.api_key}"}) as http:
        yield Operator(http, stack)


@pytest.fixture(scope="module")
def stack_without_ems(stack: Stack) -> Iterator[Stack]:
    """The stack with ems-adapter stopped, for conformance runs that list exactly which CALLs the CSMS sends.

    Every test charge point belongs to a location with a grid limit, so ems-adapter installs a cap
    at boot, a TxProfile when a transaction starts, and reads both back with GetCompositeSchedule:
    CALLs a strict conformance script sees as unexpected, at times that depend on the machine's
    load. What ems-adapter sends is tested in test_smart_charging_e2e.py. Its durable queues keep
    what arrives meanwhile; it handles that when it starts again (the charge points are offline
    by then, so the profiles come back "offline" at once).
    """
    stack.kill("ems-adapter")
    try:
        yield stack
    finally:
        stack.start("ems-adapter")
        asyncio.run(stack.wait_healthy("ems-adapter"))
