"""A cancelled bind/unbind must not cost the node its command queue, nor a lost connection its bindings.

aiormq closes the whole channel when an RPC is cancelled half-way, and with the channel go the
consumer and the node's exclusive auto-delete queue: no command would reach the node again and
every later bind fails. The websocket handler is cancelled when a charge point vanishes at the wrong
moment (aiohttp's handler cancellation), which is how ``test_gateway_tls.py`` once hit this.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import uuid
from collections.abc import AsyncIterator
from urllib.parse import unquote, urlsplit

import pytest

from ladeplan.sandbox import can_create_vhosts
from ladeplan_contracts.commands import Reset
from ladeplan_platform.commands import CommandClient
from ladeplan_platform.rpc import RpcClient
from ocpp_gateway.commands import CommandRouter
from ocpp_gateway.registry import Registry
from ocpp_gateway.takeover import Takeover

pytestmark = pytest.mark.integration


class _NobodyHolds:
    """Presence as seen by a node whose charge points have all gone: every command is answered offline."""

    async def holder(self, charge_point_id: str) -> None:
        return None


@pytest.fixture
async def router(module_amqp_url: str) -> AsyncIterator[CommandRouter]:
    takeover = Takeover(module_amqp_url, "node-under-test", Registry(), _NobodyHolds())  # type: ignore[arg-type]
    commands = CommandRouter(module_amqp_url, takeover)
    await commands.start()
    yield commands
    await commands.close()


@pytest.fixture
async def client(module_amqp_url: str) -> AsyncIterator[CommandClient]:
    rpc = RpcClient(module_amqp_url)
    await rpc.start()
    yield CommandClient(rpc)
    await rpc.close()


@pytest.mark.parametrize("cancelled", ["bind", "unbind"])
async def test_cancelled_binding_keeps_the_command_queue(
    router: CommandRouter, client: CommandClient, cancelled: str
) -> None:
    first, second = f"BIND-{uuid.uuid4().hex[:8]}", f"BIND-{uuid.uuid4().hex[:8]}"
    await router.bind(first)
    for steps in range(12):  # cancel at different points of the RPC
        call = asyncio.create_task(router.bind(first) if cancelled == "bind" else router.unbind(first))
        for _ in range(steps):
            await asyncio.sleep(0)
        call.cancel()
        with contextlib.suppress(asyncio.CancelledError):  # or it finished before the cancel
            await call
    await router.bind(second)  # the queue is still there to bind
    # ... and still consumed: the command reaches this node, which answers offline (nobody holds it).
    reply = await client.send(second, Reset(mode="soft"), timeout_s=3)
    assert reply.status == "offline"
    assert reply.detail == "The charge point disconnected."  # this node's answer, not the broker's return


def _close_connections(vhost: str) -> int:
    """Have the broker close every client connection of ``vhost`` (as a broker restart would)."""
    listed = subprocess.run(
        ["rabbitmqctl", "-q", "list_connections", "--no-table-headers", "pid", "vhost"],
        check=True,
        capture_output=True,
        text=True,
    )
    pids = [line.split("\t")[0] for line in listed.stdout.splitlines() if line.endswith(f"\t{vhost}")]
    for pid in pids:
        subprocess.run(["rabbitmqctl", "-q", "close_connection", pid, "test: connection lost"], check=True)
    return len(pids)


@pytest.mark.skipif(not can_create_vhosts(), reason="needs the local RabbitMQ's rabbitmqctl")
async def test_bindings_are_restored_after_the_connection_was_lost(module_amqp_url: str, router: CommandRouter) -> None:
    """The router binds without aio-pika's robust bookkeeping (its unbind is O(bindings)), so it restores them."""
    held, released = f"BIND-{uuid.uuid4().hex[:8]}", f"BIND-{uuid.uuid4().hex[:8]}"
    await router.bind(held)
    await router.bind(released)
    await router.unbind(released)
    # The exclusive queue and its bindings die with the connection; the robust channel declares the
    # queue again under its name, and the router binds what it holds.
    assert _close_connections(unquote(urlsplit(module_amqp_url).path.lstrip("/"))) >= 1
    rpc = RpcClient(module_amqp_url)  # connected after the loss: only the router has to recover
    await rpc.start()
    client = CommandClient(rpc)
    try:
        deadline = asyncio.get_running_loop().time() + 30
        while (await client.send(held, Reset(mode="soft"), timeout_s=3)).detail != "The charge point disconnected.":
            assert asyncio.get_running_loop().time() < deadline, "the command binding was not restored"
            await asyncio.sleep(0.5)
        # What was unbound before the loss stays unbound: the broker returns it (offline, its own detail).
        reply = await client.send(released, Reset(mode="soft"), timeout_s=3)
    finally:
        await rpc.close()
    assert reply.status == "offline"
    assert reply.detail != "The charge point disconnected."
